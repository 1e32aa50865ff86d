// The config.json files AnimateDiff's UNet is built from (diffusers 0.42.1, MODELS.md §10):
// - models/unets/unet_2d_condition.py `UNet2DConditionModel`: the SD-1.5 subset (CrossAttnDownBlock2D /
//   DownBlock2D, UNetMidBlock2DCrossAttn, CrossAttnUpBlock2D / UpBlock2D, positional timesteps);
// - models/unets/unet_motion_model.py `MotionAdapter`: the motion modules' shape;
// - models/unets/unet_motion_model.py `UNetMotionModel`: the merged folder `save_pretrained` writes
//   (`CrossAttnDownBlockMotion` … and the `motion_*` keys).
// `UNetMotionModel.from_unet2d(unet, adapter)` builds its config from the UNet's plus the adapter's
// `motion_num_attention_heads`, `motion_max_seq_length`, `use_motion_mid_block`, `motion_layers_per_block`
// (as `layers_per_block`) and `motion_transformer_layers_per_{block,mid_block}`; it does NOT take
// `motion_norm_num_groups`: the motion GroupNorms have the UNet's `norm_num_groups` groups.
//
// Naming trap: in UNet2DConditionModel `attention_head_dim` is the NUMBER OF HEADS n of every level
// (`num_attention_heads = num_attention_heads or attention_head_dim`); the blocks build
// `Transformer2DModel(n, C // n, …)`: n heads of width C/n (SD-1.5: 8 heads of 40 / 80 / 160).
// The merged UNetMotionModel config names the same value `num_attention_heads`.
//
// Keys diffusers knows but this port does not implement are accepted only at their default (inert)
// value and otherwise refused by key path; keys diffusers does not know (EMA bookkeeping such as
// `decay`) are ignored, as diffusers ignores them.
import Foundation
import TensorCore
import WeightsIO

/// The SD-1.5 subset of diffusers `UNet2DConditionModel`'s config (`unet/config.json`). Absent keys
/// take diffusers' constructor defaults.
public struct UNet2DConditionConfig: Decodable, Sendable, Equatable {
    /// Latent side the model was trained on (64 for SD-1.5); informational.
    public var sampleSize: Int?
    public var inChannels: Int
    public var outChannels: Int
    /// Per level, full resolution first: whether the down block has cross-attention transformers
    /// (`CrossAttnDownBlock2D`) or not (`DownBlock2D`).
    public var downBlockCrossAttention: [Bool]
    /// Per level, lowest resolution first (`CrossAttnUpBlock2D` / `UpBlock2D`).
    public var upBlockCrossAttention: [Bool]
    /// Width per level ((320, 640, 1280, 1280) for SD-1.5).
    public var blockOutChannels: [Int]
    /// Resnets per down level (up levels have one more), one value per level.
    public var layersPerBlock: [Int]
    public var downsamplePadding: Int
    public var midBlockScaleFactor: Float
    /// The resnets' and the time embedding's activation (`act_fn`).
    public var activation: Activation
    public var normNumGroups: Int
    public var normEps: Float
    public var crossAttentionDim: Int
    /// Heads per level (`attention_head_dim`, see the file head): heads of width C / n.
    public var attentionHeads: [Int]
    /// `use_linear_projection`: Linear (true) or 1×1-conv (false, SD-1.5) `proj_in` / `proj_out`.
    public var useLinearProjection: Bool
    /// `transformer_layers_per_block`, one value per level (the mid block uses the last).
    public var transformerLayersPerBlock: [Int]

