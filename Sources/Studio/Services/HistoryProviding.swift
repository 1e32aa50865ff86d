import Foundation
import Engine

/// Where a past run is: how it ended, or that it is still running (in this or another
/// process) or was cut short by a process that died.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case finished, failed, cancelled
    /// Generation is under way (possibly in another Zoetrope process).
    case running
    /// The process that ran it ended before it finished; its settings are kept.
    case interrupted
}

/// A small RGB picture (row-major RGB8).
public struct PixelImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var rgb: [UInt8]

    public init(width: Int, height: Int, rgb: [UInt8]) {
        precondition(rgb.count == width * height * 3, "rgb must hold width*height*3 bytes")
        self.width = width
        self.height = height
        self.rgb = rgb
    }

    /// The pixel at (x, y) as (r, g, b).
    @inline(__always)
    public func pixel(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (rgb[i], rgb[i + 1], rgb[i + 2])
    }
}

/// One past run as the history browser lists it.
public struct HistoryEntry: Equatable, Sendable, Identifiable {
    /// The store's run id (a UUID string for the SQLite store; also its folder name).
    public var id: String
    public var date: Date
    public var status: RunStatus
    /// The settings, with the seed actually used.
    public var request: JobRequest
    public var durationSeconds: Double
    public var starred: Bool
    public var thumbnail: PixelImage?

    public init(id: String, date: Date, status: RunStatus, request: JobRequest, durationSeconds: Double,
                starred: Bool = false, thumbnail: PixelImage? = nil) {
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

/// What the history browser needs from the history store. The coordinator adapts the real
/// SQLite store; `InMemoryHistory` serves tests.
public protocol HistoryProviding: Sendable {
    /// Runs matching `query`, newest first.
    func entries(matching query: HistoryQuery) async throws -> [HistoryEntry]
    /// Records a run that ended; returns its entry.
    /// - Parameters:
    ///   - result: the frames and seed of a finished run; nil for failed and cancelled runs.
    ///   - failureMessage: why a failed run failed (kept with the run), nil otherwise.
    func record(request: JobRequest, status: RunStatus, result: JobResult?, started: Date,
                durationSeconds: Double, failureMessage: String?) async throws -> HistoryEntry
    func setStarred(_ id: String, _ starred: Bool) async throws
    func delete(_ id: String) async throws
    /// The settings of a run, for remix; nil if no run has this id.
    func request(of id: String) async throws -> JobRequest?
    /// The frames of a run, to play it (empty for runs without frames).
    func frames(of id: String) async throws -> [PixelImage]
    /// Exports a run (frames and metadata); returns where it went.
    func export(_ id: String) async throws -> URL
}

/// History kept in memory: for tests, and for running the studio without a store.
public actor InMemoryHistory: HistoryProviding {
    private var items: [HistoryEntry] = []
    private var clips: [String: [PixelImage]] = [:]
    private var nextNumber = 1
    private let exportFolder: URL
    /// Ids exported, in order.
    public private(set) var exported: [String] = []

    public init(entries: [HistoryEntry] = [], exportFolder: URL = URL(fileURLWithPath: "/tmp/zoetrope-export")) {
        items = entries
        nextNumber = (entries.compactMap { Int($0.id) }.max() ?? 0) + 1
        self.exportFolder = exportFolder
    }

    public func entries(matching query: HistoryQuery) -> [HistoryEntry] {
        items.filter(query.matches).sorted { $0.date > $1.date || ($0.date == $1.date && $0.id > $1.id) }
    }

    public func record(request: JobRequest, status: RunStatus, result: JobResult?, started: Date,
                       durationSeconds: Double, failureMessage: String?) -> HistoryEntry {
        var images: [PixelImage] = []
        if let result {
            images = result.frames.map { PixelImage(width: result.width, height: result.height, rgb: $0) }
        }
        let entry = HistoryEntry(id: String(nextNumber), date: started, status: status,
                                 request: result?.request ?? request, durationSeconds: durationSeconds,
                                 thumbnail: images.first)
        nextNumber += 1
        items.append(entry)
        clips[entry.id] = images
        return entry
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
}
