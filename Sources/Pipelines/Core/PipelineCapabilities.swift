// What a loaded pipeline can take and what it offers, asked of the pipeline by the engine,
// the studio and the CLI instead of being restated in each of them: the frame and size rules,
// the defaults, the samplers that fit its prediction type and its own options.

/// Which pixel frame counts a pipeline takes.
public enum FrameRule: Sendable, Equatable {
    /// Any count from 1 (image VAEs applied frame by frame).
    case any
    /// `stride·k + 1` (a causal VAE compressing `stride` frames into one after the first:
    /// Wan 4k + 1).
    case stridePlusOne(Int)

    /// The rule in words for messages: "4k+1 (1, 5, 9, 13 …)".
    public var text: String {
        switch self {
        case .any: return "any whole number"
        case .stridePlusOne(let s): return "\(s)k+1 (1, \(s + 1), \(2 * s + 1), \(3 * s + 1) …)"
        }
    }
}

/// The dimension order of a pipeline's latents.
public enum LatentLayout: String, Sendable, Equatable {
    /// `[B, C, F, H, W]` (Wan, ModelScope, AnimateDiff).
    case channelsFirst = "[B, C, F, H, W]"
    /// `[B, F, C, H, W]` (CogVideoX).
    case framesFirst = "[B, F, C, H, W]"
}

/// The settings a pipeline uses when a request does not give them.
public struct SettingDefaults: Sendable, Equatable {
    public var frames: Int
    public var width: Int
    public var height: Int
    public var steps: Int
    public var guidanceScale: Double

    public init(frames: Int, width: Int, height: Int, steps: Int, guidanceScale: Double) {
        self.frames = frames
        self.width = width
        self.height = height
        self.steps = steps
        self.guidanceScale = guidanceScale
    }
}

/// What a loaded pipeline can take: every rule a request is checked against, with the
/// nearest valid value for each.
public struct PipelineCapabilities: Sendable, Equatable {
    /// The diffusers `_class_name` of the pipeline (`WanPipeline`).
    public var pipelineClass: String
    public var frameRule: FrameRule
    /// Width and height must be multiples of this (VAE scale × patch size).
    public var sizeMultiple: Int
    public var maxFrames: Int
    public var maxSide: Int
    public var maxSteps: Int
    public var latentLayout: LatentLayout
    public var defaults: SettingDefaults
    /// What the model predicts (`flow_prediction`, `epsilon`, `v_prediction`).
    public var predictionType: String
    /// The samplers a request may name besides ``SamplerNames/modelDefault``: those that fit
    /// the prediction type.
    public var samplers: [String]
    /// What `default` runs: the sampler the folder's scheduler config names.
    public var defaultSampler: String
    /// The family's own settings, with their defaults and limits.
    public var options: [OptionSpec]
    /// Components the model can be given from folders of their own (AnimateDiff's motion adapter).
    public var components: [ComponentSlot] = []
    /// Text tokens a prompt is cut to (CLIP's 77), when the model fixes it; a model whose
    /// length is an option (Wan's `max_sequence_length`) says so there instead.
    public var maxTextLength: Int?
    /// How a run's memory grows with its settings (see `memoryEstimate(for:)`), when the
    /// family states it.
    public var memory: MemoryModel?

    public init(pipelineClass: String, frameRule: FrameRule, sizeMultiple: Int, maxFrames: Int = 1_025,
                maxSide: Int = 4_096, maxSteps: Int = 1_000, latentLayout: LatentLayout, defaults: SettingDefaults,
                predictionType: String, samplers: [String], defaultSampler: String, options: [OptionSpec]) {
        self.pipelineClass = pipelineClass
        self.frameRule = frameRule
        self.sizeMultiple = sizeMultiple
        self.maxFrames = maxFrames
        self.maxSide = maxSide
        self.maxSteps = maxSteps
        self.latentLayout = latentLayout
        self.defaults = defaults
        self.predictionType = predictionType
        self.samplers = samplers
        self.defaultSampler = defaultSampler
        self.options = options
    }

    /// The option called `name`, if the pipeline has it.
    public func option(_ name: String) -> OptionSpec? { options.first { $0.name == name } }

    // MARK: Nearest valid values

    /// The nearest valid frame count to `frames` (between 1 and `maxFrames`; never overflows).
    public func nearestFrames(_ frames: Int) -> Int {
        let clamped = Swift.min(maxFrames, Swift.max(1, frames))
        switch frameRule {
        case .any: return clamped
        case .stridePlusOne(let s):
            let k = Int((Double(clamped - 1) / Double(s)).rounded())
            let top = (maxFrames - 1) / s
            return Swift.min(k, top) * s + 1
        }
    }

