import Foundation
import Pipelines
import TensorCore

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
    /// A sampler name the model lists (`PipelineCapabilities.samplers`), or `default` for the
    /// one its folder names.
    public var sampler: String
    /// The seed to use; `nil` asks the engine to pick one (the one used is reported).
    public var seed: UInt64?
    public var fps: Int
    public var preview: PreviewSettings
    /// A safetensors file whose tensor `latents` replaces the seeded initial noise (the
    /// diffusers pipeline's `latents=` argument), to check a run against diffusers.
    public var initNoisePath: String?
    /// The model family's own settings by name (`flow_shift`, `max_sequence_length` …), as
    /// the model lists them (`PipelineCapabilities.options`); absent ones take its defaults.
    public var options: ModelOptions
    /// Extra component folders the model is loaded with (`motion_adapter` → a MotionAdapter
    /// folder), as the model's capabilities list them; part of what identifies the loaded model.
    public var components: [String: String]
    /// The arithmetic of the large GEMMs: fp32 (the default; diffusers' numbers) or bf16
    /// (about twice as fast on CPUs with bf16 dot products, at bf16's rounding).
    public var precision: ComputePrecision

    public init(model: String = JobRequest.bundledModelID, prompt: String, negativePrompt: String = "",
                frames: Int = 17, width: Int = 64, height: Int = 64, steps: Int = 20,
                guidanceScale: Double = 5.0, sampler: String = SamplerNames.modelDefault, seed: UInt64? = nil,
                fps: Int = 8, preview: PreviewSettings = .default, initNoisePath: String? = nil,
                options: ModelOptions = [:], components: [String: String] = [:],
                precision: ComputePrecision = .float32) {
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
        self.options = options
        self.components = components
        self.precision = precision
    }

    /// The model with its components, as the engine loads it.
    public var modelReference: ModelReference { ModelReference(model: model, components: components) }

    /// The frame rates the animated files can carry (the same for every model).
    public static let fpsRange = 1...60
    /// The rule for fps in words, as the studio and the CLI both say it.
    public static let fpsRule = "fps must be a whole number from \(fpsRange.lowerBound) to \(fpsRange.upperBound)"

    /// Why the request cannot run on any model, or nil: what no model decides (fps). The
    /// model's own rules are `ModelCapabilities.resolve`'s.
    public var commonProblem: String? {
        Self.fpsRange.contains(fps) ? nil : "fps \(fps) cannot be used: \(Self.fpsRule)"
    }

    /// The id of the model shipped with Zoetrope.
    public static let bundledModelID = "tiny-shapes"

    enum CodingKeys: String, CodingKey {
        case model, prompt, negativePrompt, frames, width, height, steps, guidanceScale, sampler, seed, fps
        case preview, initNoisePath, options, components, precision
        /// Written before options existed: now `options.max_sequence_length`.
        case maxSequenceLength
    }

    /// The sampler as requests before options existed wrote it: `{"kind": "euler", "flowShift": 7}`.
    private struct LegacySampler: Decodable {
        var kind: String
        var flowShift: Double?
    }

    /// Reads today's form and the one written before family options existed (flow shift
    /// inside `sampler`, `maxSequenceLength` at the top), so every stored run still loads
    /// and remixes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        prompt = try c.decode(String.self, forKey: .prompt)
        negativePrompt = try c.decodeIfPresent(String.self, forKey: .negativePrompt) ?? ""
        frames = try c.decode(Int.self, forKey: .frames)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        steps = try c.decode(Int.self, forKey: .steps)
        guidanceScale = try c.decode(Double.self, forKey: .guidanceScale)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        fps = try c.decode(Int.self, forKey: .fps)
        preview = try c.decodeIfPresent(PreviewSettings.self, forKey: .preview) ?? .default
        initNoisePath = try c.decodeIfPresent(String.self, forKey: .initNoisePath)
        options = try c.decodeIfPresent(ModelOptions.self, forKey: .options) ?? [:]
        components = try c.decodeIfPresent([String: String].self, forKey: .components) ?? [:]
        precision = try c.decodeIfPresent(ComputePrecision.self, forKey: .precision) ?? .float32
        if let name = try? c.decode(String.self, forKey: .sampler) {
            sampler = name
        } else if let legacy = try c.decodeIfPresent(LegacySampler.self, forKey: .sampler) {
            sampler = legacy.kind
            if let shift = legacy.flowShift, options["flow_shift"] == nil { options["flow_shift"] = .number(shift) }
        } else {
            sampler = SamplerNames.modelDefault
        }
        if let length = try c.decodeIfPresent(Int.self, forKey: .maxSequenceLength), options["max_sequence_length"] == nil {
            options["max_sequence_length"] = .integer(length)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(prompt, forKey: .prompt)
        try c.encode(negativePrompt, forKey: .negativePrompt)
        try c.encode(frames, forKey: .frames)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(steps, forKey: .steps)
        try c.encode(guidanceScale, forKey: .guidanceScale)
        try c.encode(sampler, forKey: .sampler)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encode(fps, forKey: .fps)
        try c.encode(preview, forKey: .preview)
        try c.encodeIfPresent(initNoisePath, forKey: .initNoisePath)
        if !options.isEmpty { try c.encode(options, forKey: .options) }
        if !components.isEmpty { try c.encode(components, forKey: .components) }
        // fp32 is left out, so requests written before precision existed read back equal.
        if precision != .float32 { try c.encode(precision, forKey: .precision) }
    }

    /// The sampler and the options that differ from the model's defaults, in words
    /// ("unipc, flow_shift 5.0"), for history and picture metadata.
    public var samplerSummary: String {
        ([sampler] + options.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }).joined(separator: ", ")
    }

    /// The same request with a concrete seed.
    public func withSeed(_ seed: UInt64) -> JobRequest {
        var copy = self
        copy.seed = seed
        return copy
    }
}

