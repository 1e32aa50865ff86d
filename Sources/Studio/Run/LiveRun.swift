import Foundation
import HistoryStore
import Engine

/// What the studio knows about the job it is watching: progress, ETA and every step's
/// preview (kept, so the user can scrub back through them).
public struct LiveRun: Sendable {
    public var id: JobID
    /// What was asked, with the seed the job runs with.
    public var request: JobRequest
    /// The history row written when the job was submitted (nil: history could not be written).
    public var historyID: String?
    public var submitted: Date
    public var phase: String = "queued"
    public var queuePosition: Int?
    public var step = 0
    public var stepCount: Int
    public var eta: EtaEstimator
    /// Previews by step number.
    public var previews: [Int: PreviewFrames] = [:]
    /// The final frames, once finished.
    public var result: [PixelImage] = []
    public var usedSeed: UInt64?
    public var outcome: RunStatus?
    public var failureMessage: String?
    public var cancelledAtStep: Int?
    public var decodeChunk: (Int, Int)?

    public init(id: JobID, request: JobRequest, submitted: Date, decodeSeconds: Double?, historyID: String? = nil) {
        self.id = id
        self.request = request
        self.historyID = historyID
        self.submitted = submitted
        // The studio chooses the seed before submitting, so it is known from the start.
        usedSeed = request.seed
        stepCount = request.steps
        eta = EtaEstimator(decodeSeconds: decodeSeconds)
    }

    public var isActive: Bool { outcome == nil }

    /// Steps that have a preview, in order.
    public var previewSteps: [Int] { previews.keys.sorted() }

    /// The step whose preview shows when none is chosen: the newest real decode once there is
    /// one (every frame at full size, issue #20), else the newest projection. The small
    /// projections of later steps would replace a decode within one step and blur the pane.
    public var shownStep: Int? {
        previews.filter { $0.value.isDecoded }.keys.max() ?? previewSteps.last
    }

    /// The frames to show: the chosen step's preview, or the one `shownStep` picks, or the result.
    public func frames(atStep scrub: Int?) -> [PixelImage] {
        if scrub == nil, !result.isEmpty { return result }
        let step = scrub ?? shownStep
        guard let step, let p = previews[step] else { return result }
        return p.frames.map { PixelImage(width: p.width, height: p.height, rgb: $0) }
    }

    /// Applies one engine event.
    public mutating func apply(_ timed: TimedEvent) {
        switch timed.event {
        case .queued(let position):
            queuePosition = position
            phase = "queued (\(position == 0 ? "next" : "#\(position + 1)"))"
        case .loading(let component, let fraction):
            queuePosition = nil
            phase = "loading \(component) \(Int(fraction * 100))%"
        case .encodingText:
            queuePosition = nil
            phase = "encoding text"
            eta.start(at: timed.time)
        case .denoising(let steps):
            queuePosition = nil
            phase = "denoising"
            stepCount = steps
            // Steps are timed from here, not from the text encoding's start.
            eta.start(at: timed.time)
        case .step(let index, let count, _, _):
            queuePosition = nil
            phase = "denoising"
            stepCount = count
            step = index
            eta.stepFinished(index, of: count, at: timed.time)
        case .decodingPreview(let step):
            phase = "decoding step \(step) for the preview"
        case .preview(let frames):
            previews[frames.step] = frames
            if frames.isDecoded { phase = "denoising" }
        case .decoding(let chunk, let count):
            phase = "decoding"
            decodeChunk = (chunk, count)
        case .finished(let result):
            outcome = .finished
            // "finished" is said only once the run is in history (the reducer sets it when
            // the row is recorded): until then it is being saved, or was never kept.
            phase = historyID == nil ? "finished, not saved" : "saving"
            usedSeed = result.seed
            request = result.request
            self.result = result.frames.map { PixelImage(width: result.width, height: result.height, rgb: $0) }
        case .failed(let failure):
            outcome = .failed
            phase = "failed"
            failureMessage = failure.message
        case .cancelled(let atStep):
            outcome = .cancelled
            phase = "cancelled"
            cancelledAtStep = atStep
        }
    }
}
