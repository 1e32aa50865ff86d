import Foundation

/// Identifies one submitted job.
public struct JobID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UUID
    public init() { rawValue = UUID() }
    public init(_ rawValue: UUID) { self.rawValue = rawValue }
    public var description: String { rawValue.uuidString.lowercased() }
}

/// The phases a job goes through, for progress displays and timings.
public enum JobPhase: String, Codable, Sendable {
    case queued, loading, encoding, denoising, decoding, saving
    /// Real decodes of the current estimate while denoising, for the preview (issue #20).
    case previewing
}

/// Small RGB frames for a preview: all frames of the clip, row-major RGB8.
public struct PreviewFrames: Sendable, Equatable {
    public var step: Int
    public var width: Int
    public var height: Int
    /// One `width * height * 3` byte array per frame.
    public var frames: [[UInt8]]
    /// `true` when this came from a real VAE decode, `false` for the linear projection.
    public var isDecoded: Bool
    public var isNoisy: Bool

    public init(step: Int, width: Int, height: Int, frames: [[UInt8]], isDecoded: Bool, isNoisy: Bool) {
        self.step = step
        self.width = width
        self.height = height
        self.frames = frames
        self.isDecoded = isDecoded
        self.isNoisy = isNoisy
    }
}

/// What a finished job produced.
public struct JobResult: Sendable {
    /// The request with the seed actually used filled in.
    public var request: JobRequest
    public var seed: UInt64
    /// The decoded clip: frames × height × width × RGB8.
    public var frames: [[UInt8]]
    public var width: Int
    public var height: Int
    /// The decoded clip in [0, 1] as diffusers returns with `output_type="np"`:
    /// `[frames, height, width, 3]` floats, row-major.
    public var video: [Float]
    /// Seconds spent per phase.
    public var timings: [JobPhase: Double]
    /// Peak resident memory of the process, in bytes.
    public var peakMemoryBytes: Int

    public init(request: JobRequest, seed: UInt64, frames: [[UInt8]], width: Int, height: Int,
                video: [Float], timings: [JobPhase: Double], peakMemoryBytes: Int) {
        self.request = request
        self.seed = seed
        self.frames = frames
        self.width = width
        self.height = height
        self.video = video
        self.timings = timings
        self.peakMemoryBytes = peakMemoryBytes
    }
}

/// Why a job failed, in words a person can act on.
public struct JobFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// The request cannot be run as given (frames, size, steps, prompt …).
        case badRequest
        /// The model folder is missing, unreadable or of a kind this version cannot run.
        case badModel
        /// Something failed while generating.
        case generation
        /// Writing results failed.
        case output
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// One event of a job. Exactly one of `finished`, `failed` and `cancelled` ends every job.
public enum JobEvent: Sendable {
    /// Waiting in the queue at `position` (0 = next to run).
    case queued(position: Int)
    /// Loading a model component; `fraction` counts weight files read.
    case loading(component: String, fraction: Double)
    case encodingText
    /// The prompts are encoded and the first of `steps` denoising steps has begun (issue #20:
    /// "encoding text" used to stay up through the whole first step).
    case denoising(steps: Int)
    /// Step `index` (1-based) of `count` done.
    case step(index: Int, count: Int, secondsPerStep: Double, etaSeconds: Double?)
    case preview(PreviewFrames)
    /// A real VAE decode of step `step`'s estimate has begun, for a full-resolution preview;
    /// its `preview` follows, then the next step.
    case decodingPreview(step: Int)
    /// Decoding temporal chunk `chunk` (1-based) of `count`.
    case decoding(chunk: Int, count: Int)
    case finished(JobResult)
    case failed(JobFailure)
    /// Cancelled during step `atStep` (nil: before denoising started; the last step when
    /// cancelled while decoding).
    case cancelled(atStep: Int?)

    /// Whether this event ends the job.
    public var isFinal: Bool {
        switch self {
        case .finished, .failed, .cancelled: return true
        default: return false
        }
    }
}

/// An event with the time it was sent.
public struct TimedEvent: Sendable {
    public var time: Date
    public var job: JobID
    public var event: JobEvent

    public init(time: Date = Date(), job: JobID, event: JobEvent) {
        self.time = time
        self.job = job
        self.event = event
    }
}
