// The config.json of diffusers `AutoencoderKL` (models/autoencoders/autoencoder_kl.py, diffusers
// 0.42.1), and the typed errors of this port: the SD VAE that TextToVideoSDPipeline
// (ModelScope, zeroscope) and AnimateDiffPipeline apply frame by frame.
import Foundation
import TensorCore

/// The encoder block types diffusers' `get_down_block` builds for this VAE. Any other
/// `down_block_types` entry is refused with the key's path (`down_block_types[1]`).
public enum AutoencoderKLDownBlockType: String, Sendable, Equatable, Decodable {
    /// `DownEncoderBlock2D`: resnets, then a stride-2 `Downsample2D` (not on the last level).
    case downEncoderBlock2D = "DownEncoderBlock2D"

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        // get_down_block strips a leading "UNetRes" before dispatching.
        let bare = name.hasPrefix("UNetRes") ? String(name.dropFirst(7)) : name
        guard let value = Self(rawValue: bare) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "unsupported down block type '\(name)': AutoencoderKL supports only DownEncoderBlock2D"))
        }
        self = value
    }
}

/// The decoder block types diffusers' `get_up_block` builds for this VAE. Any other
/// `up_block_types` entry is refused with the key's path (`up_block_types[0]`).
public enum AutoencoderKLUpBlockType: String, Sendable, Equatable, Decodable {
    /// `UpDecoderBlock2D`: `layers_per_block + 1` resnets, then a nearest ×2 `Upsample2D`
    /// (not on the last level).
    case upDecoderBlock2D = "UpDecoderBlock2D"

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        let bare = name.hasPrefix("UNetRes") ? String(name.dropFirst(7)) : name
        guard let value = Self(rawValue: bare) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "unsupported up block type '\(name)': AutoencoderKL supports only UpDecoderBlock2D"))
        }
        self = value
    }
}