    /// The nearest valid side to `side` (at least one multiple, at most `maxSide`).
    public func nearestSide(_ side: Int) -> Int {
        let clamped = Swift.min(maxSide, Swift.max(sizeMultiple, side))
        let k = Swift.max(1, Int((Double(clamped) / Double(sizeMultiple)).rounded()))
        return Swift.min(maxSide / sizeMultiple, k) * sizeMultiple
    }

    // MARK: Checking

    /// Why `frames` cannot be used, or nil: the words the studio and the CLI both show.
    public func framesProblem(_ frames: Int) -> String? {
        let fits: Bool
        switch frameRule {
        case .any: fits = true
        case .stridePlusOne(let s): fits = frames >= 1 && (frames - 1) % s == 0
        }
        if frames >= 1, frames <= maxFrames, fits { return nil }
        if frames < 1 || frames > maxFrames, fits || frameRule == .any {
            return "frames must be between 1 and \(maxFrames)"
        }
        return "frames must be \(frameRule.text), at most \(maxFrames)"
    }

    /// Why `side` cannot be used as the `name` side ("width", "height"; "sides" for either),
    /// or nil: the words the studio and the CLI both show.
    public func sideProblem(_ side: Int, name: String = "sides") -> String? {
        if side >= sizeMultiple, side <= maxSide, side % sizeMultiple == 0 { return nil }
        let multiple = name == "sides" ? "multiples" : "a multiple"
        return "\(name) must be \(multiple) of \(sizeMultiple) from \(sizeMultiple) to \(maxSide)"
    }

    /// Why `steps` cannot be used, or nil: the words the studio and the CLI both show.
    public func stepsProblem(_ steps: Int) -> String? {
        steps >= 1 && steps <= maxSteps ? nil : "steps must be between 1 and \(maxSteps)"
    }

    /// Checks `settings` against this pipeline and returns them with the sampler and every
    /// option resolved (absent options take their defaults). Throws
    /// `PipelineError.invalidSetting` naming the first setting it cannot take, what is valid
    /// and the nearest valid value.
    public func resolve(_ settings: VideoSettings) throws -> VideoSettings {
        if let problem = framesProblem(settings.frames) {
            throw PipelineError.invalidSetting(
                name: "frames", value: "\(settings.frames)",
                valid: "\(problem); nearest: \(nearestFrames(settings.frames))")
        }
        for (name, side) in [("width", settings.width), ("height", settings.height)] {
            if let problem = sideProblem(side, name: name) {
                throw PipelineError.invalidSetting(name: name, value: "\(side)",
                                                   valid: "\(problem); nearest: \(nearestSide(side))")
            }
        }
        if let problem = stepsProblem(settings.steps) {
            throw PipelineError.invalidSetting(
                name: "steps", value: "\(settings.steps)",
                valid: "\(problem); nearest: \(Swift.min(maxSteps, Swift.max(1, settings.steps)))")
        }
        if !settings.guidanceScale.isFinite || settings.guidanceScale < 0 || settings.guidanceScale > 100 {
            throw PipelineError.invalidSetting(name: "guidance", value: "\(settings.guidanceScale)",
                                               valid: "guidance must be between 0 and 100 (1 or less turns guidance off)")
        }
        var resolved = settings
        if settings.sampler != SamplerNames.modelDefault, !samplers.contains(settings.sampler) {
            throw PipelineError.invalidSetting(
                name: "sampler", value: settings.sampler,
                valid: "this model predicts \(predictionType); the samplers that fit it: "
                    + ([SamplerNames.modelDefault] + samplers).joined(separator: ", "))
        }
        for name in settings.options.keys.sorted() where option(name) == nil {
            throw PipelineError.invalidSetting(
                name: "option", value: name,
                valid: options.isEmpty ? "this model has no options"
                    : "this model's options are " + options.map(\.name).joined(separator: ", "))
        }
        for spec in options {
            guard let value = settings.options[spec.name] else {
                // The model's own value comes from its folder's config: check it too (a
                // scheduler_config.json with flow_shift -1 made NaN frames, silently).
                guard spec.checked(spec.defaultValue) != nil else {
                    throw PipelineError.invalidSetting(
                        name: spec.name, value: "\(spec.defaultValue) (the model folder's own)",
                        valid: "\(spec.name) must be \(spec.validValues); set one with --set \(spec.name)=VALUE "
                            + "or fix the model's config")
                }
                resolved.options[spec.name] = spec.defaultValue
                continue
            }
            guard let checked = spec.checked(value) else {
                let nearest = spec.nearest(value).map { "; nearest: \($0)" } ?? ""
                throw PipelineError.invalidSetting(name: spec.name, value: "\(value)",
                                                   valid: "\(spec.name) must be \(spec.validValues)\(nearest)")
            }
            resolved.options[spec.name] = checked
        }
        return resolved
    }
}

/// Sampler names every pipeline understands.
public enum SamplerNames {
    /// Whatever the model folder's `scheduler/scheduler_config.json` names.
    public static let modelDefault = "default"
}
