// How long a run will take on this machine, scaled from the phase timings of earlier runs of
// the same model that the history keeps (each run's `run.json`): what the studio's compose
// screen and `zoetrope generate --estimate` show (issue #20).
import Engine
import Foundation
import HistoryStore

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
    public var text: String { "≈ " + DurationText.format(seconds) }

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

extension RunArchive {
    /// The finished runs of `model` in `store` with their phase timings, newest first.
    public static func timingSamples(of model: String, in store: HistoryStore) throws -> [RunTimingSample] {
        try store.phaseTimings(ofModel: model).map { record, timings in
            let s = record.settings
            var seconds: [JobPhase: Double] = [:]
            for (name, value) in timings { if let phase = JobPhase(rawValue: name) { seconds[phase] = value } }
            return RunTimingSample(frames: s.frameCount, width: s.width, height: s.height, steps: s.stepCount,
                                   guided: s.guidanceScale > 1, seconds: seconds)
        }
    }
}

/// Durations as people read them.
public enum DurationText {
    /// "1.2 s", "3 min 4 s", "1 h 02 min".
    public static func format(_ s: Double) -> String {
        // A duration read from a damaged index can be anything (9e999 is +inf): Int() would trap.
        guard s.isFinite, s >= 0 else { return "? s" }
        if s >= 360_000_000 { return "> 100000 h" }
        if s < 10 { return String(format: "%.1f s", s) }
        if s < 60 { return "\(Int(s.rounded())) s" }
        let t = Int(s.rounded())
        if t < 3600 { return "\(t / 60) min \(t % 60) s" }
        return String(format: "%d h %02d min", t / 3600, (t % 3600) / 60)
    }
}