/// diffusers `AutoencoderKL`'s config (`vae/config.json`), with diffusers' defaults for the keys
/// older checkpoints omit (`scaling_factor`, `force_upcast`, `use_quant_conv`, …). The keys that
/// fix the architecture (`block_out_channels`, `down_block_types`, `up_block_types`,
/// `layers_per_block`, `latent_channels`, `norm_num_groups`) are required.
public struct AutoencoderKLConfig: Decodable, Sendable, Equatable {
    /// Image channels in (3).
    public var inChannels: Int
    /// Image channels out (3).
    public var outChannels: Int
    /// One entry per encoder level.
    public var downBlockTypes: [AutoencoderKLDownBlockType]
    /// One entry per decoder level.
    public var upBlockTypes: [AutoencoderKLUpBlockType]
    /// Width per level, full resolution first ((128, 256, 512, 512) for SD).
    public var blockOutChannels: [Int]
    /// Resnets per encoder level (the decoder has one more per level).
    public var layersPerBlock: Int
    /// The resnets' activation (`act_fn`; the encoder's and decoder's `conv_act` is always SiLU).
    public var activation: Activation
    /// Latent channels (4).
    public var latentChannels: Int
    /// GroupNorm groups of every norm (32).
    public var normNumGroups: Int
    /// Image side the VAE was trained on; only the tiling defaults read it. A list in the
    /// config gives its first entry (as diffusers' `tile_latent_min_size` does).
    public var sampleSize: Int
    /// Latent scale of the diffusion model's space (0.18215 for SD 1/2).
    public var scalingFactor: Double
    /// Latent shift (SD3 / Flux VAEs); nil for the SD VAE of the video pipelines.
    public var shiftFactor: Double?
    /// Per-channel latent statistics some pipelines read; unused by the video pipelines.
    public var latentsMean: [Double]?
    /// Per-channel latent standard deviations some pipelines read; unused by the video pipelines.
    public var latentsStd: [Double]?
    /// Whether diffusers runs this VAE in float32 under half-precision pipelines (always
    /// float32 here).
    public var forceUpcast: Bool
    /// Whether a 1×1 `quant_conv` (2z → 2z) follows the encoder.
    public var useQuantConv: Bool
    /// Whether a 1×1 `post_quant_conv` (z → z) precedes the decoder.
    public var usePostQuantConv: Bool
    /// Whether the encoder's and decoder's mid blocks have their single-head attention.
    public var midBlockAddAttention: Bool

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case downBlockTypes = "down_block_types"
        case upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case activation = "act_fn"
        case latentChannels = "latent_channels"
        case normNumGroups = "norm_num_groups"
        case sampleSize = "sample_size"
        case scalingFactor = "scaling_factor"
        case shiftFactor = "shift_factor"
        case latentsMean = "latents_mean"
        case latentsStd = "latents_std"
        case forceUpcast = "force_upcast"
        case useQuantConv = "use_quant_conv"
        case usePostQuantConv = "use_post_quant_conv"
        case midBlockAddAttention = "mid_block_add_attention"
    }

    /// A validated config. The defaults are diffusers' constructor defaults except the
    /// architecture, which defaults to the SD / ModelScope VAE (128, 256, 512, 512).
    public init(inChannels: Int = 3, outChannels: Int = 3,
                downBlockTypes: [AutoencoderKLDownBlockType] = Array(repeating: .downEncoderBlock2D, count: 4),
                upBlockTypes: [AutoencoderKLUpBlockType] = Array(repeating: .upDecoderBlock2D, count: 4),
                blockOutChannels: [Int] = [128, 256, 512, 512], layersPerBlock: Int = 2,
                activation: Activation = .silu, latentChannels: Int = 4, normNumGroups: Int = 32,
                sampleSize: Int = 512, scalingFactor: Double = 0.18215, shiftFactor: Double? = nil,
                latentsMean: [Double]? = nil, latentsStd: [Double]? = nil, forceUpcast: Bool = true,
                useQuantConv: Bool = true, usePostQuantConv: Bool = true, midBlockAddAttention: Bool = true) throws {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.downBlockTypes = downBlockTypes
        self.upBlockTypes = upBlockTypes
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.activation = activation
        self.latentChannels = latentChannels
        self.normNumGroups = normNumGroups
        self.sampleSize = sampleSize
        self.scalingFactor = scalingFactor
        self.shiftFactor = shiftFactor
        self.latentsMean = latentsMean
        self.latentsStd = latentsStd
        self.forceUpcast = forceUpcast
        self.useQuantConv = useQuantConv
        self.usePostQuantConv = usePostQuantConv
        self.midBlockAddAttention = midBlockAddAttention
        try validate()
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let actName = try c.decodeIfPresent(String.self, forKey: .activation) ?? "silu"
        // diffusers' get_activation knows swish / silu / mish / gelu / relu; mish is not ported.
        guard ["silu", "swish", "gelu", "relu"].contains(actName), let activation = Activation(configName: actName) else {
            throw AutoencoderKLConfigError.unsupported(key: "act_fn", value: "'\(actName)'",
                                                       reason: "supported: silu, swish, gelu, relu")
        }
        let sampleSize: Int
        if let list = try? c.decodeIfPresent([Int].self, forKey: .sampleSize) {
            guard let first = list.first else {
                throw AutoencoderKLConfigError.invalid(key: "sample_size", value: "[]", reason: "must not be empty")
            }
            sampleSize = first
        } else {
            sampleSize = try c.decodeIfPresent(Int.self, forKey: .sampleSize) ?? 32
        }
        try self.init(
            inChannels: c.decodeIfPresent(Int.self, forKey: .inChannels) ?? 3,
            outChannels: c.decodeIfPresent(Int.self, forKey: .outChannels) ?? 3,
            downBlockTypes: c.decode([AutoencoderKLDownBlockType].self, forKey: .downBlockTypes),
            upBlockTypes: c.decode([AutoencoderKLUpBlockType].self, forKey: .upBlockTypes),
            blockOutChannels: c.decode([Int].self, forKey: .blockOutChannels),
            layersPerBlock: c.decode(Int.self, forKey: .layersPerBlock),
            activation: activation,
            latentChannels: c.decode(Int.self, forKey: .latentChannels),
            normNumGroups: c.decode(Int.self, forKey: .normNumGroups),
            sampleSize: sampleSize,
            scalingFactor: c.decodeIfPresent(Double.self, forKey: .scalingFactor) ?? 0.18215,
            shiftFactor: c.decodeIfPresent(Double.self, forKey: .shiftFactor),
            latentsMean: c.decodeIfPresent([Double].self, forKey: .latentsMean),
            latentsStd: c.decodeIfPresent([Double].self, forKey: .latentsStd),
            forceUpcast: c.decodeIfPresent(Bool.self, forKey: .forceUpcast) ?? true,
            useQuantConv: c.decodeIfPresent(Bool.self, forKey: .useQuantConv) ?? true,
            usePostQuantConv: c.decodeIfPresent(Bool.self, forKey: .usePostQuantConv) ?? true,
            midBlockAddAttention: c.decodeIfPresent(Bool.self, forKey: .midBlockAddAttention) ?? true)
    }

    /// Pixels per latent pixel along H and W: 2^(levels − 1) (8 for SD).
    public var spatialScale: Int { 1 << (blockOutChannels.count - 1) }

    /// Throws `AutoencoderKLConfigError` naming the first key that cannot describe this VAE.
    public func validate() throws {
        func positive(_ value: Int, _ key: String) throws {
            guard value > 0 else {
                throw AutoencoderKLConfigError.invalid(key: key, value: String(value), reason: "must be positive")
            }
        }
        try positive(inChannels, "in_channels")
        try positive(outChannels, "out_channels")
        try positive(layersPerBlock, "layers_per_block")
        try positive(latentChannels, "latent_channels")
        try positive(normNumGroups, "norm_num_groups")
        try positive(sampleSize, "sample_size")
        guard !blockOutChannels.isEmpty, blockOutChannels.allSatisfy({ $0 > 0 }) else {
            throw AutoencoderKLConfigError.invalid(key: "block_out_channels", value: "\(blockOutChannels)",
                                                   reason: "must be a non-empty list of positive integers")
        }
        if let bad = blockOutChannels.first(where: { $0 % normNumGroups != 0 }) {
            throw AutoencoderKLConfigError.invalid(key: "norm_num_groups", value: String(normNumGroups),
                                                   reason: "GroupNorm needs every width of block_out_channels"
                                                       + " \(blockOutChannels) to be a multiple of it (\(bad) is not)")
        }
        guard downBlockTypes.count == blockOutChannels.count else {
            throw AutoencoderKLConfigError.invalid(key: "down_block_types", value: "\(downBlockTypes.count) entries",
                                                   reason: "needs one per block_out_channels entry (\(blockOutChannels.count))")
        }
        guard upBlockTypes.count == blockOutChannels.count else {
            throw AutoencoderKLConfigError.invalid(key: "up_block_types", value: "\(upBlockTypes.count) entries",
                                                   reason: "needs one per block_out_channels entry (\(blockOutChannels.count))")
        }
        guard scalingFactor.isFinite, scalingFactor > 0 else {
            throw AutoencoderKLConfigError.invalid(key: "scaling_factor", value: "\(scalingFactor)",
                                                   reason: "must be a positive number")
        }
        if let shiftFactor, !shiftFactor.isFinite {
            throw AutoencoderKLConfigError.invalid(key: "shift_factor", value: "\(shiftFactor)", reason: "must be finite")
        }
    }
}

