// The engine's view of a pipeline of any family: a `LoadedModel` that runs jobs step by step,
// sending progress, previews and decode progress, and checking cancellation inside every step
// (per transformer block) and between VAE chunks. It names no family: everything it needs it
// asks of `VideoPipeline`.
import Foundation
import Pipelines
import Synchronization
import Schedulers
import TensorCore

/// A loaded pipeline, as the engine runs it.
public final class PipelineModel: LoadedModel {
    public let id: String
    public let pipeline: any VideoPipeline
    /// The pipeline's capabilities with its folder's own defaults (`zoetrope.json`).
    public let capabilities: ModelCapabilities?
    /// This model's last final decode on this machine: output pixels (frames × height × width)
    /// and seconds. What a budgeted live decode expects to cost, scaled by pixels.
    private let lastDecode = Mutex<(pixels: Double, seconds: Double, precision: ComputePrecision)?>(nil)

    public init(id: String, pipeline: any VideoPipeline, capabilities: ModelCapabilities? = nil) {
        self.id = id
        self.pipeline = pipeline
        self.capabilities = capabilities ?? pipeline.capabilities
    }

    /// The pipeline's settings for `request`.
    public static func settings(_ request: JobRequest) -> VideoSettings {
        VideoSettings(prompt: request.prompt, negativePrompt: request.negativePrompt, frames: request.frames,
                      width: request.width, height: request.height, steps: request.steps,
                      guidanceScale: Float(request.guidanceScale), sampler: request.sampler, options: request.options)
    }

    /// Checks `request` against the model's rules and, before anything is allocated, its
    /// memory estimate against what the machine has available (issue #19: a 4096×4096 request
    /// used to grow past 4.5 GB before anything said it could not fit).
    public func validate(_ request: JobRequest) throws {
        let settings: VideoSettings
        do {
            settings = try pipeline.resolved(Self.settings(request))
        } catch let error as PipelineError {
            throw JobFailure(.badRequest, error.description)
        }
        if let available = MachineMemory.availableBytes(),
           let problem = pipeline.capabilities.memoryProblem(settings, availableBytes: available, weightsLoaded: true) {
            throw JobFailure(.badRequest, "not enough memory: \(problem)")
        }
    }

    public func generate(_ request: JobRequest, seed: UInt64, context: JobContext) throws -> GeneratedClip {
        let settings: VideoSettings
        do {
            settings = try pipeline.resolved(Self.settings(request))
        } catch let error as PipelineError {
            throw JobFailure(.badRequest, error.description)
        }
        // One generator, as the diffusers pipeline's `generator`: it draws the initial noise
        // (unless given) and then whatever a stochastic sampler draws while stepping.
        var generator = TorchGenerator(seed: seed)
        let noise: Tensor
        if let path = request.initNoisePath {
            do {
                noise = try InitialNoise.load(path: path, expectedShape: pipeline.latentShape(for: settings))
            } catch let error as PipelineError {
                throw JobFailure(.badRequest, error.description)
            }
        } else {
            noise = pipeline.noise(for: settings, generator: &generator)
        }
        // NaN in a --init-noise file would run every step and decode to a black clip, silently.
        if let bad = Self.firstNonFinite(noise) {
            throw JobFailure(.badRequest, "\(request.initNoisePath ?? "the initial noise"): \(bad) in the latents; "
                + "the initial noise must be finite")
        }
        context.begin(.encoding)
        context.emit(.encodingText)
        var run: any DenoiseRun
        do {
            run = try pipeline.start(settings, noise: noise, generator: generator, cancellation: context.cancellation)
        } catch let error as PipelineError where error.isBadRequest {
            throw JobFailure(.badRequest, error.description)
        }
        try context.cancellation.check()

        context.begin(.denoising)
        context.emit(.denoising(steps: run.stepCount))
        var liveDecodes = LiveDecodeSchedule(every: request.preview.decodeEvery, budget: request.preview.decodeBudget,
                                             decodeSeconds: expectedDecodeSeconds(request))
        var denoisingSeconds = 0.0
        while !run.isFinished {
            let stepStart = Date()
            let result = try run.step(cancellation: context.cancellation)
            // A cancelled step's kernels may have stopped part-way: its latents mean nothing.
            try context.cancellation.check()
            let done = result.index + 1
            // Non-finite weights (NaN, inf, 1e38 that overflows) or a setting that divides by
            // zero end here, named, instead of decoding to a black clip with exit 0.
            if let bad = Self.firstNonFinite(result.latents) {
                throw JobFailure(.generation, "step \(done) of \(result.count): the latents became \(bad) after the "
                    + "\(pipeline.capabilities.pipelineClass)'s denoiser and the sampler; "
                    + "the model's weights or its settings produce non-finite values")
            }
            // Live decodes are timed apart (`previewing`), so a step's time is the denoiser's alone.
            denoisingSeconds += Date().timeIntervalSince(stepStart)
            let perStep = denoisingSeconds / Double(done)
            context.emit(.step(index: done, count: result.count, secondsPerStep: perStep,
                               etaSeconds: perStep * Double(result.count - done)))
            if liveDecodes.shouldDecode(after: done, of: result.count, secondsPerStep: perStep) {
                try sendDecodedPreview(result, request: request, context: context, schedule: &liveDecodes)
            } else if request.preview.projectEveryStep {
                sendProjectedPreview(result, request: request, context: context)
            }
        }

        context.begin(.decoding)
        let decodeStart = Date()
        let frames = try pipeline.decode(run.latents, cancellation: context.cancellation) { chunk, count in
            context.emit(.decoding(chunk: chunk, count: count))
        }
        try context.cancellation.check()
        let decodeSeconds = Date().timeIntervalSince(decodeStart)
        // frames: [F, H, W, 3]
        if let bad = Self.firstNonFinite(frames) {
            throw JobFailure(.generation, "the VAE decode gave \(bad): the VAE's weights produce non-finite values")
        }
        lastDecode.withLock { $0 = (Self.pixels(frames), decodeSeconds, request.precision) }
        return GeneratedClip(width: frames.shape[2], height: frames.shape[1], frameCount: frames.shape[0],
                             video: frames.data)
    }

