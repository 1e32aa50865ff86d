// The config.json of diffusers `UNet3DConditionModel` (models/unets/unet_3d_condition.py, diffusers
// 0.42.1), the block types its `get_down_block` / `get_up_block` (unets/unet_3d_blocks.py) build for
// it, and the typed errors of this port (MODELS.md §1).
//
// Naming trap (§1.1, §14.3): `attention_head_dim` is used as the NUMBER OF HEADS `n` of every 3-D
// block: the blocks build `Transformer2DModel(C // n, n, …)` / `TransformerTemporalModel(C // n, n, …)`
// positionally, i.e. C/n heads of width n (ModelScope: n = 64 → heads of width 64, 5/10/20 heads).
// `transformer_in` has 8 heads of width `attention_head_dim`. `num_attention_heads` must be null:
// diffusers raises NotImplementedError when it is set.
import Foundation
import TensorCore

/// The down block types `UNet3DConditionModel` supports. Any other `down_block_types` entry is
/// refused with the key's path (`down_block_types[1]`).
public enum UNet3DDownBlockType: String, Sendable, Equatable, CaseIterable, Decodable {
    /// `CrossAttnDownBlock3D`: per layer resnet → temporal conv → spatial transformer (text
    /// cross-attention) → temporal transformer; then a stride-2 `Downsample2D` (not on the last level).
    case crossAttnDownBlock3D = "CrossAttnDownBlock3D"
    /// `DownBlock3D`: per layer resnet → temporal conv; then `Downsample2D` (not on the last level).
    case downBlock3D = "DownBlock3D"

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "unsupported down block type '\(name)': UNet3DConditionModel supports "
                    + Self.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        self = value
    }

    /// Whether the block has spatial and temporal transformers.
    public var hasCrossAttention: Bool { self == .crossAttnDownBlock3D }
}

/// The up block types `UNet3DConditionModel` supports. Any other `up_block_types` entry is refused
/// with the key's path (`up_block_types[0]`).
public enum UNet3DUpBlockType: String, Sendable, Equatable, CaseIterable, Decodable {
    /// `CrossAttnUpBlock3D`: per layer cat(skip) → resnet → temporal conv → spatial transformer →
    /// temporal transformer; then a nearest ×2 `Upsample2D` (not on the last level).
    case crossAttnUpBlock3D = "CrossAttnUpBlock3D"
    /// `UpBlock3D`: per layer cat(skip) → resnet → temporal conv; then `Upsample2D` (not on the last level).
    case upBlock3D = "UpBlock3D"

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "unsupported up block type '\(name)': UNet3DConditionModel supports "
                    + Self.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        self = value
    }

    /// Whether the block has spatial and temporal transformers.
    public var hasCrossAttention: Bool { self == .crossAttnUpBlock3D }
}

/// diffusers `UNet3DConditionModel`'s config (`unet/config.json`). Absent keys take diffusers'
/// constructor defaults (the ModelScope architecture).
public struct UNet3DConditionConfig: Decodable, Sendable, Equatable {
    /// Latent side the model was trained on (32 for ModelScope); informational.
    public var sampleSize: Int?
    /// Latent channels in (4).
    public var inChannels: Int
    /// Latent channels out (4).
    public var outChannels: Int
    /// One entry per level, full resolution first.
    public var downBlockTypes: [UNet3DDownBlockType]
    /// One entry per level, lowest resolution first.
    public var upBlockTypes: [UNet3DUpBlockType]
    /// Width per level ((320, 640, 1280, 1280) for ModelScope).
    public var blockOutChannels: [Int]
    /// Resnets per down level (up levels have one more).
    public var layersPerBlock: Int
    /// Padding of the stride-2 `Downsample2D` convs (1; 0 pads right / bottom only).
    public var downsamplePadding: Int
    /// `output_scale_factor` of the mid block's resnets (1).
    public var midBlockScaleFactor: Float
    /// The resnets' and the time embedding's activation (`act_fn`, "silu"). The output
    /// activation is always SiLU.
    public var activation: Activation
    /// GroupNorm groups of every resnet, temporal conv and transformer norm (32).
    public var normNumGroups: Int
    /// eps of the resnets' norms and of `conv_norm_out` (1e-5). The transformers' GroupNorms use
    /// 1e-6, the temporal convs' GroupNorms torch's default 1e-5.
    public var normEps: Float
    /// Width of the text embeddings (1024, OpenCLIP-H).
    public var crossAttentionDim: Int
    /// `attention_head_dim`, one value per level: the number of heads `n` of the level's
    /// transformers (heads of width C/n … see the file head), and the head width of `transformer_in`.
    public var attentionHeadDim: [Int]

    enum CodingKeys: String, CodingKey {
        case sampleSize = "sample_size"
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case downBlockTypes = "down_block_types"
        case upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case downsamplePadding = "downsample_padding"
        case midBlockScaleFactor = "mid_block_scale_factor"
        case activation = "act_fn"
        case normNumGroups = "norm_num_groups"
        case normEps = "norm_eps"
        case crossAttentionDim = "cross_attention_dim"
        case attentionHeadDim = "attention_head_dim"
        case numAttentionHeads = "num_attention_heads"
        case timeCondProjDim = "time_cond_proj_dim"
    }

