// Rebuilding the index from the run folders: every finished run's folder holds `run.json`
// (`RunSidecar`), which says everything its row said. A lost, emptied or truncated index
// used to show "0 runs" beside folders full of runs; `repair` puts their rows back.
import Foundation

/// What a repair did.
public struct RepairReport: Sendable, Equatable {
    /// Runs whose rows were restored from their `run.json`, in folder-name order.
    public var restored: [String] = []
    /// Folders in `runs/` that could not be restored, each with why.
    public var skipped: [Skipped] = []
    /// Folders whose run already has a row (left as they are).
    public var alreadyIndexed = 0

    public struct Skipped: Sendable, Equatable {
        public var folder: String
        public var reason: String
    }
}

extension HistoryStore {
    /// Adds a row for every run folder in `runs/` whose `run.json` is readable and whose id has
    /// no row yet. Rows already in the index are never changed, and no file is moved, written
    /// or deleted: a folder that cannot be read is reported and left alone.
    @discardableResult
    public func repair() throws -> RepairReport {
        let runs = directory.appendingPathComponent(StoreLayout.runsFolderName, isDirectory: true)
        var report = RepairReport()
        var records: [RunRecord] = []
        for name in fileSystem.contents(ofDirectory: runs).sorted() where !name.hasPrefix(".") {
            guard StoreLayout.isSafeFolderName(name) else { continue }
            if try run(id: name) != nil {
                report.alreadyIndexed += 1
                continue
            }
            let sidecar = runs.appendingPathComponent(name).appendingPathComponent(StoreLayout.sidecarFileName)
            do {
                guard let data = FileManager.default.contents(atPath: sidecar.path) else {
                    throw RunSidecar.Unreadable(reason: "it has no readable \(StoreLayout.sidecarFileName)")
                }
                let record = try RunSidecar.record(from: data)
                guard record.id == name else {
                    throw RunSidecar.Unreadable(reason: "its \(StoreLayout.sidecarFileName) names run \(record.id), "
                        + "not the folder's name")
                }
                records.append(record)
                report.restored.append(name)
            } catch let error as RunSidecar.Unreadable {
                report.skipped.append(.init(folder: name, reason: error.reason))
            }
        }
        if !records.isEmpty {
            try add(records)
            for record in records where !record.tags.isEmpty { try setTags(record.tags, forRun: record.id) }
        }
        return report
    }

    /// Carries a change of a finished run's star or tags into its `run.json`, so a rebuilt
    /// index keeps what a person kept. Best effort: the index is the truth while it lives, and
    /// a sidecar that cannot be rewritten (disk full) keeps its older values.
    func updateSidecar(ofRun id: String, _ change: (inout [String: Any]) -> Void) {
        guard StoreLayout.isSafeFolderName(id) else { return }
        let url = directory.appendingPathComponent(StoreLayout.runsFolderName, isDirectory: true)
            .appendingPathComponent(id, isDirectory: true).appendingPathComponent(StoreLayout.sidecarFileName)
        guard let data = FileManager.default.contents(atPath: url.path),
              var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              object["format"] as? String == "zoetrope-run-sidecar" else { return }
        change(&object)
        guard let updated = try? JSONSerialization.data(withJSONObject: object,
                                                        options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return }
        try? fileSystem.write(updated + Data("\n".utf8), to: url)
    }

    /// Whether the index has no run at all while `runs/` holds folders with a `run.json`:
    /// the sign of an index that was lost, emptied or replaced.
    func indexLostItsRuns() throws -> Bool {
        guard try count() == 0 else { return false }
        let runs = directory.appendingPathComponent(StoreLayout.runsFolderName, isDirectory: true)
        return fileSystem.contents(ofDirectory: runs).contains { name in
            StoreLayout.isSafeFolderName(name)
                && fileSystem.exists(runs.appendingPathComponent(name).appendingPathComponent(StoreLayout.sidecarFileName))
        }
    }
}

extension RunSidecar {
    /// Why a `run.json` cannot give back its run.
    struct Unreadable: Error {
        var reason: String
    }

    /// The record a sidecar written by `json(for:timings:files:)` describes.
    static func record(from data: Data) throws -> RunRecord {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let fields: Fields
        do {
            fields = try decoder.decode(Fields.self, from: data)
        } catch {
            throw Unreadable(reason: "its \(StoreLayout.sidecarFileName) is not a run sidecar (\(error))")
        }
        guard fields.format == "zoetrope-run-sidecar" else {
            throw Unreadable(reason: "its format is \"\(fields.format)\", not \"zoetrope-run-sidecar\"")
        }
        guard fields.version <= formatVersion else {
            throw Unreadable(reason: "it was written by a newer Zoetrope (sidecar version \(fields.version); "
                + "this one reads up to \(formatVersion))")
        }
        guard let status = RunStatus(rawValue: fields.status), status != .running else {
            throw Unreadable(reason: "its status \"\(fields.status)\" is not a final one")
        }
        let dates = ISO8601DateFormatter()
        dates.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let created = dates.date(from: fields.createdAt) else {
            throw Unreadable(reason: "its created_at \"\(fields.createdAt)\" is not an ISO 8601 date")
        }
        // The request was embedded verbatim; it comes back as compact JSON with sorted keys.
        var requestJSON = "{}"
        if let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let request = object["request"],
           let encoded = try? JSONSerialization.data(withJSONObject: request,
                                                     options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]) {
            requestJSON = String(decoding: encoded, as: UTF8.self)
        }
        let settings = RunSettings(modelID: fields.model, prompt: fields.prompt, negativePrompt: fields.negativePrompt,
                                   frameCount: fields.frames, width: fields.width, height: fields.height,
                                   stepCount: fields.steps, guidanceScale: fields.guidance, sampler: fields.sampler,
                                   seed: fields.seed, fps: fields.fps, requestJSON: requestJSON)
        return RunRecord(id: fields.id, createdAt: created, finishedAt: fields.finishedAt.flatMap(dates.date(from:)),
                         status: status, settings: settings, isStarred: fields.starred,
                         tags: RunRow.normalizedTags(fields.tags), duration: fields.durationSeconds,
                         engineVersion: fields.engineVersion)
    }
}
