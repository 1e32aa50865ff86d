// Locating and reading the committed tokenizer fixtures (Tests/Fixtures/tokenizers/), made by
//   tools/reference/generate_all.sh

import Foundation

enum Fixtures {
    /// Tests/Fixtures/tokenizers/
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("tokenizers")

    static let unigram = root.appendingPathComponent("unigram")
    static let clip = root.appendingPathComponent("clip")
    /// OpenAI CLIP's real 49,408-token vocabulary with SD 1.x configs; `sd2/` holds SD 2.x configs.
    static let clipOpenAI = root.appendingPathComponent("clip-openai")

    static let regenerate = "regenerate with: tools/reference/generate_all.sh"

    struct Prompt {
        var name: String
        var text: String
        /// tokenizer kind ("unigram" / "clip") → why Swift is known to differ there.
        var knownDivergent: [String: String]
    }

    struct Case {
        var ids: [Int]
        var mask: [Int]
    }

    struct Expected {
        var name: String
        var cases: [String: Case]
        var tokens: [String]
    }

    static func json(_ name: String) throws -> [String: Any] {
        try json(at: root.appendingPathComponent(name))
    }

    static func json(at url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }

    static func prompts() throws -> [Prompt] {
        let list = try json("corpus.json")["prompts"] as? [[String: Any]] ?? []
        return list.map { entry in
            Prompt(name: entry["name"] as? String ?? "", text: entry["text"] as? String ?? "",
                   knownDivergent: entry["known_divergent"] as? [String: String] ?? [:])
        }
    }

    /// Expected results for "unigram" or "clip" (expected.json), or for "sd15" / "sd2" when `file` is
    /// clip-openai/expected.json, in corpus order, plus the header ids.
    static func expected(_ kind: String, file: String = "expected.json") throws -> (entries: [Expected], header: [String: Int]) {
        let section = try json(file)[kind] as? [String: Any] ?? [:]
        var header: [String: Int] = [:]
        for (key, value) in section where key != "entries" { header[key] = (value as? NSNumber)?.intValue }
        let entries = (section["entries"] as? [[String: Any]] ?? []).map { entry -> Expected in
            var cases: [String: Case] = [:]
            for (key, value) in entry {
                guard let c = value as? [String: Any], let ids = c["ids"] as? [NSNumber], let mask = c["mask"] as? [NSNumber] else { continue }
                cases[key] = Case(ids: ids.map(\.intValue), mask: mask.map(\.intValue))
            }
            return Expected(name: entry["name"] as? String ?? "", cases: cases, tokens: entry["tokens"] as? [String] ?? [])
        }
        return (entries, header)
    }
}
