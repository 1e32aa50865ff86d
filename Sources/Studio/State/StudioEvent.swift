import Foundation
import Engine

/// Everything that can change the studio's state.
public enum StudioEvent: Sendable {
    case key(Key)
    case mouse(MouseEvent)
    case resize(columns: Int, rows: Int)
    /// Time passes (animation, ETA countdown).
    case tick(Date)
    /// The engine accepted a request.
    case jobSubmitted(JobID, JobRequest, at: Date)
    case engine(TimedEvent)
    case queueChanged(QueueState)
    case historyLoaded([HistoryEntry])
    case historyRecorded(HistoryEntry, job: JobID)
    case historyFrames(id: String, [PixelImage])
    case exported(id: String, URL)
    /// An effect failed: shown to the user.
    case effectFailed(String)
}

/// What the studio asks the world to do after an event. The state machine never does I/O;
/// the app (or a test) carries these out and feeds results back as events.
public enum StudioEffect: Equatable, Sendable {
    case submit(JobRequest)
    case cancel(JobID)
    case remove(JobID)
    case move(JobID, to: Int)
    case skip
    case pauseAfterCurrent(Bool)
    case refreshQueue
    case loadHistory(HistoryQuery)
    case recordRun(RunRecord)
    case star(String, Bool)
    case delete(String)
    case loadFrames(String)
    case export(String)
    case quit
}

/// A run that ended, to be written to history.
public struct RunRecord: Equatable, Sendable {
    public var job: JobID
    public var request: JobRequest
    public var status: RunStatus
    public var started: Date
    public var durationSeconds: Double
    /// Why a failed run failed; nil otherwise.
    public var failureMessage: String?

    public init(job: JobID, request: JobRequest, status: RunStatus, started: Date, durationSeconds: Double,
                failureMessage: String? = nil) {
        self.job = job
        self.request = request
        self.status = status
        self.started = started
        self.durationSeconds = durationSeconds
        self.failureMessage = failureMessage
    }
}
