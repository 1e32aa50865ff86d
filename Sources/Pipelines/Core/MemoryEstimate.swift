// How much memory a run will need, known from the model's configs, its weight headers and the
// settings before anything is allocated (issues #19 and #20: a 4096×4096 request used to grow
// past 4.5 GB while "encoding text" before anything said it could not fit).
//
// Every phase of a run has a working set linear in what sizes it: the denoiser's in its tokens
// (attention is tiled, so no phase holds a tokens × tokens matrix), the decoder's in the pixels
// of one chunk (Wan decodes one latent frame at a time, the image VAEs one frame), the output in
// its pixel-frames. Each family states those coefficients from its configs (its `+Memory`
// file, where each is derived); this file adds them up. `MemoryEstimateTests` checks how the
// sum grows and the refusals; `GenerateCommandTests.testTheMemoryEstimateBoundsTheMeasuredPeak`
// checks it against the peak resident memory of real runs.
import Foundation
import WeightsIO

/// The coefficients of a family's memory use, from its configs and weight headers.
public struct MemoryModel: Sendable, Equatable {
    /// The weights as held while running, by component (`transformer`, `vae` …):
    /// `WeightStore.residentBytes` of each.
    public var componentWeightBytes: [String: Int]
    /// The text encoder's working set per token of one prompt…
    public var textBytesPerToken: Int
    /// …and per pair of its tokens (attention scores and position bias of every head).
    public var textBytesPerTokenPair: Int
    /// Text tokens a prompt is padded to when no option says otherwise (CLIP 77, UMT5 512).
    public var defaultTextLength: Int
    /// Pixels per denoiser token along each side (the VAE's scale × the patch size).
    public var tokenSide: Int
    /// The denoiser's working set per token, for one pass (one batch item).
    public var denoiserBytesPerToken: Int
    /// The denoiser's working set per text token of one prompt (cross-attention keys and
    /// values made once per run), which grows with the prompts, not with the video's tokens.
    public var denoiserBytesPerTextToken: Int
    /// Both guidance passes run as one batch up to this many tokens (`nil`: always).
    public var guidanceBatchTokenLimit: Int?
    /// The decoder's working set per pixel of one output frame (one chunk's worth, caches
    /// included).
    public var decoderBytesPerPixel: Int

    public init(componentWeightBytes: [String: Int], textBytesPerToken: Int, textBytesPerTokenPair: Int,
                defaultTextLength: Int, tokenSide: Int, denoiserBytesPerToken: Int, denoiserBytesPerTextToken: Int,
                guidanceBatchTokenLimit: Int?, decoderBytesPerPixel: Int) {
        self.componentWeightBytes = componentWeightBytes
        self.textBytesPerToken = textBytesPerToken
        self.textBytesPerTokenPair = textBytesPerTokenPair
        self.defaultTextLength = defaultTextLength
        self.tokenSide = tokenSide
        self.denoiserBytesPerToken = denoiserBytesPerToken
        self.denoiserBytesPerTextToken = denoiserBytesPerTextToken
        self.guidanceBatchTokenLimit = guidanceBatchTokenLimit
        self.decoderBytesPerPixel = decoderBytesPerPixel
    }

    /// All the weights as held while running.
    public var weightBytes: Int { componentWeightBytes.values.reduce(0, MemoryEstimate.sum) }

    /// `WeightStore.residentBytes` of each of `components` of `folder` and of each extra
    /// component folder (keyed by its folder name), read from the weight headers alone.
    static func componentWeightBytes(_ folder: DiffusersModelFolder, components: [String], extra: [URL] = []) throws
        -> [String: Int] {
        var bytes: [String: Int] = [:]
        for component in components { bytes[component] = try folder.weights(component: component).residentBytes }
        for url in extra { bytes[url.lastPathComponent] = try WeightStore(folder: url).residentBytes }
        return bytes
    }

    /// Bytes per output pixel-frame held at the end of a run, whatever the family: the decoded
    /// video as Float twice (the VAE's `[B, 3, F, H, W]` and the postprocessed `[F, H, W, 3]`,
    /// 24 bytes) and its RGB8 frames (3 bytes) for the writers and the preview.
    public static let outputBytesPerPixelFrame = 27

