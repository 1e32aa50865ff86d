// The `zoetrope` PNG text chunk: a run's settings as JSON, written into every frame so any
// PNG can be dropped back in to remix it. The store neither reads nor writes PNG files;
// callers hand it text chunks as (keyword, text) pairs.
import Foundation

/// Encodes and decodes the JSON that Zoetrope puts in a PNG `zoetrope` text chunk.
///
/// The chunk is one JSON object: the indexed settings under short keys, then the engine's
/// full request, verbatim, under `"request"`:
/// `{"format":"zoetrope-run","version":1,"model":"…","prompt":"…",…,"seed":1234,"request":{…}}`.
public enum ZoetropeMetadata {
    /// The PNG text chunk keyword.
    public static let keyword = "zoetrope"
    /// The value of `"format"` in our JSON.
    public static let format = "zoetrope-run"
    /// The newest chunk version this code writes and reads.
    public static let version = 1

    private struct Fields: Codable {
        var format: String
        var version: Int
        var id: String?
        var model: String
        var prompt: String
        var negativePrompt: String?
        var frames: Int
        var width: Int
        var height: Int
        var steps: Int
        var guidance: Double
        var sampler: String
        var seed: UInt64
        var fps: Double

        enum CodingKeys: String, CodingKey {
            case format, version, id, model, prompt, frames, width, height, steps, guidance, sampler, seed, fps
            case negativePrompt = "negative_prompt"
        }
    }

    /// The text chunk for a run's frames.
    /// - Parameters:
    ///   - settings: the run's settings; `requestJSON` is embedded verbatim if it is valid JSON,
    ///     else as a JSON string.
    ///   - runID: the run's id, so a PNG can be traced to its history row.
    public static func textChunk(for settings: RunSettings, runID: String? = nil) -> (keyword: String, text: String) {
        let fields = Fields(format: format, version: version, id: runID, model: settings.modelID,
                            prompt: settings.prompt, negativePrompt: settings.negativePrompt,
                            frames: settings.frameCount, width: settings.width, height: settings.height,
                            steps: settings.stepCount, guidance: settings.guidanceScale,
                            sampler: settings.sampler, seed: settings.seed, fps: settings.fps)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Non-finite numbers would make encoding throw; spell them as strings instead.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var text = (try? encoder.encode(fields)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        let request: String
        if let data = settings.requestJSON.data(using: .utf8),
           (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
            request = settings.requestJSON
        } else {
            request = (try? encoder.encode(settings.requestJSON)).flatMap { String(data: $0, encoding: .utf8) } ?? "null"
        }
        text.removeLast() // the closing brace
        text += ",\"request\":\(request)}"
        return (keyword, text)
    }

    /// The settings in the first `zoetrope` chunk among a PNG's text chunks.
    /// - Throws: `HistoryStoreError.noZoetropeMetadata` listing the keywords found, or
    ///   `.badMetadata` naming the missing or wrong key.
    public static func settings(fromTextChunks chunks: [(keyword: String, text: String)]) throws -> RunSettings {
        guard let chunk = chunks.first(where: { $0.keyword == keyword }) else {
            throw HistoryStoreError.noZoetropeMetadata(keywordsFound: chunks.map(\.keyword))
        }
        return try settings(fromJSON: chunk.text)
    }

    /// The settings in one `zoetrope` chunk's JSON text.
    public static func settings(fromJSON text: String) throws -> RunSettings {
        let data = Data(text.utf8)
        let fields: Fields
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            fields = try decoder.decode(Fields.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw HistoryStoreError.badMetadata(reason: "the key \"\(key.stringValue)\" is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw HistoryStoreError.badMetadata(reason: "the key \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type (\(context.debugDescription))")
        } catch {
            throw HistoryStoreError.badMetadata(reason: "not a JSON object of our format (\(error))")
        }
        guard fields.format == format else {
            throw HistoryStoreError.badMetadata(reason: "\"format\" is \"\(fields.format)\", expected \"\(format)\"")
        }
        guard fields.version <= version else {
            throw HistoryStoreError.badMetadata(reason: "\"version\" is \(fields.version); this Zoetrope reads up to \(version)")
        }
        let request = RawJSON.value(ofKey: "request", inObject: text) ?? "{}"
        return RunSettings(modelID: fields.model, prompt: fields.prompt,
                           negativePrompt: fields.negativePrompt ?? "", frameCount: fields.frames,
                           width: fields.width, height: fields.height, stepCount: fields.steps,
                           guidanceScale: fields.guidance, sampler: fields.sampler, seed: fields.seed,
                           fps: fields.fps, requestJSON: request)
    }
}

/// Finds the raw text of a top-level key's value in a JSON object, so an embedded request
/// comes back byte for byte (re-serialising would change number spellings).
enum RawJSON {
    static func value(ofKey wanted: String, inObject text: String) -> String? {
        let bytes = Array(text.utf8)
        var i = 0
        func skipSpace() { while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 } }
        /// Skips a string starting at the quote; returns its raw contents.
        func skipString() -> String? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            let start = i + 1
            i += 1
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
                if bytes[i] == UInt8(ascii: "\"") { i += 1; return String(decoding: bytes[start..<(i - 1)], as: UTF8.self) }
                i += 1
            }
            return nil
        }
        /// Skips any value; nested objects and arrays by bracket depth, minding strings.
        func skipValue() -> Bool {
            skipSpace()
            guard i < bytes.count else { return false }
            if bytes[i] == UInt8(ascii: "\"") { return skipString() != nil }
            if bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") {
                var depth = 0
                while i < bytes.count {
                    switch bytes[i] {
                    case UInt8(ascii: "\""): if skipString() == nil { return false }; continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { i += 1; return true }
                    default: break
                    }
                    i += 1
                }
                return false
            }
            while i < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(bytes[i]) { i += 1 }
            return true
        }
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while i < bytes.count {
            skipSpace()
            guard let key = skipString() else { return nil }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            let start = i
            guard skipValue() else { return nil }
            if key == wanted {
                return String(decoding: bytes[start..<i], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return nil
    }
}
