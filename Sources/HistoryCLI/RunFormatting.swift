// How runs are printed: a table and a key/value page for people, JSON objects for scripts.
import Foundation
import HistoryStore

/// Text and JSON forms of runs and settings.
public enum RunFormatting {
    /// The characters of an id shown in tables (enough to name a run in the other commands).
    public static let shortIDLength = 8

    /// A table of runs, one line each, newest first as given.
    public static func table(_ records: [RunRecord], timeZone: TimeZone = .current) -> String {
        let header = ["ID", "CREATED", "STATUS", "★", "MODEL", "FRAMES", "SIZE", "STEPS", "SEED", "PROMPT"]
        let rows = records.map { r -> [String] in
            let s = r.settings
            return [String(r.id.prefix(shortIDLength)), localTime(r.createdAt, timeZone: timeZone), r.status.rawValue,
                    r.isStarred ? "★" : " ", s.modelID, "\(s.frameCount)", "\(s.width)×\(s.height)",
                    "\(s.stepCount)", "\(s.seed)", oneLine(s.prompt, limit: 60)]
        }
        let all = [header] + rows
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// Every field of one run, one per line, then the files of its folder.
    public static func page(_ r: RunRecord, folder: URL, files: [String], timeZone: TimeZone = .current) -> String {
        let s = r.settings
        var lines: [(String, String)] = [
            ("id", r.id),
            ("status", r.status.rawValue + (r.errorMessage.map { " — \($0)" } ?? "")),
            ("created", localTime(r.createdAt, timeZone: timeZone, seconds: true)),
        ]
        if let finished = r.finishedAt { lines.append(("finished", localTime(finished, timeZone: timeZone, seconds: true))) }
        if let duration = r.duration { lines.append(("duration", String(format: "%.1f s", duration))) }
        lines.append(("starred", r.isStarred ? "yes" : "no"))
        if !r.tags.isEmpty { lines.append(("tags", r.tags.joined(separator: ", "))) }
        lines += settingsLines(s)
        if let engine = r.engineVersion { lines.append(("engine", engine)) }
        lines.append(("folder", files.isEmpty ? "\(folder.path) (no files)" : folder.path))
        var text = aligned(lines)
        for file in files { text += "  \(file)\n" }
        text += "request: \(s.requestJSON)\n"
        return text
    }

    /// The settings as aligned `key  value` lines (for `import-settings`).
    public static func settingsText(_ s: RunSettings) -> String {
        aligned(settingsLines(s)) + "request: \(s.requestJSON)\n"
    }

    /// One run as a JSON object (the request embedded as JSON).
    public static func json(_ r: RunRecord, folder: URL?) -> [String: Any] {
        var object = settingsJSON(r.settings)
        object["id"] = r.id
        object["status"] = r.status.rawValue
        object["created_at"] = isoTime(r.createdAt)
        object["finished_at"] = r.finishedAt.map(isoTime) ?? NSNull()
        object["duration_seconds"] = r.duration ?? NSNull()
        object["starred"] = r.isStarred
        object["tags"] = r.tags
        object["error"] = r.errorMessage ?? NSNull()
        object["engine_version"] = r.engineVersion ?? NSNull()
        if let folder { object["folder"] = folder.path }
        return object
    }

    /// Settings as a JSON object, with the request parsed (or as a string if it is not JSON).
    public static func settingsJSON(_ s: RunSettings) -> [String: Any] {
        let request = (try? JSONSerialization.jsonObject(with: Data(s.requestJSON.utf8), options: [.fragmentsAllowed]))
            ?? s.requestJSON
        return ["model": s.modelID, "prompt": s.prompt, "negative_prompt": s.negativePrompt,
                "frames": s.frameCount, "width": s.width, "height": s.height, "steps": s.stepCount,
                "guidance": s.guidanceScale, "sampler": s.sampler, "seed": s.seed, "fps": s.fps,
                "request": request]
    }

    /// JSON text of an object or array, keys sorted, ending in a newline.
    public static func jsonText(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value,
                                                     options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return "null\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: Helpers

    static func settingsLines(_ s: RunSettings) -> [(String, String)] {
        [("model", s.modelID), ("prompt", s.prompt), ("negative", s.negativePrompt.isEmpty ? "—" : s.negativePrompt),
         ("frames", "\(s.frameCount) at \(number(s.fps)) fps, \(s.width)×\(s.height)"),
         ("steps", "\(s.stepCount), CFG \(number(s.guidanceScale))"), ("sampler", s.sampler), ("seed", "\(s.seed)")]
    }

    static func aligned(_ lines: [(String, String)]) -> String {
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { key, value in
            (key + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + " "
                + value.replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: width + 2))
        }.joined(separator: "\n") + "\n"
    }

    static func oneLine(_ text: String, limit: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    static func localTime(_ date: Date, timeZone: TimeZone, seconds: Bool = false) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = timeZone
        f.dateFormat = seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm"
        return f.string(from: date)
    }

    static func isoTime(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}
