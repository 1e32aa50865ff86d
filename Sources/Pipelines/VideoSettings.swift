// The settings of one text-to-video run, as a pipeline takes them.

/// Which sampler a run uses.
public enum SamplerChoice: String, Sendable, Equatable, CaseIterable {
    /// Whatever the model folder's `scheduler/scheduler_config.json` names.
    case modelDefault = "default"
    /// `UniPCMultistepScheduler` in flow mode.
    case unipc
    /// `FlowMatchEulerDiscreteScheduler`.
    case euler
}

/// Everything that determines a run's output, in the pipeline's terms.
public struct VideoSettings: Sendable, Equatable {
    public var prompt: String
    public var negativePrompt: String
    /// Pixel frames (Wan: 4k + 1).
    public var frames: Int
    public var width: Int
    public var height: Int
    public var steps: Int
    /// Classifier-free guidance scale; guidance is on when it is above 1.
    public var guidanceScale: Float
    public var sampler: SamplerChoice
    /// Overrides the scheduler's flow shift when set.
    public var flowShift: Double?
    /// Text tokens given to the encoder (WanPipeline's `max_sequence_length`); `nil` uses
    /// the pipeline default (512, or the encoder's position limit when it has one).
    public var maxSequenceLength: Int?

    public init(prompt: String, negativePrompt: String = "", frames: Int, width: Int, height: Int,
                steps: Int, guidanceScale: Float, sampler: SamplerChoice = .modelDefault,
                flowShift: Double? = nil, maxSequenceLength: Int? = nil) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.frames = frames
        self.width = width
        self.height = height
        self.steps = steps
        self.guidanceScale = guidanceScale
        self.sampler = sampler
        self.flowShift = flowShift
        self.maxSequenceLength = maxSequenceLength
    }

    /// Whether the run evaluates the model twice per step (conditional and unconditional).
    public var usesGuidance: Bool { guidanceScale > 1 }
}

/// What a model can take: the divisibility and range rules its VAE and transformer impose.
public struct VideoConstraints: Sendable, Equatable {
    /// Pixel frames must be `temporalScale · k + 1`.
    public var temporalScale: Int
    /// Width and height must be multiples of this (VAE scale × patch size).
    public var spatialMultiple: Int
    public var maxFrames: Int = 1_025
    public var maxSide: Int = 4_096
    public var maxSteps: Int = 1_000

    public init(temporalScale: Int, spatialMultiple: Int) {
        self.temporalScale = temporalScale
        self.spatialMultiple = spatialMultiple
    }

    /// The nearest valid frame count to `frames` (at least 1).
    public func roundedFrames(_ frames: Int) -> Int {
        let k = max(0, Int((Double(frames - 1) / Double(temporalScale)).rounded()))
        return min(maxFrames, k * temporalScale + 1)
    }

    /// The nearest valid side to `side` (at least one multiple).
    public func roundedSide(_ side: Int) -> Int {
        let k = max(1, Int((Double(side) / Double(spatialMultiple)).rounded()))
        return min(maxSide / spatialMultiple * spatialMultiple, k * spatialMultiple)
    }

    /// Throws `PipelineError.invalidSetting` naming the first setting this model cannot take,
    /// with the valid values and the nearest one.
    public func validate(_ settings: VideoSettings) throws {
        let f = settings.frames
        if f < 1 || f > maxFrames || (f - 1) % temporalScale != 0 {
            throw PipelineError.invalidSetting(
                name: "frames", value: "\(f)",
                valid: "frames must be \(temporalScale)·k + 1 between 1 and \(maxFrames) (1, \(temporalScale + 1), "
                    + "\(2 * temporalScale + 1), …); nearest: \(roundedFrames(f))")
        }
        for (name, side) in [("width", settings.width), ("height", settings.height)] {
            if side < spatialMultiple || side > maxSide || side % spatialMultiple != 0 {
                throw PipelineError.invalidSetting(
                    name: name, value: "\(side)",
                    valid: "\(name) must be a multiple of \(spatialMultiple) between \(spatialMultiple) and \(maxSide); "
                        + "nearest: \(roundedSide(side))")
            }
        }
        if settings.steps < 1 || settings.steps > maxSteps {
            throw PipelineError.invalidSetting(name: "steps", value: "\(settings.steps)",
                                               valid: "steps must be between 1 and \(maxSteps)")
        }
        if !settings.guidanceScale.isFinite || settings.guidanceScale < 0 || settings.guidanceScale > 100 {
            throw PipelineError.invalidSetting(name: "guidance", value: "\(settings.guidanceScale)",
                                               valid: "guidance must be between 0 and 100 (1 or less turns guidance off)")
        }
        if let shift = settings.flowShift, !(shift > 0 && shift <= 100) {
            throw PipelineError.invalidSetting(name: "flow shift", value: "\(shift)",
                                               valid: "the flow shift must be above 0 and at most 100")
        }
        if let length = settings.maxSequenceLength, length < 1 || length > 4_096 {
            throw PipelineError.invalidSetting(name: "max sequence length", value: "\(length)",
                                               valid: "between 1 and 4096 tokens")
        }
    }
}
