// The record of one generation run, as the history index keeps it.
import Foundation

/// Where a run is in its life. A run is written as `running` before generation starts,
/// so a crash still leaves its seed and settings behind.
public enum RunStatus: String, Sendable, CaseIterable, Codable {
    /// Generation is under way (or the process died; see `interrupted`).
    case running
    /// Frames are in the run's folder and the row was committed after them.
    case finished
    /// Generation stopped with an error; `errorMessage` says which.
    case failed
    /// The user cancelled; settings are kept, no frames.
    case cancelled
    /// The process that owned a `running` run died before finishing it.
    case interrupted
}

/// The settings a run was made with: the indexed columns plus the full request.
///
/// The engine defines the request; the store keeps it opaque in `requestJSON` and copies
/// the fields it filters, searches and shows into their own columns.
public struct RunSettings: Sendable, Equatable, Codable {
    /// The model's id (for example `tiny-shapes` or a diffusers folder name).
    public var modelID: String
    public var prompt: String
    public var negativePrompt: String
    public var frameCount: Int
    public var width: Int
    public var height: Int
    public var stepCount: Int
    public var guidanceScale: Double
    public var sampler: String
    /// The seed actually used (never a "random" placeholder).
    public var seed: UInt64
    public var fps: Double
    /// The full request as JSON text, exactly as the engine wrote it.
    public var requestJSON: String

    public init(modelID: String, prompt: String, negativePrompt: String = "",
                frameCount: Int, width: Int, height: Int, stepCount: Int,
                guidanceScale: Double, sampler: String, seed: UInt64, fps: Double,
                requestJSON: String = "{}") {
        self.modelID = modelID
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.frameCount = frameCount
        self.width = width
        self.height = height
        self.stepCount = stepCount
        self.guidanceScale = guidanceScale
        self.sampler = sampler
        self.seed = seed
        self.fps = fps
        self.requestJSON = requestJSON
    }
}

/// One row of the history: a run's settings, state, favourites and where its files are.
public struct RunRecord: Sendable, Equatable, Identifiable {
    /// A UUID string; also the name of the run's folder.
    public var id: String
    public var createdAt: Date
    /// When the run reached a final status; nil while running.
    public var finishedAt: Date?
    public var status: RunStatus
    public var settings: RunSettings
    public var isStarred: Bool
    /// Free tags, sorted, without duplicates.
    public var tags: [String]
    /// Seconds from start to the final status; nil while running.
    public var duration: TimeInterval?
    /// Why a run failed or was interrupted.
    public var errorMessage: String?
    /// The run's folder relative to the store's directory (`runs/<id>`);
    /// `HistoryStore.folderURL(for:)` gives the absolute URL.
    public var folderPath: String
    /// The engine version that made the run, once known.
    public var engineVersion: String?

    public init(id: String = UUID().uuidString, createdAt: Date = Date(), finishedAt: Date? = nil,
                status: RunStatus = .running, settings: RunSettings, isStarred: Bool = false,
                tags: [String] = [], duration: TimeInterval? = nil, errorMessage: String? = nil,
                folderPath: String? = nil, engineVersion: String? = nil) {
        self.id = id
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.status = status
        self.settings = settings
        self.isStarred = isStarred
        self.tags = tags
        self.duration = duration
        self.errorMessage = errorMessage
        self.folderPath = folderPath ?? "\(StoreLayout.runsFolderName)/\(id)"
        self.engineVersion = engineVersion
    }
}
