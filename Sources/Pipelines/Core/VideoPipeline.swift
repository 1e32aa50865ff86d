// The interface every text-to-video family implements (in the manner of
// apple/ml-stable-diffusion's StableDiffusionPipelineProtocol): the engine, the studio and the
// CLI see only this, so a new family is a folder of its own plus one line in
// `PipelineRegistry.builtIn`.
//
// A pipeline holds loaded weights (immutable, shared between jobs). A run's changing state —
// latents, scheduler, generator — lives in its `DenoiseRun`, a value the caller drives one
// step at a time, so progress, previews and cancellation need no callbacks in model code.
import Foundation
import Schedulers
import TensorCore

/// What one denoising step produced.
public struct DenoiseStepResult: Sendable {
    /// The step just taken, 0-based.
    public var index: Int
    public var count: Int
    /// The latents after the step, in the pipeline's `latentLayout`.
    public var latents: Tensor
    /// The clean latents the model predicted at this step (the scheduler's
    /// `pred_original_sample`): what previews show.
    public var predictedClean: Tensor

    public init(index: Int, count: Int, latents: Tensor, predictedClean: Tensor) {
        self.index = index
        self.count = count
        self.latents = latents
        self.predictedClean = predictedClean
    }
}

/// One run in progress, pulled one step per call.
public protocol DenoiseRun: Sendable {
    var stepCount: Int { get }
    /// The index of the next step `step` takes.
    var nextStep: Int { get }
    /// The current latents, in the pipeline's `latentLayout`.
    var latents: Tensor { get }
    /// Takes the next step, checking `cancellation` inside it (per block).
    mutating func step(cancellation: CancellationFlag?) throws -> DenoiseStepResult
}

extension DenoiseRun {
    public var isFinished: Bool { nextStep >= stepCount }
}

/// Pictures made cheaply from latents for a preview: one RGB8 frame per latent frame.
public struct LatentPreviewFrames: Sendable {
    public var width: Int
    public var height: Int
    public var frames: [[UInt8]]

    public init(width: Int, height: Int, frames: [[UInt8]]) {
        self.width = width
        self.height = height
        self.frames = frames
    }
}

/// A loaded text-to-video pipeline of any family.
public protocol VideoPipeline: AnyObject, Sendable {
    associatedtype Run: DenoiseRun

    /// The folder it was loaded from.
    var folder: URL { get }
    /// Its rules, defaults, samplers and options.
    var capabilities: PipelineCapabilities { get }

    /// The latents a run of `settings` starts from (the diffusers pipeline's `latents=`).
    func latentShape(for settings: VideoSettings) -> [Int]

    /// Encodes the prompts and starts a run from `noise` (`latentShape(for:)`), with
    /// `generator` for samplers that draw noise while stepping (seeded as the diffusers
    /// pipeline's `generator`). Checks `cancellation` inside the text encoder.
    func start(_ settings: VideoSettings, noise: Tensor, generator: TorchGenerator,
               cancellation: CancellationFlag) throws -> Run

    /// Decodes latents to frames `[F, H, W, 3]` in [0, 1], reporting `progress` per chunk and
    /// checking `cancellation` between chunks.
    func decode(_ latents: Tensor, cancellation: CancellationFlag?,
                progress: ((_ chunk: Int, _ count: Int) -> Void)?) throws -> Tensor

    /// A cheap picture of latents (no VAE): what a preview shows between decodes.
    func previewFrames(_ latents: Tensor) -> LatentPreviewFrames

    /// Frees what can be read again before the next job (e.g. the text encoder).
    func releaseTransientMemory()
}

extension VideoPipeline {
    /// Checks `settings` against the pipeline and fills in its defaults.
    public func resolved(_ settings: VideoSettings) throws -> VideoSettings {
        try capabilities.resolve(settings)
    }

    /// The seeded initial noise: `torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))`,
    /// which is what diffusers' `prepare_latents` draws. `generator` continues from there.
    public func noise(for settings: VideoSettings, generator: inout TorchGenerator) -> Tensor {
        generator.randn(latentShape(for: settings))
    }
}
