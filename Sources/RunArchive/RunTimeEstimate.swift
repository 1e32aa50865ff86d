import Engine
import Foundation

/// One finished run of a model: the seconds each phase took and the settings that drove them,
/// as the engine timed it on this machine (`JobResult.timings`, kept in each run's `run.json`).
public struct RunTimingSample: Equatable, Sendable {
    public var frames: Int
    public var width: Int
    public var height: Int
    public var steps: Int
    /// Classifier-free guidance doubles the denoiser's work.
    public var guided: Bool
    public var seconds: [JobPhase: Double]

    public init(frames: Int, width: Int, height: Int, steps: Int, guided: Bool, seconds: [JobPhase: Double]) {
        self.frames = frames
        self.width = width
        self.height = height
        self.steps = steps
        self.guided = guided
        self.seconds = seconds
    }

    public init(request: JobRequest, seconds: [JobPhase: Double]) {
        self.init(frames: request.frames, width: request.width, height: request.height, steps: request.steps,
                  guided: request.guidanceScale > 1, seconds: seconds)
    }

    /// Denoiser work: steps × pixels of the clip × passes per step.
    var denoiseWork: Double { Double(steps) * pixelWork * (guided ? 2 : 1) }
    /// Decoder and writer work: pixels of the clip.
    var pixelWork: Double { Double(frames) * Double(width) * Double(height) }
}

/// How long a run will take, scaled from the nearest run of the same model on this machine.
public struct RunTimeEstimate: Equatable, Sendable {
    /// Seconds from the text encoder's start to the last frame written (loading a model not
    /// yet in memory comes on top).
    public var seconds: Double
    /// The run it was scaled from.
    public var basis: RunTimingSample
    /// Seconds the final decode alone will take (the basis's decode scaled by pixels): what a
    /// live decode of the same clip costs (nil: the basis has no decode time).
    public var decodeSeconds: Double?

    /// Runs over a minute ask before they start (issue #20).
    public static let confirmationSeconds = 60.0
    public var needsConfirmation: Bool { seconds > Self.confirmationSeconds }

    /// "≈ 12 s", "≈ 3 min 10 s".
    public var text: String { "≈ " + formatSeconds(seconds) }

    /// The estimate for a run of `frames` × `width` × `height` pixels and `steps` steps from the
    /// runs in `samples`: the text encoding as it took; the denoising scaled by steps × pixels ×
    /// guidance passes; decoding and writing by pixels. The sample nearest in denoiser work (by
    /// ratio) is the basis, so a run like an earlier one is estimated from it nearly exactly;
    /// far from every sample the linear scaling underestimates attention, which grows with the
    /// square of a frame's tokens. nil without samples.
    public static func estimate(frames: Int, width: Int, height: Int, steps: Int, guided: Bool,
                                from samples: [RunTimingSample]) -> RunTimeEstimate? {
        let wanted = RunTimingSample(frames: frames, width: width, height: height, steps: steps, guided: guided, seconds: [:])
        guard wanted.denoiseWork > 0, wanted.denoiseWork.isFinite else { return nil }
        let usable = samples.filter { $0.denoiseWork > 0 && $0.seconds[.denoising] != nil }
        guard let basis = usable.min(by: { abs(log(wanted.denoiseWork / $0.denoiseWork)) < abs(log(wanted.denoiseWork / $1.denoiseWork)) })
        else { return nil }
        let t = basis.seconds
        let pixelRatio = wanted.pixelWork / basis.pixelWork
        // Live decodes (`previewing`) scale like the final decode: each is one, and the budget
        // lets a run of the same shape make as many.
        let seconds = (t[.encoding] ?? 0)
            + (t[.denoising] ?? 0) * wanted.denoiseWork / basis.denoiseWork
            + ((t[.decoding] ?? 0) + (t[.previewing] ?? 0) + (t[.saving] ?? 0)) * pixelRatio
        guard seconds.isFinite else { return nil }
        let decode = t[.decoding].map { $0 * pixelRatio }.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        return RunTimeEstimate(seconds: seconds, basis: basis, decodeSeconds: decode)
    }
}