    /// A validated config; the defaults are diffusers' constructor defaults (ModelScope).
    public init(sampleSize: Int? = nil, inChannels: Int = 4, outChannels: Int = 4,
                downBlockTypes: [UNet3DDownBlockType] = [.crossAttnDownBlock3D, .crossAttnDownBlock3D,
                                                         .crossAttnDownBlock3D, .downBlock3D],
                upBlockTypes: [UNet3DUpBlockType] = [.upBlock3D, .crossAttnUpBlock3D, .crossAttnUpBlock3D,
                                                     .crossAttnUpBlock3D],
                blockOutChannels: [Int] = [320, 640, 1280, 1280], layersPerBlock: Int = 2,
                downsamplePadding: Int = 1, midBlockScaleFactor: Float = 1, activation: Activation = .silu,
                normNumGroups: Int = 32, normEps: Float = 1e-5, crossAttentionDim: Int = 1024,
                attentionHeadDim: [Int]? = nil) throws {
        self.sampleSize = sampleSize
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.downBlockTypes = downBlockTypes
        self.upBlockTypes = upBlockTypes
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.downsamplePadding = downsamplePadding
        self.midBlockScaleFactor = midBlockScaleFactor
        self.activation = activation
        self.normNumGroups = normNumGroups
        self.normEps = normEps
        self.crossAttentionDim = crossAttentionDim
        self.attentionHeadDim = attentionHeadDim ?? Array(repeating: 64, count: downBlockTypes.count)
        try validate()
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func refuse(_ key: CodingKeys, _ message: String) -> DecodingError {
            .dataCorrupted(.init(codingPath: c.codingPath + [key], debugDescription: message))
        }
        // diffusers raises NotImplementedError for a num_attention_heads value (the naming issue above).
        if c.contains(.numAttentionHeads), try !c.decodeNil(forKey: .numAttentionHeads) {
            throw refuse(.numAttentionHeads, "must be null: UNet3DConditionModel takes its head count from"
                         + " attention_head_dim (diffusers raises NotImplementedError otherwise)")
        }
        if c.contains(.timeCondProjDim), try !c.decodeNil(forKey: .timeCondProjDim) {
            throw refuse(.timeCondProjDim, "must be null: the timestep-condition projection (cond_proj) is not ported")
        }
        let actName = try c.decodeIfPresent(String.self, forKey: .activation) ?? "silu"
        guard ["silu", "swish", "gelu", "relu"].contains(actName), let activation = Activation(configName: actName) else {
            throw refuse(.activation, "unsupported act_fn '\(actName)': supported silu, swish, gelu, relu")
        }
        if c.contains(.normNumGroups), try c.decodeNil(forKey: .normNumGroups) {
            throw refuse(.normNumGroups, "must be an integer: a UNet3DConditionModel without norms is not ported")
        }
        let downTypes = try c.decodeIfPresent([UNet3DDownBlockType].self, forKey: .downBlockTypes)
            ?? [.crossAttnDownBlock3D, .crossAttnDownBlock3D, .crossAttnDownBlock3D, .downBlock3D]
        // attention_head_dim: one int for every level, or one per level.
        let heads: [Int]
        if let list = try? c.decodeIfPresent([Int].self, forKey: .attentionHeadDim) {
            heads = list
        } else {
            let one = try c.decodeIfPresent(Int.self, forKey: .attentionHeadDim) ?? 64
            heads = Array(repeating: one, count: downTypes.count)
        }
        try self.init(
            sampleSize: c.decodeIfPresent(Int.self, forKey: .sampleSize),
            inChannels: c.decodeIfPresent(Int.self, forKey: .inChannels) ?? 4,
            outChannels: c.decodeIfPresent(Int.self, forKey: .outChannels) ?? 4,
            downBlockTypes: downTypes,
            upBlockTypes: c.decodeIfPresent([UNet3DUpBlockType].self, forKey: .upBlockTypes)
                ?? [.upBlock3D, .crossAttnUpBlock3D, .crossAttnUpBlock3D, .crossAttnUpBlock3D],
            blockOutChannels: c.decodeIfPresent([Int].self, forKey: .blockOutChannels) ?? [320, 640, 1280, 1280],
            layersPerBlock: c.decodeIfPresent(Int.self, forKey: .layersPerBlock) ?? 2,
            downsamplePadding: c.decodeIfPresent(Int.self, forKey: .downsamplePadding) ?? 1,
            midBlockScaleFactor: c.decodeIfPresent(Float.self, forKey: .midBlockScaleFactor) ?? 1,
            activation: activation,
            normNumGroups: c.decodeIfPresent(Int.self, forKey: .normNumGroups) ?? 32,
            normEps: c.decodeIfPresent(Float.self, forKey: .normEps) ?? 1e-5,
            crossAttentionDim: c.decodeIfPresent(Int.self, forKey: .crossAttentionDim) ?? 1024,
            attentionHeadDim: heads)
    }

