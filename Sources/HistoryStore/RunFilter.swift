// What to list: a filter over status, model, favourites, dates, tags and prompt text,
// turned into one SQL WHERE clause that the indexes can serve.
import Foundation
import GRDB

/// Which runs to list or count. Empty fields do not filter.
public struct RunFilter: Sendable, Equatable {
    /// Only runs in these statuses (nil: any status).
    public var statuses: Set<RunStatus>?
    /// Only runs of this model id.
    public var modelID: String?
    /// Only starred runs.
    public var starredOnly: Bool
    /// Only runs created at or after this date.
    public var createdFrom: Date?
    /// Only runs created before this date.
    public var createdBefore: Date?
    /// Only runs with this tag.
    public var tag: String?
    /// Words that must all appear (as word prefixes) in the prompt or negative prompt.
    public var text: String?

    public init(statuses: Set<RunStatus>? = nil, modelID: String? = nil, starredOnly: Bool = false,
                createdFrom: Date? = nil, createdBefore: Date? = nil, tag: String? = nil, text: String? = nil) {
        self.statuses = statuses
        self.modelID = modelID
        self.starredOnly = starredOnly
        self.createdFrom = createdFrom
        self.createdBefore = createdBefore
        self.tag = tag
        self.text = text
    }

    /// The words of `text` as the search index splits them (letters and digits).
    var words: [String] {
        (text ?? "").split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
    }

    /// The WHERE clause (or "" for no filter) and its arguments.
    func sql(searchMode: SearchMode) -> (clause: String, arguments: StatementArguments) {
        var terms: [String] = []
        var arguments = StatementArguments()
        if let statuses {
            let sorted = statuses.map(\.rawValue).sorted()
            if sorted.count == 1 {
                terms.append("run.status = ?")
            } else {
                terms.append("run.status IN (\(Array(repeating: "?", count: sorted.count).joined(separator: ",")))")
            }
            arguments += StatementArguments(sorted)
            if sorted.isEmpty { terms[terms.count - 1] = "0" }
        }
        if let modelID {
            terms.append("run.model_id = ?")
            arguments += [modelID]
        }
        if starredOnly { terms.append("run.starred = 1") }
        if let createdFrom {
            terms.append("run.created_at >= ?")
            arguments += [createdFrom.timeIntervalSince1970]
        }
        if let createdBefore {
            terms.append("run.created_at < ?")
            arguments += [createdBefore.timeIntervalSince1970]
        }
        if let tag {
            terms.append("run.id IN (SELECT run_id FROM run_tag WHERE tag = ?)")
            arguments += [tag]
        }
        let words = self.words
        if !words.isEmpty {
            switch searchMode {
            case .fts5:
                // Each word quoted (so no word is read as an FTS operator) and prefix-matched.
                let pattern = words.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"*" }
                    .joined(separator: " ")
                terms.append("run.seq IN (SELECT rowid FROM run_fts WHERE run_fts MATCH ?)")
                arguments += [pattern]
            case .fts4:
                let pattern = words.map { "\($0)*" }.joined(separator: " ")
                terms.append("run.seq IN (SELECT docid FROM run_fts WHERE run_fts MATCH ?)")
                arguments += [pattern]
            case .like:
                for word in words {
                    let escaped = word.replacingOccurrences(of: "\\", with: "\\\\")
                        .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                    terms.append("(run.prompt LIKE ? ESCAPE '\\' OR run.negative_prompt LIKE ? ESCAPE '\\')")
                    arguments += ["%\(escaped)%", "%\(escaped)%"]
                }
            }
        }
        return (terms.isEmpty ? "" : "WHERE " + terms.joined(separator: " AND "), arguments)
    }
}
