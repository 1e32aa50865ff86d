// The settings of one text-to-video run, as every pipeline takes them: the settings all
// families share, the sampler by name and the family's own options.

/// Everything that determines a run's output, in the pipeline's terms.
public struct VideoSettings: Sendable, Equatable {
    public var prompt: String
    public var negativePrompt: String
    /// Pixel frames (see `PipelineCapabilities.frameRule`).
    public var frames: Int
    public var width: Int
    public var height: Int
    public var steps: Int
    /// Classifier-free guidance scale; guidance is on when it is above 1.
    public var guidanceScale: Float
    /// A sampler name from `PipelineCapabilities.samplers`, or `default` for the folder's own.
    public var sampler: String
    /// The family's own options (`flow_shift`, `max_sequence_length` …); absent ones take the
    /// model's defaults (`PipelineCapabilities.resolve` fills them in).
    public var options: ModelOptions

    public init(prompt: String, negativePrompt: String = "", frames: Int, width: Int, height: Int,
                steps: Int, guidanceScale: Float, sampler: String = SamplerNames.modelDefault,
                options: ModelOptions = [:]) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.frames = frames
        self.width = width
        self.height = height
        self.steps = steps
        self.guidanceScale = guidanceScale
        self.sampler = sampler
        self.options = options
    }

    /// Whether the run evaluates the model twice per step (conditional and unconditional).
    public var usesGuidance: Bool { guidanceScale > 1 }
}
