import Foundation
import Engine
import RunArchive

/// Everything that can change the studio's state.
public enum StudioEvent: Sendable {
    case key(Key)
    case mouse(MouseEvent)
    case resize(columns: Int, rows: Int)
    /// Time passes (animation, ETA countdown).
    case tick(Date)
    /// The engine accepted a request. `request` carries the seed the job runs with;
    /// `historyID` is the history row begun for it (`running`), nil if none could be written.
    case jobSubmitted(JobID, JobRequest, at: Date, historyID: String?)
    case engine(TimedEvent)
    case queueChanged(QueueState)
    case historyLoaded([HistoryEntry])
    case historyRecorded(HistoryEntry, job: JobID)
    case historyFrames(id: String, [PixelImage])
    case exported(id: String, URL)
    /// What a model takes and offers, as the engine described it (nil with the reason when
    /// it could not).
    /// `model` is the described reference's `key` (the model and its components).
    case modelDescribed(model: String, ModelCapabilities?, problem: String?)
    /// What the machine can give a run now (`MemAvailable`), read with each model description;
    /// nil where it cannot be read.
    case memoryAvailable(Int?)
    /// Finished runs of `model` on this machine, newest first, for the time estimate (read
    /// from history with each model description).
    case timingSamples(model: String, [RunTimingSample])
    /// A job finished but its frames could not be written to history (disk full, store
    /// gone): the studio says so until the user acknowledges it.
    case runNotSaved(JobID, reason: String)
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
    /// Writes how a job ended to the history row begun when it was submitted.
    case endRun(RunEnding)
    case star(String, Bool)
    case delete(String)
    case loadFrames(String)
    case export(String)
    /// Asks the engine what a model takes (answered by `.modelDescribed`).
    case describeModel(ModelReference)
    case quit
}

/// A job that ended, to be written to its history row (begun `running` at submission).
public struct RunEnding: Equatable, Sendable {
    public enum Outcome: Equatable, Sendable {
        /// Its frames come with the job's `.finished` event (`EffectPerformer.observe` keeps them).
        case finished
        case failed(message: String)
        /// Settings kept, no frames.
        case cancelled
    }
    public var job: JobID
    /// The history row's id.
    public var runID: String
    public var outcome: Outcome
    public var durationSeconds: Double

    public init(job: JobID, runID: String, outcome: Outcome, durationSeconds: Double) {
        self.job = job
        self.runID = runID
        self.outcome = outcome
        self.durationSeconds = durationSeconds
    }
}