    /// A validated config; the defaults are diffusers' constructor defaults (the SD-1.5 architecture
    /// with cross_attention_dim 1280 as diffusers has it; SD-1.5's file says 768).
    public init(sampleSize: Int? = nil, inChannels: Int = 4, outChannels: Int = 4,
                downBlockCrossAttention: [Bool] = [true, true, true, false],
                upBlockCrossAttention: [Bool] = [false, true, true, true],
                blockOutChannels: [Int] = [320, 640, 1280, 1280], layersPerBlock: [Int]? = nil,
                downsamplePadding: Int = 1, midBlockScaleFactor: Float = 1, activation: Activation = .silu,
                normNumGroups: Int = 32, normEps: Float = 1e-5, crossAttentionDim: Int = 1280,
                attentionHeads: [Int]? = nil, useLinearProjection: Bool = false,
                transformerLayersPerBlock: [Int]? = nil) throws {
        let levels = downBlockCrossAttention.count
        self.sampleSize = sampleSize
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.downBlockCrossAttention = downBlockCrossAttention
        self.upBlockCrossAttention = upBlockCrossAttention
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock ?? Array(repeating: 2, count: levels)
        self.downsamplePadding = downsamplePadding
        self.midBlockScaleFactor = midBlockScaleFactor
        self.activation = activation
        self.normNumGroups = normNumGroups
        self.normEps = normEps
        self.crossAttentionDim = crossAttentionDim
        self.attentionHeads = attentionHeads ?? Array(repeating: 8, count: levels)
        self.useLinearProjection = useLinearProjection
        self.transformerLayersPerBlock = transformerLayersPerBlock ?? Array(repeating: 1, count: levels)
        try validate()
    }

    public init(from decoder: Decoder) throws {
        let c = try ConfigReader(decoder)
        self = try c.spatialConfig(format: .unet2D)
    }

    /// Throws `UNetMotionConfigError` naming the first key that cannot describe this model.
    public func validate() throws {
        func invalid(_ key: String, _ value: String, _ reason: String) -> UNetMotionConfigError {
            .invalid(key: key, value: value, reason: reason)
        }
        for (value, key) in [(inChannels, "in_channels"), (outChannels, "out_channels"),
                             (normNumGroups, "norm_num_groups"), (crossAttentionDim, "cross_attention_dim")]
        where value <= 0 {
            throw invalid(key, String(value), "must be positive")
        }
        guard downsamplePadding >= 0 else { throw invalid("downsample_padding", String(downsamplePadding), "must not be negative") }
        guard midBlockScaleFactor.isFinite, midBlockScaleFactor != 0 else {
            throw invalid("mid_block_scale_factor", "\(midBlockScaleFactor)", "must be a non-zero number")
        }
        guard normEps.isFinite, normEps > 0 else { throw invalid("norm_eps", "\(normEps)", "must be a positive number") }
        guard !blockOutChannels.isEmpty, blockOutChannels.allSatisfy({ $0 > 0 }) else {
            throw invalid("block_out_channels", "\(blockOutChannels)", "must be a non-empty list of positive integers")
        }
        let levels = blockOutChannels.count
        guard downBlockCrossAttention.count == levels else {
            throw invalid("down_block_types", "\(downBlockCrossAttention.count) entries",
                          "needs one per block_out_channels entry (\(levels))")
        }
        guard upBlockCrossAttention.count == levels else {
            throw invalid("up_block_types", "\(upBlockCrossAttention.count) entries",
                          "needs as many as down_block_types (\(levels))")
        }
        for (key, list) in [("layers_per_block", layersPerBlock), ("attention_head_dim", attentionHeads),
                            ("transformer_layers_per_block", transformerLayersPerBlock)] {
            guard list.count == levels, list.allSatisfy({ $0 > 0 }) else {
                throw invalid(key, "\(list)", "needs one positive value, or one per level (\(levels))")
            }
        }
        if let bad = blockOutChannels.first(where: { $0 % normNumGroups != 0 }) {
            throw invalid("norm_num_groups", String(normNumGroups),
                          "GroupNorm needs every width of block_out_channels \(blockOutChannels) to be a multiple of it"
                              + " (\(bad) is not)")
        }
        for (level, (width, n)) in zip(blockOutChannels, attentionHeads).enumerated() where width / n == 0 {
            throw invalid("attention_head_dim", "\(attentionHeads)", "level \(level) is \(width) wide, narrower than its \(n) heads")
        }
    }