    /// What the process holds before any model: code, libraries, thread stacks, allocator
    /// arenas. Measured: the release `zoetrope generate` on the test fixture peaks at 40–60 MiB
    /// with weights of a few kB.
    public static let processBytes = 64 << 20

    /// Working sets are counted ×5/4: the allocator keeps freed blocks between phases and
    /// passes (measured: between the steps of `unet3d-medium` at 16 × 256², the process held
    /// ~130 MiB above its weights and itself with no tensor of the step alive).
    public static let workingSetHeadroom = (numerator: 5, denominator: 4)
}

/// A run's peak memory, phase by phase.
public struct MemoryEstimate: Sendable, Equatable {
    /// The phases of a run, in order.
    public enum Phase: String, Sendable {
        case textEncoding = "text encoding"
        case denoising
        case decoding
    }

    public var weightBytes: Int
    public var textEncodingBytes: Int
    public var denoisingBytes: Int
    public var decodingBytes: Int
    /// The decoded clip, held from the decode to the end of the run.
    public var outputBytes: Int
    /// Denoiser tokens of one pass.
    public var tokens: Int

    /// Bytes beyond the weights at the run's fullest moment (with the allocator's headroom,
    /// `MemoryModel.workingSetHeadroom`), and the phase it is in.
    public var workingPeak: (bytes: Int, phase: Phase) {
        let phases: [(Int, Phase)] = [(textEncodingBytes, .textEncoding), (denoisingBytes, .denoising),
                                      (Self.sum(decodingBytes, outputBytes), .decoding)]
        let (bytes, phase) = phases.max { $0.0 < $1.0 } ?? (0, .denoising)
        let headroom = MemoryModel.workingSetHeadroom
        return (Self.product(bytes / headroom.denominator, headroom.numerator), phase)
    }

    /// The whole process at its peak: weights, the fullest phase and the process itself.
    public var peakBytes: Int { Self.sum(bytesNeeded(weightsLoaded: false), MemoryModel.processBytes) }

    /// What a run must still be given: its fullest phase, and its weights unless they are loaded.
    public func bytesNeeded(weightsLoaded: Bool) -> Int {
        weightsLoaded ? workingPeak.bytes : Self.sum(workingPeak.bytes, weightBytes)
    }

    /// `a + b`, saturating.
    static func sum(_ a: Int, _ b: Int) -> Int {
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : total
    }

    /// `a · b · …`, saturating (sizes come from users and files).
    static func product(_ factors: Int...) -> Int {
        factors.reduce(1) { total, factor in
            let (value, overflow) = total.multipliedReportingOverflow(by: factor)
            return overflow ? .max : value
        }
    }
}

extension PipelineCapabilities {
    /// Latent frames of a run of `frames` pixel frames.
    func latentFrames(_ frames: Int) -> Int {
        switch frameRule {
        case .any: return max(1, frames)
        case .stridePlusOne(let s): return max(0, frames - 1) / s + 1
        }
    }

    /// The memory a run of `settings` needs, phase by phase, or nil when the family states no
    /// memory model. Settings need not be resolved: sizes out of range are estimated as given
    /// (saturating), so a caller can say how far off they are.
    public func memoryEstimate(for settings: VideoSettings) -> MemoryEstimate? {
        guard let model = memory else { return nil }
        let product = MemoryEstimate.product
        let side = max(1, model.tokenSide)
        let width = max(0, settings.width), height = max(0, settings.height)
        let tokens = product(latentFrames(settings.frames), height / side, width / side)
        let textLength = max(1, settings.options["max_sequence_length"]?.intValue ?? model.defaultTextLength)
        let prompts = settings.usesGuidance ? 2 : 1
        let batch = settings.usesGuidance && tokens <= (model.guidanceBatchTokenLimit ?? .max) ? 2 : 1
        let denoising = MemoryEstimate.sum(product(tokens, batch, model.denoiserBytesPerToken),
                                           product(textLength, prompts, model.denoiserBytesPerTextToken))
        return MemoryEstimate(
            weightBytes: model.weightBytes,
            textEncodingBytes: MemoryEstimate.sum(product(textLength, prompts, model.textBytesPerToken),
                                                  product(textLength, textLength, prompts, model.textBytesPerTokenPair)),
            denoisingBytes: denoising,
            decodingBytes: product(height, width, model.decoderBytesPerPixel),
            outputBytes: product(max(0, settings.frames), height, width, MemoryModel.outputBytesPerPixelFrame),
            tokens: tokens)
    }
}

