import Foundation

/// Everything that determines a job's output. Codable: it is the JSON written into every
/// frame's metadata, the history sidecar and the `--json` event stream, and it loads back
/// for "remix".
public struct JobRequest: Codable, Sendable, Equatable {
    /// A model folder path, or the id of a bundled model (`tiny-shapes`).
    public var model: String
    public var prompt: String
    public var negativePrompt: String
    public var frames: Int
    public var width: Int
    public var height: Int
    public var steps: Int
    public var guidanceScale: Double
    public var sampler: Sampler
    /// The seed to use; `nil` asks the engine to pick one (the one used is reported).
    public var seed: UInt64?
    public var fps: Int
    public var preview: PreviewSettings
    /// A safetensors file whose tensor `latents` replaces the seeded initial noise (the
    /// diffusers pipeline's `latents=` argument), to check a run against diffusers.
    public var initNoisePath: String?
    /// Text tokens the prompt is padded to (the diffusers pipeline's `max_sequence_length`);
    /// nil uses the pipeline's default (512 for UMT5, 77 for CLIP).
    public var maxSequenceLength: Int?

    public init(model: String = JobRequest.bundledModelID, prompt: String, negativePrompt: String = "",
                frames: Int = 17, width: Int = 64, height: Int = 64, steps: Int = 20,
                guidanceScale: Double = 5.0, sampler: Sampler = .default, seed: UInt64? = nil,
                fps: Int = 8, preview: PreviewSettings = .default, initNoisePath: String? = nil,
                maxSequenceLength: Int? = nil) {
        self.model = model
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.frames = frames
        self.width = width
        self.height = height
        self.steps = steps
        self.guidanceScale = guidanceScale
        self.sampler = sampler
        self.seed = seed
        self.fps = fps
        self.preview = preview
        self.initNoisePath = initNoisePath
        self.maxSequenceLength = maxSequenceLength
    }

    /// The id of the model shipped with Zoetrope.
    public static let bundledModelID = "tiny-shapes"

    /// The same request with a concrete seed.
    public func withSeed(_ seed: UInt64) -> JobRequest {
        var copy = self
        copy.seed = seed
        return copy
    }
}

/// The sampler of a job and its options.
public struct Sampler: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// `UniPCMultistepScheduler` in flow mode (Wan's default).
        case unipc
        /// `FlowMatchEulerDiscreteScheduler`.
        case euler
        /// Whatever the model folder's `scheduler_config.json` names.
        case modelDefault = "default"
    }
    public var kind: Kind
    /// Flow shift; `nil` keeps the model's configured value.
    public var flowShift: Double?

    public init(kind: Kind, flowShift: Double? = nil) {
        self.kind = kind
        self.flowShift = flowShift
    }

    public static let `default` = Sampler(kind: .modelDefault)
}

/// How the engine previews a running job.
public struct PreviewSettings: Codable, Sendable, Equatable {
    /// Project the predicted clean latent to RGB with the model's linear map every step.
    public var projectEveryStep: Bool
    /// Run a real VAE decode of the current estimate every N steps (0 = never). The last
    /// step is left to the final decode, which follows it at once.
    public var decodeEvery: Int
    /// Preview the noisy latent instead of the denoised estimate x0.
    public var showNoisy: Bool

    public init(projectEveryStep: Bool = true, decodeEvery: Int = 0, showNoisy: Bool = false) {
        self.projectEveryStep = projectEveryStep
        self.decodeEvery = decodeEvery
        self.showNoisy = showNoisy
    }

    public static let `default` = PreviewSettings()
    public static let none = PreviewSettings(projectEveryStep: false, decodeEvery: 0)
}