/// A `config.json` value the AutoencoderKL port cannot use. Names the key and the value found.
public enum AutoencoderKLConfigError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A valid diffusers setting this port does not implement.
    case unsupported(key: String, value: String, reason: String)
    /// A value that cannot describe an AutoencoderKL, or contradicts another key.
    case invalid(key: String, value: String, reason: String)

    /// The config key at fault.
    public var key: String {
        switch self {
        case let .unsupported(key, _, _), let .invalid(key, _, _): return key
        }
    }

    public var description: String {
        switch self {
        case let .unsupported(key, value, reason):
            return "AutoencoderKL config: unsupported '\(key)' = \(value): \(reason)"
        case let .invalid(key, value, reason):
            return "AutoencoderKL config: invalid '\(key)' = \(value): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// An input or call option the AutoencoderKL cannot work with.
public enum AutoencoderKLInputError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The tensor does not have the rank, channel count or non-zero sizes expected.
    case badShape(what: String, shape: [Int], expected: String)
    /// An `AutoencoderKLOptions` value that cannot run (slice size, tile sizes, overlap).
    case badOption(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case let .badShape(what, shape, expected):
            return "AutoencoderKL: \(what) has shape \(shape), expected \(expected)"
        case let .badOption(name, value, reason):
            return "AutoencoderKL: option \(name) = \(value): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
