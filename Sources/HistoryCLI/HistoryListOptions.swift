// Which runs `zoetrope history list` / `search` show: page, statuses, model, favourites,
// dates; turned into the store's `RunFilter` with errors that name the bad value.
import Foundation
import HistoryStore

/// The list options as typed on the command line (strings are checked here, so the
/// messages can name what was wrong and what would be valid).
public struct HistoryListOptions: Sendable, Equatable {
    public var limit: Int
    public var offset: Int
    /// Status names, each possibly comma-separated (`finished,failed`).
    public var statuses: [String]
    public var model: String?
    public var starredOnly: Bool
    /// `YYYY-MM-DD` (from local midnight) or a date and time (`YYYY-MM-DDTHH:MM[:SS]`,
    /// optionally with `Z` or `±HH:MM`).
    public var since: String?
    /// As `since`; a date alone includes that whole day.
    public var until: String?

    public init(limit: Int = 20, offset: Int = 0, statuses: [String] = [], model: String? = nil,
                starredOnly: Bool = false, since: String? = nil, until: String? = nil) {
        self.limit = limit
        self.offset = offset
        self.statuses = statuses
        self.model = model
        self.starredOnly = starredOnly
        self.since = since
        self.until = until
    }

    /// The store's filter for these options, with `text` as the prompt search.
    /// - Throws: `HistoryCommandError.badOption` naming the option and value.
    public func filter(text: String? = nil, timeZone: TimeZone = .current) throws -> RunFilter {
        guard limit >= 1 else { throw HistoryCommandError.badOption("--limit", "\(limit)", valid: "a whole number ≥ 1") }
        guard offset >= 0 else { throw HistoryCommandError.badOption("--offset", "\(offset)", valid: "a whole number ≥ 0") }
        var filter = RunFilter(modelID: model, starredOnly: starredOnly, text: text)
        let names = statuses.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        if !names.isEmpty {
            filter.statuses = try Set(names.map { name in
                guard let status = RunStatus(rawValue: name) else {
                    throw HistoryCommandError.badOption("--status", name,
                                                       valid: RunStatus.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return status
            })
        }
        if let since {
            filter.createdFrom = try Self.parseDate(since, option: "--since", timeZone: timeZone).start
        }
        if let until {
            let parsed = try Self.parseDate(until, option: "--until", timeZone: timeZone)
            if parsed.wholeDay {
                // The next midnight: one calendar day, right across a daylight-saving change.
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = timeZone
                filter.createdBefore = calendar.date(byAdding: .day, value: 1, to: parsed.start)
                    ?? parsed.start.addingTimeInterval(86_400)
            } else {
                filter.createdBefore = parsed.start
            }
        }
        if let from = filter.createdFrom, let before = filter.createdBefore, from >= before {
            throw HistoryCommandError.badOption("--since/--until", "\(since ?? "") … \(until ?? "")",
                                                valid: "a --since earlier than --until")
        }
        return filter
    }

    /// A date (midnight, `wholeDay` true) or a moment.
    static func parseDate(_ text: String, option: String, timeZone: TimeZone) throws -> (start: Date, wholeDay: Bool) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func formatter(_ format: String) -> DateFormatter {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.calendar = Calendar(identifier: .gregorian)
            f.timeZone = timeZone
            f.isLenient = false
            f.dateFormat = format
            return f
        }
        if let day = formatter("yyyy-MM-dd").date(from: trimmed) { return (day, true) }
        for format in ["yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mmXXXXX", "yyyy-MM-dd'T'HH:mm:ss",
                       "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm"] {
            if let date = formatter(format).date(from: trimmed) { return (date, false) }
        }
        throw HistoryCommandError.badOption(option, text, valid: "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]")
    }
}
