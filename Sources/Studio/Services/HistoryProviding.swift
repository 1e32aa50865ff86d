import Foundation
import Engine
import HistoryStore
import RunArchive

/// One past run as the history browser lists it.
public struct HistoryEntry: Equatable, Sendable, Identifiable {
    /// The store's run id (a UUID string for the SQLite store; also its folder name).
    public var id: String
    public var date: Date
    /// How it ended, or that it is running or was interrupted (the store's own status).
    public var status: RunStatus
    /// The settings, with the seed actually used.
    public var request: JobRequest
    public var durationSeconds: Double
    public var starred: Bool
    public var thumbnail: PixelImage?
    /// Why a failed or interrupted run ended (the store's error message).
    public var failureMessage: String?

    public init(id: String, date: Date, status: RunStatus, request: JobRequest, durationSeconds: Double,
                starred: Bool = false, thumbnail: PixelImage? = nil, failureMessage: String? = nil) {
        self.failureMessage = failureMessage
        self.id = id
        self.date = date
        self.status = status
        self.request = request
        self.durationSeconds = durationSeconds
        self.starred = starred
        self.thumbnail = thumbnail
    }

    public var prompt: String { request.prompt }
    public var model: String { request.model }
    public var frames: Int { request.frames }
    public var width: Int { request.width }
    public var height: Int { request.height }
    public var steps: Int { request.steps }
    public var seed: UInt64? { request.seed }
}

/// Which runs to list.
public struct HistoryQuery: Equatable, Sendable {
    /// Words that must all appear in the prompt (case-insensitive); empty lists everything.
    public var text: String
    public var starredOnly: Bool
    public init(text: String = "", starredOnly: Bool = false) {
        self.text = text
        self.starredOnly = starredOnly
    }

    /// Whether `entry` matches (the rule the in-memory store uses; real stores may rank).
    public func matches(_ entry: HistoryEntry) -> Bool {
        if starredOnly && !entry.starred { return false }
        let words = text.lowercased().split(separator: " ")
        let haystack = (entry.prompt + " " + entry.request.negativePrompt + " " + entry.model).lowercased()
        return words.allSatisfy { haystack.contains($0) }
    }
}

/// What the studio needs from the history store. The coordinator adapts the real SQLite
/// store; `InMemoryHistory` serves tests.
///
/// A run is written in two moves, as the store keeps it: `begin` when the job is submitted
/// (the row is `running` with the seed and settings, so a crash still leaves them), then
/// exactly one of `finish`, `fail` or `cancel` on that row when the job ends.
public protocol HistoryProviding: Sendable {
    /// Runs matching `query`, newest first.
    func entries(matching query: HistoryQuery) async throws -> [HistoryEntry]
    /// Records a run as `running` before generation starts; returns its id.
    /// - Parameter request: the settings, with the seed that will be used (never nil: pick
    ///   the seed before beginning, or the row could not say which one was used).
    /// - Throws: `HistoryWriteError.seedNotChosen` for a request without a seed.
    func begin(request: JobRequest, started: Date) async throws -> String
    /// Stores the frames of a run begun with `begin` and marks it `finished`; returns its entry.
    func finish(_ id: String, result: JobResult, durationSeconds: Double) async throws -> HistoryEntry
    /// Marks a running run `failed`, keeping why; returns its entry.
    func fail(_ id: String, message: String) async throws -> HistoryEntry
    /// Marks a running run `cancelled`: settings kept, no frames; returns its entry.
    func cancel(_ id: String) async throws -> HistoryEntry
    func setStarred(_ id: String, _ starred: Bool) async throws
    func delete(_ id: String) async throws
    /// The settings of a run, for remix; nil if no run has this id.
    func request(of id: String) async throws -> JobRequest?
    /// The frames of a run, to play it (empty for runs without frames).
    func frames(of id: String) async throws -> [PixelImage]
    /// Exports a run (frames and metadata); returns where it went.
    func export(_ id: String) async throws -> URL
    /// The phase timings of the newest finished runs of `model`, newest first, for the time
    /// estimate.
    func timingSamples(model: String) async throws -> [RunTimingSample]
}

/// What a history refuses to write.
public enum HistoryWriteError: Error, Equatable, CustomStringConvertible {
    /// The request asks for a random seed: the seed must be chosen before the run is begun.
    case seedNotChosen
    /// Only a `running` run can be finished, failed or cancelled (nil status: no such run).
    case notRunning(id: String, status: RunStatus?)
    /// The result says the engine used another seed than the one the run was begun with.
    case seedMismatch(begun: UInt64, used: UInt64)