    /// Width of the time embedding: 4 · block_out_channels[0] (1280 for SD-1.5).
    public var timeEmbedDim: Int { 4 * blockOutChannels[0] }
}

/// The motion modules' shape, as `UNetMotionModel.from_unet2d` takes it from a `MotionAdapter` (or as
/// a merged `UNetMotionModel` config states it).
public struct MotionModuleConfig: Sendable, Equatable {
    /// Heads per level (`motion_num_attention_heads`), of width C / heads.
    public var numAttentionHeads: [Int]
    /// `motion_max_seq_length`: the rows of every `pos_embed.pe`, the most frames the model takes.
    public var maxSeqLength: Int
    /// Motion modules per down level (= the UNet's `layers_per_block`; up levels have one more).
    public var layersPerBlock: [Int]
    /// Transformer blocks inside each motion module, per level.
    public var transformerLayersPerBlock: [Int]
    /// Transformer blocks of the mid block's motion module; nil without one (`use_motion_mid_block` false).
    public var midBlockTransformerLayers: Int?
}

/// diffusers `MotionAdapter`'s config (`motion_adapter/config.json`). Absent keys take diffusers'
/// constructor defaults (guoyww/animatediff-motion-adapter-v1-5-2).
public struct MotionAdapterConfig: Decodable, Sendable, Equatable {
    public var blockOutChannels: [Int]
    /// Motion modules per down level (up levels have one more); must equal the UNet's `layers_per_block`.
    public var motionLayersPerBlock: [Int]
    public var motionTransformerLayersPerBlock: [Int]
    /// Transformer blocks of the mid motion module (`motion_transformer_layers_per_mid_block`).
    public var motionTransformerLayersPerMidBlock: Int
    public var motionNumAttentionHeads: [Int]
    /// `motion_norm_num_groups`: recorded, but `from_unet2d` builds the motion GroupNorms with the
    /// UNet's `norm_num_groups` (GroupNorm weights do not depend on it), and so does this port.
    public var motionNormNumGroups: Int
    public var motionMaxSeqLength: Int
    public var useMotionMidBlock: Bool

    public init(from decoder: Decoder) throws {
        let c = try ConfigReader(decoder)
        try c.refuseUnlessDefault("conv_in_channels", .null, "a conv_in inside the adapter (PIA / SparseCtrl) is not ported")
        try c.refuseUnlessDefault("motion_mid_block_layers_per_block", .int(1),
                                  "UNetMotionModel builds one mid-block motion module (mid_block_layers 1)")
        blockOutChannels = try c.decode([Int].self, "block_out_channels") ?? [320, 640, 1280, 1280]
        let levels = blockOutChannels.count
        motionLayersPerBlock = try c.intOrList("motion_layers_per_block", levels: levels, default: 2)
        motionTransformerLayersPerBlock = try c.intOrList("motion_transformer_layers_per_block", levels: levels, default: 1)
        motionTransformerLayersPerMidBlock = try c.intOrList("motion_transformer_layers_per_mid_block", levels: 1,
                                                             default: 1)[0]
        motionNumAttentionHeads = try c.intOrList("motion_num_attention_heads", levels: levels, default: 8)
        motionNormNumGroups = try c.decode(Int.self, "motion_norm_num_groups") ?? 32
        motionMaxSeqLength = try c.decode(Int.self, "motion_max_seq_length") ?? 32
        useMotionMidBlock = try c.decode(Bool.self, "use_motion_mid_block") ?? true
        for (key, list) in [("block_out_channels", blockOutChannels), ("motion_num_attention_heads", motionNumAttentionHeads),
                            ("motion_transformer_layers_per_block", motionTransformerLayersPerBlock),
                            ("motion_layers_per_block", motionLayersPerBlock)] {
            guard list.allSatisfy({ $0 > 0 }) else { throw c.refuse(key, "must hold positive integers") }
            guard list.count == levels else {
                throw c.refuse(key, "has \(list.count) entries: needs one value, or one per block_out_channels entry (\(levels))")
            }
        }
        guard motionMaxSeqLength > 0 else { throw c.refuse("motion_max_seq_length", "must be positive") }
    }

