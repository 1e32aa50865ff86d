// run.json: the sidecar in every finished run's folder, so the folder alone (exported,
// copied, or with the index lost) still tells how it was made.
import Foundation

enum RunSidecar {
    static let formatVersion = 1

    /// The sidecar's fields (all but the embedded request); written by `json`, read back by
    /// `record(from:)` when an index is rebuilt.
    struct Fields: Codable {
        var format = "zoetrope-run-sidecar"
        var version = RunSidecar.formatVersion
        var id: String
        var status: String
        var createdAt: String
        var finishedAt: String?
        var durationSeconds: Double?
        var engineVersion: String?
        var timings: [String: Double]
        var files: [String]
        var model: String
        var prompt: String
        var negativePrompt: String
        var frames: Int
        var width: Int
        var height: Int
        var steps: Int
        var guidance: Double
        var sampler: String
        var seed: UInt64
        var fps: Double
        var starred: Bool
        var tags: [String]

        enum CodingKeys: String, CodingKey {
            case format, version, id, status, timings, files, model, prompt, frames, width, height
            case steps, guidance, sampler, seed, fps, starred, tags
            case createdAt = "created_at", finishedAt = "finished_at", durationSeconds = "duration_seconds"
            case engineVersion = "engine_version", negativePrompt = "negative_prompt"
        }
    }

    /// The sidecar's JSON text; the request is embedded verbatim under `"request"`.
    static func json(for record: RunRecord, timings: [String: Double], files: [String]) -> String {
        let dates = ISO8601DateFormatter()
        dates.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let s = record.settings
        let fields = Fields(id: record.id, status: record.status.rawValue,
                            createdAt: dates.string(from: record.createdAt),
                            finishedAt: record.finishedAt.map(dates.string(from:)),
                            durationSeconds: record.duration, engineVersion: record.engineVersion,
                            timings: timings, files: files, model: s.modelID, prompt: s.prompt,
                            negativePrompt: s.negativePrompt, frames: s.frameCount, width: s.width,
                            height: s.height, steps: s.stepCount, guidance: s.guidanceScale,
                            sampler: s.sampler, seed: s.seed, fps: s.fps, starred: record.isStarred,
                            tags: record.tags)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Non-finite numbers would make encoding throw; spell them as strings instead.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var text = (try? encoder.encode(fields)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        let request: String
        if let data = s.requestJSON.data(using: .utf8),
           (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
            request = s.requestJSON
        } else {
            request = (try? encoder.encode(s.requestJSON)).flatMap { String(data: $0, encoding: .utf8) } ?? "null"
        }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        text.removeLast() // the closing brace of the object
        text += ",\n  \"request\" : \(request)\n}\n"
        return text
    }
}

extension RunSidecar {
    /// The phase timings of a sidecar, finite and non-negative ones only; nil if it is not one.
    static func timings(from data: Data) -> [String: Double]? {
        struct Timings: Decodable { var format: String; var timings: [String: Double] }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let read = try? decoder.decode(Timings.self, from: data), read.format == "zoetrope-run-sidecar" else { return nil }
        return read.timings.filter { $0.value.isFinite && $0.value >= 0 }
    }
}