    public var description: String {
        switch self {
        case .seedNotChosen:
            return "A run is recorded with the seed it uses, and this request has none: choose the seed before "
                + "beginning the run."
        case let .notRunning(id, nil):
            return "No run has the id \(id)."
        case let .notRunning(id, status?):
            return "Run \(id) is \(status.rawValue), not running, so it cannot end again."
        case let .seedMismatch(begun, used):
            return "The run was begun with seed \(begun) but the engine used \(used); its frames were not saved "
                + "under the wrong seed."
        }
    }
}

/// History kept in memory: for tests, and for running the studio without a store.
public actor InMemoryHistory: HistoryProviding {
    private var items: [HistoryEntry] = []
    private var clips: [String: [PixelImage]] = [:]
    private var nextNumber = 1
    private var timings: [String: [RunTimingSample]] = [:]
    private let exportFolder: URL
    /// Ids exported, in order.
    public private(set) var exported: [String] = []
    /// Why each failed run failed, by id.
    public private(set) var failureMessages: [String: String] = [:]

    public init(entries: [HistoryEntry] = [], exportFolder: URL = URL(fileURLWithPath: "/tmp/zoetrope-export")) {
        items = entries
        nextNumber = (entries.compactMap { Int($0.id) }.max() ?? 0) + 1
        self.exportFolder = exportFolder
    }

    public func entries(matching query: HistoryQuery) -> [HistoryEntry] {
        items.filter(query.matches).sorted { $0.date > $1.date || ($0.date == $1.date && $0.id > $1.id) }
    }

    public func begin(request: JobRequest, started: Date) throws -> String {
        guard request.seed != nil else { throw HistoryWriteError.seedNotChosen }
        let entry = HistoryEntry(id: String(nextNumber), date: started, status: .running, request: request,
                                 durationSeconds: 0)
        nextNumber += 1
        items.append(entry)
        return entry.id
    }

    public func finish(_ id: String, result: JobResult, durationSeconds: Double) throws -> HistoryEntry {
        if let begun = items.first(where: { $0.id == id && $0.status == .running })?.request.seed,
           begun != result.seed {
            let error = HistoryWriteError.seedMismatch(begun: begun, used: result.seed)
            _ = try fail(id, message: "saving the run failed: \(error)")
            throw error
        }
        let images = result.frames.map { PixelImage(width: result.width, height: result.height, rgb: $0) }
        let entry = try end(id, as: .finished, durationSeconds: durationSeconds, thumbnail: images.first)
        clips[id] = images
        timings[entry.request.model, default: []].insert(RunTimingSample(request: entry.request, seconds: result.timings), at: 0)
        return entry
    }

    public func fail(_ id: String, message: String) throws -> HistoryEntry {
        var entry = try end(id, as: .failed)
        failureMessages[id] = message
        if let i = items.firstIndex(where: { $0.id == id }) { items[i].failureMessage = message }
        entry.failureMessage = message
        return entry
    }

    public func cancel(_ id: String) throws -> HistoryEntry {
        try end(id, as: .cancelled)
    }

    public func timingSamples(model: String) -> [RunTimingSample] {
        timings[model] ?? []
    }

    public func setStarred(_ id: String, _ starred: Bool) {
        if let i = items.firstIndex(where: { $0.id == id }) { items[i].starred = starred }
    }

    public func delete(_ id: String) {
        items.removeAll { $0.id == id }
        clips[id] = nil
    }

    public func request(of id: String) -> JobRequest? { items.first { $0.id == id }?.request }

    public func frames(of id: String) -> [PixelImage] { clips[id] ?? [] }

    public func export(_ id: String) -> URL {
        exported.append(id)
        return exportFolder.appendingPathComponent("run-\(id)")
    }

    /// Gives a running run its final status; the duration runs to now unless given.
    private func end(_ id: String, as status: RunStatus, durationSeconds: Double? = nil,
                     thumbnail: PixelImage? = nil) throws -> HistoryEntry {
        guard let i = items.firstIndex(where: { $0.id == id }), items[i].status == .running else {
            throw HistoryWriteError.notRunning(id: id, status: items.first { $0.id == id }?.status)
        }
        items[i].status = status
        items[i].durationSeconds = durationSeconds ?? max(0, Date().timeIntervalSince(items[i].date))
        items[i].thumbnail = thumbnail
        return items[i]
    }
}