    /// Throws `UNet3DConditionConfigError` naming the first key that cannot describe this model.
    public func validate() throws {
        func invalid(_ key: String, _ value: String, _ reason: String) -> UNet3DConditionConfigError {
            .invalid(key: key, value: value, reason: reason)
        }
        for (value, key) in [(inChannels, "in_channels"), (outChannels, "out_channels"),
                             (layersPerBlock, "layers_per_block"), (normNumGroups, "norm_num_groups"),
                             (crossAttentionDim, "cross_attention_dim")] where value <= 0 {
            throw invalid(key, String(value), "must be positive")
        }
        guard downsamplePadding >= 0 else {
            throw invalid("downsample_padding", String(downsamplePadding), "must not be negative")
        }
        guard midBlockScaleFactor.isFinite, midBlockScaleFactor != 0 else {
            throw invalid("mid_block_scale_factor", "\(midBlockScaleFactor)", "must be a non-zero number")
        }
        guard normEps.isFinite, normEps > 0 else {
            throw invalid("norm_eps", "\(normEps)", "must be a positive number")
        }
        guard !blockOutChannels.isEmpty, blockOutChannels.allSatisfy({ $0 > 0 }) else {
            throw invalid("block_out_channels", "\(blockOutChannels)", "must be a non-empty list of positive integers")
        }
        guard downBlockTypes.count == blockOutChannels.count else {
            throw invalid("down_block_types", "\(downBlockTypes.count) entries",
                          "needs one per block_out_channels entry (\(blockOutChannels.count))")
        }
        guard upBlockTypes.count == downBlockTypes.count else {
            throw invalid("up_block_types", "\(upBlockTypes.count) entries",
                          "needs as many as down_block_types (\(downBlockTypes.count))")
        }
        guard attentionHeadDim.count == downBlockTypes.count else {
            throw invalid("attention_head_dim", "\(attentionHeadDim)",
                          "needs one value, or one per down_block_types entry (\(downBlockTypes.count))")
        }
        if let bad = attentionHeadDim.first(where: { $0 <= 0 }) {
            throw invalid("attention_head_dim", "\(attentionHeadDim)", "\(bad) is not a positive head count")
        }
        if let bad = blockOutChannels.first(where: { $0 % normNumGroups != 0 }) {
            throw invalid("norm_num_groups", String(normNumGroups),
                          "GroupNorm needs every width of block_out_channels \(blockOutChannels) to be a multiple of it"
                              + " (\(bad) is not)")
        }
        // The 3-D blocks build C // n heads of width n; C < n would give no heads at all.
        for (level, (width, n)) in zip(blockOutChannels, attentionHeadDim).enumerated() where width / n == 0 {
            throw invalid("attention_head_dim", "\(attentionHeadDim)",
                          "level \(level) is \(width) wide, narrower than its \(n) heads")
        }
    }

    /// Width of the time embedding: 4 · block_out_channels[0] (1280 for ModelScope).
    public var timeEmbedDim: Int { 4 * blockOutChannels[0] }

    /// Latent pixels per lowest-resolution pixel: 2^(levels − 1). Latent sides that are not a
    /// multiple of it are accepted (the up blocks are given the skip sizes, as in diffusers).
    public var spatialScale: Int { 1 << (blockOutChannels.count - 1) }
}

/// A `config.json` value the UNet3DConditionModel port cannot use. Names the key and the value.
public enum UNet3DConditionConfigError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A value that cannot describe a UNet3DConditionModel, or contradicts another key.
    case invalid(key: String, value: String, reason: String)

    /// The config key at fault.
    public var key: String {
        switch self {
        case let .invalid(key, _, _): return key
        }
    }

    public var description: String {
        switch self {
        case let .invalid(key, value, reason):
            return "UNet3DConditionModel config: invalid '\(key)' = \(value): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// An input the UNet3DConditionModel cannot take.
public enum UNet3DConditionInputError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// `sample` is not `[B, in_channels, F, H, W]` with every size positive.
    case sampleShape(shape: [Int], inChannels: Int)
    /// `encoder_hidden_states` is not `[B, L, cross_attention_dim]` with the sample's batch size.
    case textShape(shape: [Int], batch: Int, crossAttentionDim: Int)
    /// There must be one timestep per batch item, or one for all.
    case timestepCount(count: Int, batch: Int)

    public var description: String {
        switch self {
        case let .sampleShape(shape, inChannels):
            return "UNet3DConditionModel: sample \(shape) must be [B, \(inChannels), F, H, W] with positive sizes"
        case let .textShape(shape, batch, crossAttentionDim):
            return "UNet3DConditionModel: encoder hidden states \(shape) must be [\(batch), L, \(crossAttentionDim)]"
                + " (cross_attention_dim) with L > 0"
        case let .timestepCount(count, batch):
            return "UNet3DConditionModel: \(count) timesteps given for a batch of \(batch); pass one per item or one for all"
        }
    }

    public var errorDescription: String? { description }
}
