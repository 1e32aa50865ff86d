import Foundation
import Engine
import RunArchive

/// Which screen is showing.
public enum StudioMode: Equatable, Sendable { case compose, history, queue }

/// Where the keyboard goes on the compose screen.
public enum ComposeFocus: Equatable, Sendable {
    case prompt, negative
    case setting(SettingField)
    case preview

    /// Tab order, with the settings `fields` shows.
    static func order(_ fields: [SettingField]) -> [ComposeFocus] {
        [.prompt, .negative] + fields.map { .setting($0) } + [.preview]
    }
}

/// Something drawn over the current screen.
public enum StudioOverlay: Equatable, Sendable {
    case help
    case confirmDelete(String)
    /// Quitting would cancel this many running or queued runs: asks first.
    case confirmQuit(Int)
    /// The run as set would take longer than a minute (the estimate): asks before starting it.
    case confirmLongRun(RunTimeEstimate, JobRequest)
    /// A finished run could not be saved (the reason): stays until a key acknowledges it.
    case runNotSaved(String)
    /// Messages too long for the status line, or several at once (start-up warnings), shown
    /// whole until a key closes them.
    case notes([String])
}

/// The compose screen's fields.
public struct ComposeState: Sendable {
    public var prompt = TextEditor()
    public var negative = TextEditor()
    public var settings = ComposeSettings()
    public var focus: ComposeFocus = .prompt {
        didSet { if focus != oldValue { replacesOnType = true } }
    }
    /// Typing goes into the focused field; when false, letters are commands.
    public var editing = true
    /// A number field just focused shows its value selected: the first character typed
    /// replaces it (Steps 20, type 8 → 8, not 208). Any other edit keeps the value.
    public var replacesOnType = true
}

/// How the preview pane shows frames.
public struct PlaybackState: Sendable {
    public var playing = true
    public var contactSheet = false
    /// The frame shown while paused.
    public var frame = 0
    /// A step chosen to look at (nil: follow the newest).
    public var scrubStep: Int?
    /// When playback (re)started, for the frame clock.
    public var started = Date(timeIntervalSince1970: 0)
}

/// The history screen.
public struct HistoryBrowserState: Sendable {
    public var entries: [HistoryEntry] = []
    public var selected = 0
    public var query = TextEditor()
    public var searching = false
    public var starredOnly = false
    /// Frames of the selected run, once loaded.
    public var frames: [String: [PixelImage]] = [:]

    public var current: HistoryEntry? { entries.indices.contains(selected) ? entries[selected] : nil }
    public var historyQuery: HistoryQuery { HistoryQuery(text: query.text, starredOnly: starredOnly) }
}

/// A line of feedback at the bottom of the screen.
public struct StatusMessage: Equatable, Sendable {
    public enum Kind: Sendable { case info, error }
    public var text: String
    public var kind: Kind
}

/// The whole state of the studio. Changed only by `StudioReducer`.
public struct StudioState: Sendable {
    public var mode: StudioMode = .compose
    public var overlay: StudioOverlay?
    public var compose = ComposeState()
    public var playback = PlaybackState()
    public var history = HistoryBrowserState()
    public var queue = QueueState()
    /// The job the run view follows.
    public var live: LiveRun?
    /// Jobs submitted and not yet ended, with what was asked.
    public var openJobs: [JobID: LiveRun] = [:]
    /// History entries recorded for jobs of this session (for ★ on the last result).
    public var recorded: [JobID: String] = [:]
    /// Jobs starred after they ended but before their history entry was written: starred as
    /// soon as it is.
    public var pendingStars: Set<JobID> = []
    public var queueSelection = 0
    public var columns: Int
    public var rows: Int
    public var now: Date
    public var message: StatusMessage?
    /// Seconds the last final decode took (for the next ETA).
    public var lastDecodeSeconds: Double?
    public var themeNames: [String]
    public var themeIndex = 0
    public var graphics: GraphicsTier
    public var quitting = false

    public init(columns: Int = 120, rows: Int = 40, now: Date = Date(), themeNames: [String] = ["dark"],
                theme: String = "dark", graphics: GraphicsTier = .halfBlock256, request: JobRequest? = nil) {
        self.columns = columns
        self.rows = rows
        self.now = now
        self.themeNames = themeNames
        themeIndex = themeNames.firstIndex(of: theme) ?? 0
        self.graphics = graphics
        if let request {
            compose.settings = ComposeSettings(from: request)
            compose.prompt = TextEditor(request.prompt)
            compose.negative = TextEditor(request.negativePrompt)
        }
    }

    /// True when the history row `id` belongs to a job of this session still waiting in the
    /// queue: the store keeps it `running` (written at submission so the seed survives a crash),
    /// and the studio shows it as queued.
    public func isQueued(historyID id: String) -> Bool {
        queue.waiting.contains { openJobs[$0.id]?.historyID == id }
    }

    public var themeName: String { themeNames.indices.contains(themeIndex) ? themeNames[themeIndex] : "dark" }

    /// Smallest usable terminal.
    public static let minimumSize = (columns: 80, rows: 24)
    public var isTooSmall: Bool { columns < Self.minimumSize.columns || rows < Self.minimumSize.rows }
}