    /// "NaN" or "infinity" for the first value of `tensor` that is not finite, or nil.
    static func firstNonFinite(_ tensor: Tensor) -> String? {
        tensor.data.withUnsafeBufferPointer { values in
            guard let bad = values.first(where: { !$0.isFinite }) else { return nil }
            return bad.isNaN ? "NaN" : "infinity"
        }
    }

    /// Output pixels of decoded frames `[F, H, W, 3]`.
    private static func pixels(_ frames: Tensor) -> Double {
        Double(frames.shape[0]) * Double(frames.shape[1]) * Double(frames.shape[2])
    }

    /// What one decode of `request`'s clip is expected to cost: this model's last decode here in
    /// the same precision, scaled by pixels, else the caller's estimate from earlier runs, else
    /// unknown.
    private func expectedDecodeSeconds(_ request: JobRequest) -> Double? {
        if let last = lastDecode.withLock({ $0 }), last.pixels > 0, last.precision == request.precision {
            let pixels = Double(request.frames) * Double(request.width) * Double(request.height)
            return last.seconds * pixels / last.pixels
        }
        return request.preview.expectedDecodeSeconds
    }

    /// The step's estimate (or its noisy latents) decoded by the VAE: every frame at full size.
    /// Timed as `previewing`, apart from the denoising.
    private func sendDecodedPreview(_ result: DenoiseStepResult, request: JobRequest, context: JobContext,
                                    schedule: inout LiveDecodeSchedule) throws {
        let settings = request.preview
        let latents = settings.showNoisy ? result.latents : result.predictedClean
        let step = result.index + 1
        context.begin(.previewing)
        context.emit(.decodingPreview(step: step))
        let start = Date()
        let frames = try pipeline.decode(latents, cancellation: context.cancellation, progress: nil)
        try context.cancellation.check()
        schedule.decoded(seconds: Date().timeIntervalSince(start))
        context.begin(.denoising)
        // frames: [F, H, W, 3]
        let clip = GeneratedClip(width: frames.shape[2], height: frames.shape[1], frameCount: frames.shape[0],
                                 video: frames.data)
        context.emit(.preview(PreviewFrames(step: step, width: clip.width, height: clip.height,
                                            frames: clip.rgbFrames, isDecoded: true, isNoisy: settings.showNoisy)))
    }

    /// The pipeline's cheap projection of the step's estimate: one small frame per latent frame.
    private func sendProjectedPreview(_ result: DenoiseStepResult, request: JobRequest, context: JobContext) {
        let settings = request.preview
        let latents = settings.showNoisy ? result.latents : result.predictedClean
        let picture = pipeline.previewFrames(latents)
        context.emit(.preview(PreviewFrames(step: result.index + 1, width: picture.width, height: picture.height,
                                            frames: picture.frames, isDecoded: false, isNoisy: settings.showNoisy)))
    }

    /// Frees what the pipeline can read again before its next job (e.g. a text encoder).
    public func releaseTransientMemory() { pipeline.releaseTransientMemory() }
}