extension PipelineCapabilities {
    /// Why a run of `settings` cannot fit in `availableBytes` (what the machine can still give
    /// this process), or nil when it fits or the family states no memory model. With
    /// `weightsLoaded` the weights are already resident and only the working set must fit. The
    /// message names the settings responsible, the estimate and the largest size that fits.
    public func memoryProblem(_ settings: VideoSettings, availableBytes: Int, weightsLoaded: Bool) -> String? {
        guard let estimate = memoryEstimate(for: settings) else { return nil }
        let need = estimate.bytesNeeded(weightsLoaded: weightsLoaded)
        guard need > availableBytes else { return nil }
        let phase = estimate.workingPeak.phase
        let text = MachineMemory.text
        if !weightsLoaded, estimate.weightBytes > availableBytes {
            let largest = memory?.componentWeightBytes.max { $0.value < $1.value }
            return "the model's weights alone need about \(text(estimate.weightBytes))"
                + (largest.map { " (its \($0.key) \(text($0.value)))" } ?? "")
                + " and this machine has \(text(availableBytes)) available"
        }
        var message = "\(settings.width)×\(settings.height), \(settings.frames) frames needs about \(text(need)) "
            + "(its \(phase.rawValue) is the fullest part"
            + (phase == .denoising ? ", \(estimate.tokens) tokens" : "") + ") and this machine has \(text(availableBytes)) available"
        if let size = largestFittingSize(settings, availableBytes: availableBytes, weightsLoaded: weightsLoaded) {
            message += "; at \(settings.frames) frames, \(size.width)×\(size.height) fits"
        } else {
            message += "; fewer frames are needed"
        }
        return message
    }

    /// The largest valid size with the aspect of `settings` that fits, or nil if none does.
    public func largestFittingSize(_ settings: VideoSettings, availableBytes: Int, weightsLoaded: Bool)
        -> (width: Int, height: Int)? {
        let longer = max(1, max(settings.width, settings.height))
        var side = min(longer, maxSide) / sizeMultiple * sizeMultiple
        while side >= sizeMultiple {
            var trial = settings
            let scale = Double(side) / Double(longer)
            trial.width = nearestSide(Int((Double(settings.width) * scale).rounded()))
            trial.height = nearestSide(Int((Double(settings.height) * scale).rounded()))
            if let estimate = memoryEstimate(for: trial), estimate.bytesNeeded(weightsLoaded: weightsLoaded) <= availableBytes {
                return (trial.width, trial.height)
            }
            side -= sizeMultiple
        }
        return nil
    }
}

/// What this machine can give a run now.
public enum MachineMemory {
    /// `MemAvailable` of `/proc/meminfo` (what the kernel says can be allocated without
    /// swapping), or nil where there is no such file.
    public static func availableBytes() -> Int? {
        guard let handle = FileHandle(forReadingAtPath: "/proc/meminfo"),
              let data = try? handle.readToEnd() else { return nil }
        try? handle.close()
        return availableBytes(meminfo: String(decoding: data, as: UTF8.self))
    }

    /// The `MemAvailable:  123 kB` line of a `/proc/meminfo` text, in bytes.
    static func availableBytes(meminfo: String) -> Int? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.dropFirst("MemAvailable:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            return fields.first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    /// "1.4 GiB", "512 MiB".
    public static func text(_ bytes: Int) -> String {
        let mib = Double(bytes) / Double(1 << 20)
        if mib >= 1024 { return String(format: "%.1f GiB", mib / 1024) }
        return String(format: "%.0f MiB", mib.rounded(.up))
    }
}