/// How the engine previews a running job.
public struct PreviewSettings: Codable, Sendable, Equatable {
    /// Project the predicted clean latent to RGB with the model's linear map every step.
    public var projectEveryStep: Bool
    /// Run a real VAE decode of the current estimate every N steps (0 = by `decodeBudget`).
    /// The last step is left to the final decode, which follows it at once.
    public var decodeEvery: Int
    /// With `decodeEvery` 0: the share of the run's time (denoising plus the final decode) that
    /// real decodes while denoising may take, spread evenly over the steps (0 = none).
    public var decodeBudget: Double
    /// Seconds one decode of this clip is expected to take, from earlier runs on this machine
    /// (nil: the engine's own measurement of this model's last decode, if it has one).
    public var expectedDecodeSeconds: Double?
    /// Preview the noisy latent instead of the denoised estimate x0.
    public var showNoisy: Bool

    /// Issue #20: live decodes cost at most a fifth of the run by default.
    public static let defaultDecodeBudget = 0.2

    public init(projectEveryStep: Bool = true, decodeEvery: Int = 0, decodeBudget: Double = defaultDecodeBudget,
                expectedDecodeSeconds: Double? = nil, showNoisy: Bool = false) {
        self.projectEveryStep = projectEveryStep
        self.decodeEvery = decodeEvery
        self.decodeBudget = decodeBudget
        self.expectedDecodeSeconds = expectedDecodeSeconds
        self.showNoisy = showNoisy
    }

    enum CodingKeys: String, CodingKey {
        case projectEveryStep, decodeEvery, decodeBudget, expectedDecodeSeconds, showNoisy
    }

    /// Settings saved before the budget existed take today's default budget.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        projectEveryStep = try c.decodeIfPresent(Bool.self, forKey: .projectEveryStep) ?? true
        decodeEvery = try c.decodeIfPresent(Int.self, forKey: .decodeEvery) ?? 0
        decodeBudget = try c.decodeIfPresent(Double.self, forKey: .decodeBudget) ?? Self.defaultDecodeBudget
        expectedDecodeSeconds = try c.decodeIfPresent(Double.self, forKey: .expectedDecodeSeconds)
        showNoisy = try c.decodeIfPresent(Bool.self, forKey: .showNoisy) ?? false
    }

    public static let `default` = PreviewSettings()
    /// Cheap projections only: no decode while denoising.
    public static let projectionsOnly = PreviewSettings(decodeBudget: 0)
    public static let none = PreviewSettings(projectEveryStep: false, decodeEvery: 0, decodeBudget: 0)
}

// The pipeline-core types a request and a model description are made of, under the names the
// engine's clients (the studio, the CLI) use without importing Pipelines.
public typealias ModelOptions = Pipelines.ModelOptions
public typealias OptionValue = Pipelines.OptionValue
public typealias OptionSpec = Pipelines.OptionSpec
public typealias ModelCapabilities = Pipelines.PipelineCapabilities
public typealias SamplerNames = Pipelines.SamplerNames
public typealias VideoSettings = Pipelines.VideoSettings
public typealias MemoryEstimate = Pipelines.MemoryEstimate
public typealias MachineMemory = Pipelines.MachineMemory