    /// The motion modules `UNetMotionModel.from_unet2d(unet, adapter)` builds for `unet`. Throws
    /// `UNetMotionConfigError.adapterMismatch` naming both values when the adapter does not fit.
    public func motionModules(for unet: UNet2DConditionConfig) throws -> MotionModuleConfig {
        func mismatch(_ key: String, _ adapter: Any, _ unetKey: String, _ unetValue: Any) -> UNetMotionConfigError {
            .adapterMismatch(adapterKey: key, adapterValue: "\(adapter)", unetKey: unetKey, unetValue: "\(unetValue)")
        }
        guard blockOutChannels == unet.blockOutChannels else {
            throw mismatch("block_out_channels", blockOutChannels, "block_out_channels", unet.blockOutChannels)
        }
        guard motionLayersPerBlock == unet.layersPerBlock else {
            throw mismatch("motion_layers_per_block", motionLayersPerBlock, "layers_per_block", unet.layersPerBlock)
        }
        for (level, (width, n)) in zip(blockOutChannels, motionNumAttentionHeads).enumerated() where width % n != 0 {
            throw UNetMotionConfigError.invalid(key: "motion_num_attention_heads", value: "\(motionNumAttentionHeads)",
                                                reason: "level \(level) is \(width) wide, not a multiple of \(n) heads")
        }
        return MotionModuleConfig(numAttentionHeads: motionNumAttentionHeads, maxSeqLength: motionMaxSeqLength,
                                  layersPerBlock: motionLayersPerBlock,
                                  transformerLayersPerBlock: motionTransformerLayersPerBlock,
                                  midBlockTransformerLayers: useMotionMidBlock ? motionTransformerLayersPerMidBlock : nil)
    }
}

/// diffusers `UNetMotionModel`'s config (one folder written by `save_pretrained`, motion weights
/// already merged): the UNet2D keys with `*BlockMotion` block types and `num_attention_heads`, plus
/// the motion keys.
public struct UNetMotionModelConfig: Decodable, Sendable, Equatable {
    public var unet: UNet2DConditionConfig
    public var motion: MotionModuleConfig

    public init(from decoder: Decoder) throws {
        let c = try ConfigReader(decoder)
        unet = try c.spatialConfig(format: .unetMotion)
        let levels = unet.blockOutChannels.count
        try c.refuseUnlessDefault("mid_block_layers", .int(1), "one mid-block layer is ported (diffusers' default)")
        for key in ["reverse_temporal_transformer_layers_per_block", "reverse_motion_num_attention_heads"] {
            try c.refuseUnlessDefault(key, .null, "asymmetric motion modules are not ported")
        }
        let heads = try c.intOrList("motion_num_attention_heads", levels: levels, default: 8)
        let mid = try c.intOrList("temporal_transformer_layers_per_mid_block", levels: 1, default: 1)[0]
        motion = MotionModuleConfig(
            numAttentionHeads: heads,
            maxSeqLength: try c.decode(Int.self, "motion_max_seq_length") ?? 32,
            layersPerBlock: unet.layersPerBlock,
            transformerLayersPerBlock: try c.intOrList("temporal_transformer_layers_per_block", levels: levels, default: 1),
            midBlockTransformerLayers: (try c.decode(Bool.self, "use_motion_mid_block") ?? true) ? mid : nil)
        for (key, list) in [("motion_num_attention_heads", heads),
                            ("temporal_transformer_layers_per_block", motion.transformerLayersPerBlock)]
        where list.count != levels || !list.allSatisfy({ $0 > 0 }) {
            throw c.refuse(key, "needs one positive value, or one per level (\(levels))")
        }
        for (level, (width, n)) in zip(unet.blockOutChannels, heads).enumerated() where width % n != 0 {
            throw c.refuse("motion_num_attention_heads", "level \(level) is \(width) wide, not a multiple of \(n) heads")
        }
        guard motion.maxSeqLength > 0 else { throw c.refuse("motion_max_seq_length", "must be positive") }
    }
}

