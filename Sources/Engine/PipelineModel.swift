// The engine's view of a real pipeline: a `LoadedModel` that runs WanPipeline jobs step by
// step, sending progress, previews and decode progress, and checking cancellation inside
// every step (per transformer block) and between VAE chunks.
import Foundation
import Pipelines
import TensorCore

/// A loaded WanPipeline, as the engine runs it.
public final class PipelineModel: LoadedModel {
    public let id: String
    public let pipeline: WanPipeline
    public let preview: LatentRGBProjection

    public init(id: String, pipeline: WanPipeline) {
        self.id = id
        self.pipeline = pipeline
        preview = LatentRGBProjection.load(folder: pipeline.folder, channels: pipeline.latentChannels)
            ?? .fallback(channels: pipeline.latentChannels)
    }

    /// The pipeline's settings for `request`.
    public static func settings(_ request: JobRequest) -> VideoSettings {
        let sampler: SamplerChoice
        switch request.sampler.kind {
        case .modelDefault: sampler = .modelDefault
        case .unipc: sampler = .unipc
        case .euler: sampler = .euler
        }
        return VideoSettings(prompt: request.prompt, negativePrompt: request.negativePrompt, frames: request.frames,
                             width: request.width, height: request.height, steps: request.steps,
                             guidanceScale: Float(request.guidanceScale), sampler: sampler,
                             flowShift: request.sampler.flowShift, maxSequenceLength: request.maxSequenceLength)
    }

    public func validate(_ request: JobRequest) throws {
        do {
            _ = try pipeline.resolved(Self.settings(request))
        } catch let error as PipelineError {
            throw JobFailure(.badRequest, error.description)
        }
    }

    public func generate(_ request: JobRequest, seed: UInt64, context: JobContext) throws -> GeneratedClip {
        let settings = Self.settings(request)
        let noise: Tensor
        if let path = request.initNoisePath {
            let expected = pipeline.latentShape(frames: settings.frames, height: settings.height, width: settings.width)
            do {
                noise = try InitialNoise.load(path: path, expectedShape: expected)
            } catch let error as PipelineError {
                throw JobFailure(.badRequest, error.description)
            }
        } else {
            noise = pipeline.noise(frames: settings.frames, height: settings.height, width: settings.width, seed: seed)
        }
        context.begin(.encoding)
        context.emit(.encodingText)
        var run: WanDenoiseRun
        do {
            run = try pipeline.start(settings, noise: noise, cancellation: context.cancellation)
        } catch let error as PipelineError where error.isBadRequest {
            throw JobFailure(.badRequest, error.description)
        }
        try context.cancellation.check()

        context.begin(.denoising)
        let start = Date()
        while !run.isFinished {
            let result = try run.step(cancellation: context.cancellation)
            let done = result.index + 1
            let perStep = Date().timeIntervalSince(start) / Double(done)
            context.emit(.step(index: done, count: result.count, secondsPerStep: perStep,
                               etaSeconds: perStep * Double(result.count - done)))
            try sendPreview(result, request: request, context: context)
        }

        context.begin(.decoding)
        let frames = try pipeline.decode(run.latents, cancellation: context.cancellation) { chunk, count in
            context.emit(.decoding(chunk: chunk, count: count))
        }
        // frames: [F, H, W, 3]
        return GeneratedClip(width: frames.shape[2], height: frames.shape[1], frameCount: frames.shape[0],
                             video: frames.data)
    }

    /// Sends the step's preview: a real decode every `decodeEvery` steps, else the linear
    /// projection (when asked). The last step gets no real decode: the final decode follows
    /// at once, and decoding twice would double the time to the result.
    private func sendPreview(_ result: DenoiseStepResult, request: JobRequest, context: JobContext) throws {
        let settings = request.preview
        let latents = settings.showNoisy ? result.latents : result.predictedClean
        let step = result.index + 1
        if settings.decodeEvery > 0, step % settings.decodeEvery == 0, step < result.count {
            let frames = try pipeline.decode(latents, cancellation: context.cancellation)
            let clip = GeneratedClip(width: frames.shape[2], height: frames.shape[1], frameCount: frames.shape[0],
                                     video: frames.data)
            context.emit(.preview(PreviewFrames(step: step, width: clip.width, height: clip.height,
                                                frames: clip.rgbFrames, isDecoded: true, isNoisy: settings.showNoisy)))
        } else if settings.projectEveryStep {
            context.emit(.preview(PreviewFrames(step: step, width: latents.shape[4], height: latents.shape[3],
                                                frames: preview.frames(latents), isDecoded: false,
                                                isNoisy: settings.showNoisy)))
        }
    }

    /// Frees the text encoder's weights; the next job reads them again from the model folder.
    public func releaseTransientMemory() { pipeline.releaseTextEncoder() }
}