/// A `config.json` value, or a UNet / adapter pairing, the UNetMotionModel port cannot use.
public enum UNetMotionConfigError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A value that cannot describe the model, or contradicts another key.
    case invalid(key: String, value: String, reason: String)
    /// The MotionAdapter does not fit the UNet: names the adapter's key and value and the UNet's.
    case adapterMismatch(adapterKey: String, adapterValue: String, unetKey: String, unetValue: String)

    public var description: String {
        switch self {
        case let .invalid(key, value, reason):
            return "UNetMotionModel config: invalid '\(key)' = \(value): \(reason)"
        case let .adapterMismatch(adapterKey, adapterValue, unetKey, unetValue):
            return "UNetMotionModel: the MotionAdapter's '\(adapterKey)' = \(adapterValue) does not match the UNet's"
                + " '\(unetKey)' = \(unetValue): this adapter was made for another UNet layout"
        }
    }

    public var errorDescription: String? { description }
}

/// An input the UNetMotionModel cannot take.
public enum UNetMotionInputError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// `sample` is not `[B, in_channels, F, H, W]` with every size positive.
    case sampleShape(shape: [Int], inChannels: Int)
    /// `encoder_hidden_states` is not `[B·F, L, cross_attention_dim]`.
    case textShape(shape: [Int], rows: Int, crossAttentionDim: Int)
    /// There must be one timestep per batch item, or one for all.
    case timestepCount(count: Int, batch: Int)
    /// More frames than the motion modules' positional table (`motion_max_seq_length`).
    case tooManyFrames(frames: Int, maxSeqLength: Int)

    public var description: String {
        switch self {
        case let .sampleShape(shape, inChannels):
            return "UNetMotionModel: sample \(shape) must be [B, \(inChannels), F, H, W] with positive sizes"
        case let .textShape(shape, rows, crossAttentionDim):
            return "UNetMotionModel: encoder hidden states \(shape) must be [\(rows), L, \(crossAttentionDim)]"
                + " ([B·F, L, cross_attention_dim]: the prompt repeated per frame) with L > 0"
        case let .timestepCount(count, batch):
            return "UNetMotionModel: \(count) timesteps given for a batch of \(batch); pass one per item or one for all"
        case let .tooManyFrames(frames, maxSeqLength):
            return "UNetMotionModel: \(frames) frames exceed the motion modules' motion_max_seq_length \(maxSeqLength)"
        }
    }

    public var errorDescription: String? { description }
}

/// Reads a diffusers config with any keys: typed values by name, and refusals that carry the key path.
struct ConfigReader {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    enum Format { case unet2D, unetMotion }

    let container: KeyedDecodingContainer<Key>

    init(_ decoder: Decoder) throws { container = try decoder.container(keyedBy: Key.self) }

    func refuse(_ key: String, _ message: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: container.codingPath + [Key(stringValue: key)], debugDescription: message))
    }

    /// The value of `key`, nil when absent or null.
    func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
        try container.decodeIfPresent(type, forKey: Key(stringValue: key))
    }

    /// Refuses `key` unless it is absent or equals `inert` (null counts as inert for a null default).
    func refuseUnlessDefault(_ key: String, _ inert: JSONValue, _ reason: String) throws {
        guard let value = try decode(JSONValue.self, key) else { return }
        let same: Bool
        switch (value, inert) {
        case let (.int(a), .double(b)), let (.double(b), .int(a)): same = Double(a) == b
        default: same = value == inert
        }
        if !same { throw refuse(key, "must be \(inert): \(reason)") }
    }

    /// One integer for every level, or a list of one per level.
    func intOrList(_ key: String, levels: Int, default fallback: Int) throws -> [Int] {
        if let list = try? decode([Int].self, key) { return list }
        if let one = try? decode(Int.self, key) { return Array(repeating: one, count: levels) }
        if try decode(JSONValue.self, key) == nil { return Array(repeating: fallback, count: levels) }
        throw refuse(key, "must be an integer or a list of integers (one per level)")
    }

    /// The UNet2D part of a UNet2DConditionModel or UNetMotionModel config.
    func spatialConfig(format: Format) throws -> UNet2DConditionConfig {
        let (crossDown, plainDown, crossUp, plainUp) = format == .unet2D
            ? ("CrossAttnDownBlock2D", "DownBlock2D", "CrossAttnUpBlock2D", "UpBlock2D")
            : ("CrossAttnDownBlockMotion", "DownBlockMotion", "CrossAttnUpBlockMotion", "UpBlockMotion")
        func blocks(_ key: String, cross: String, plain: String, default fallback: [String]) throws -> [Bool] {
            let names = try decode([String].self, key) ?? fallback
            return try names.enumerated().map { i, name in
                if name == cross { return true }
                if name == plain { return false }
                throw DecodingError.dataCorrupted(.init(
                    codingPath: container.codingPath + [Key(stringValue: key), IndexKey(i)],
                    debugDescription: "unsupported block type '\(name)': supported \(cross), \(plain)"))
            }
        }
        // Keys whose other values change the computation in ways this port does not implement.
        let inert: [(String, JSONValue, String)] = [
            ("time_cond_proj_dim", .null, "the timestep-condition projection (LCM cond_proj) is not ported"),
            ("addition_embed_type", .null, "added embeddings (SDXL text_time, …) are not ported"),
            ("addition_time_embed_dim", .null, "added time embeddings are not ported"),
            ("projection_class_embeddings_input_dim", .null, "class-embedding projections are not ported"),
            ("encoder_hid_dim", .null, "an encoder_hid_proj is not ported"),
            ("encoder_hid_dim_type", .null, "an encoder_hid_proj is not ported"),
            ("transformer_layers_per_mid_block", .null, "the mid block takes the last transformer_layers_per_block"),
            ("reverse_transformer_layers_per_block", .null, "asymmetric UNets are not ported"),
            ("center_input_sample", .bool(false), "centring the input is not ported"),
            ("flip_sin_to_cos", .bool(true), "the timestep embedding is ported with cos first"),
            ("freq_shift", .int(0), "the timestep embedding is ported with downscale_freq_shift 0"),
            ("class_embed_type", .null, "class embeddings are not ported"),
            ("num_class_embeds", .null, "class embeddings are not ported"),
            ("class_embeddings_concat", .bool(false), "class embeddings are not ported"),
            ("time_embedding_type", .string("positional"), "only positional (sinusoidal) timesteps are ported"),
            ("time_embedding_dim", .null, "the time embedding is 4 · block_out_channels[0]"),
            ("time_embedding_act_fn", .null, "no extra time-embedding activation is ported"),
            ("timestep_post_act", .null, "no post-activation of the time embedding is ported"),
            ("conv_in_kernel", .int(3), "conv_in is ported as a 3×3 conv"),
            ("conv_out_kernel", .int(3), "conv_out is ported as a 3×3 conv"),
            ("dual_cross_attention", .bool(false), "dual cross-attention is not ported"),
            ("only_cross_attention", .bool(false), "cross-attention-only transformers are not ported"),
            ("mid_block_only_cross_attention", .null, "cross-attention-only transformers are not ported"),
            ("cross_attention_norm", .null, "a cross-attention norm is not ported"),
            ("attention_type", .string("default"), "gated (GLIGEN) attention is not ported"),
            ("resnet_time_scale_shift", .string("default"), "scale-shift time conditioning is not ported"),
            ("resnet_skip_time_act", .bool(false), "skipping the time activation is not ported"),
            ("resnet_out_scale_factor", .double(1), "resnet output scaling is not ported"),
            ("mid_block_type", .string("UNetMidBlock2DCrossAttn"), "only UNetMidBlock2DCrossAttn is ported"),
        ]
        for (key, value, reason) in inert { try refuseUnlessDefault(key, value, reason) }
        if try decode(JSONValue.self, "cross_attention_dim").map({ if case .array = $0 { return true } else { return false } }) ?? false {
            throw refuse("cross_attention_dim", "must be one integer: per-level cross-attention widths are not ported")
        }
        for key in ["transformer_layers_per_block", "layers_per_block"] {
            if case let .array(items)? = try decode(JSONValue.self, key), items.contains(where: { if case .array = $0 { return true } else { return false } }) {
                throw refuse(key, "nested lists (asymmetric UNets) are not ported")
            }
        }
        let down = try blocks("down_block_types", cross: crossDown, plain: plainDown,
                              default: [crossDown, crossDown, crossDown, plainDown])
        let up = try blocks("up_block_types", cross: crossUp, plain: plainUp, default: [plainUp, crossUp, crossUp, crossUp])
        let levels = down.count
        let heads: [Int]
        switch format {
        case .unet2D:
            // diffusers raises for a num_attention_heads value (the naming issue of the file head).
            try refuseUnlessDefault("num_attention_heads", .null,
                                    "UNet2DConditionModel takes its head count from attention_head_dim")
            heads = try intOrList("attention_head_dim", levels: levels, default: 8)
        case .unetMotion:
            heads = try intOrList("num_attention_heads", levels: levels, default: 8)
        }
        let actName = try decode(String.self, "act_fn") ?? "silu"
        guard ["silu", "swish", "gelu", "relu"].contains(actName), let activation = Activation(configName: actName) else {
            throw refuse("act_fn", "unsupported act_fn '\(actName)': supported silu, swish, gelu, relu")
        }
        if container.contains(Key(stringValue: "norm_num_groups")), try decode(Int.self, "norm_num_groups") == nil {
            throw refuse("norm_num_groups", "must be an integer: a UNet without output norm is not ported")
        }
        let cross = try decode(Int.self, "cross_attention_dim") ?? 1280
        do {
            return try UNet2DConditionConfig(
                sampleSize: decode(Int.self, "sample_size"),
                inChannels: decode(Int.self, "in_channels") ?? 4,
                outChannels: decode(Int.self, "out_channels") ?? 4,
                downBlockCrossAttention: down, upBlockCrossAttention: up,
                blockOutChannels: decode([Int].self, "block_out_channels") ?? [320, 640, 1280, 1280],
                layersPerBlock: intOrList("layers_per_block", levels: levels, default: 2),
                downsamplePadding: decode(Int.self, "downsample_padding") ?? 1,
                midBlockScaleFactor: decode(Float.self, "mid_block_scale_factor") ?? 1,
                activation: activation,
                normNumGroups: decode(Int.self, "norm_num_groups") ?? 32,
                normEps: decode(Float.self, "norm_eps") ?? 1e-5,
                crossAttentionDim: cross,
                attentionHeads: heads,
                useLinearProjection: decode(Bool.self, "use_linear_projection") ?? false,
                transformerLayersPerBlock: intOrList("transformer_layers_per_block", levels: levels, default: 1))
        } catch let UNetMotionConfigError.invalid(key, _, reason) {
            let name = format == .unetMotion && key == "attention_head_dim" ? "num_attention_heads" : key
            throw refuse(name, reason)
        }
    }

    struct IndexKey: CodingKey {
        var stringValue: String { String(index) }
        var intValue: Int? { index }
        let index: Int
        init(_ index: Int) { self.index = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { index = intValue }
    }
}
