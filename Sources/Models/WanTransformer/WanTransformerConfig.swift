// The config of diffusers 0.42.1 models/transformers/transformer_wan.py `WanTransformer3DModel`
// (its `__init__` arguments): the `transformer/config.json` of a Wan 2.1 / 2.2 pipeline.
import Foundation
import WeightsIO

/// `WanTransformer3DModel`'s config, decoded from `config.json` (keys in diffusers spelling).
///
/// Only the text-to-video variant is supported: `image_dim` and `added_kv_proj_dim` must be
/// null (they add the I2V image branch) and `qk_norm` must be `"rms_norm_across_heads"`;
/// `validate()` reports any other value as `WanTransformerError.unsupportedConfig`.
public struct WanTransformerConfig: Decodable, Sendable, Equatable {
    /// `(t, h, w)` patch of the latent grid turned into one token.
    public var patchSize: [Int]
    public var attentionHeadCount: Int
    public var attentionHeadDim: Int
    public var inChannels: Int
    public var outChannels: Int
    /// Width of the text encoder's hidden states (UMT5-XXL: 4096).
    public var textDim: Int
    /// Width of the sinusoidal timestep embedding.
    public var frequencyDim: Int
    public var ffnDim: Int
    public var layerCount: Int
    /// Whether `norm2` (before cross-attention) is an affine LayerNorm (else identity).
    public var crossAttentionNorm: Bool
    /// `"rms_norm_across_heads"` (the only supported value) or another diffusers spelling.
    public var qkNorm: String?
    public var eps: Float
    /// I2V only: width of the CLIP image embedding. Must be nil.
    public var imageDim: Int?
    /// I2V only: width of the added k/v projections. Must be nil.
    public var addedKVProjectionDim: Int?
    /// Positions covered by the rotary tables (per grid axis).
    public var ropeMaxSequenceLength: Int
    /// I2V (FLF2V) only: learned image position embedding length.
    public var positionEmbeddingSequenceLength: Int?

    enum CodingKeys: String, CodingKey {
        case patchSize = "patch_size"
        case attentionHeadCount = "num_attention_heads"
        case attentionHeadDim = "attention_head_dim"
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case textDim = "text_dim"
        case frequencyDim = "freq_dim"
        case ffnDim = "ffn_dim"
        case layerCount = "num_layers"
        case crossAttentionNorm = "cross_attn_norm"
        case qkNorm = "qk_norm"
        case eps
        case imageDim = "image_dim"
        case addedKVProjectionDim = "added_kv_proj_dim"
        case ropeMaxSequenceLength = "rope_max_seq_len"
        case positionEmbeddingSequenceLength = "pos_embed_seq_len"
    }

    /// A config with diffusers' defaults (the 14B model) overridden by the arguments.
    public init(patchSize: [Int] = [1, 2, 2], attentionHeadCount: Int = 40, attentionHeadDim: Int = 128,
                inChannels: Int = 16, outChannels: Int = 16, textDim: Int = 4096, frequencyDim: Int = 256,
                ffnDim: Int = 13824, layerCount: Int = 40, crossAttentionNorm: Bool = true,
                qkNorm: String? = "rms_norm_across_heads", eps: Float = 1e-6, imageDim: Int? = nil,
                addedKVProjectionDim: Int? = nil, ropeMaxSequenceLength: Int = 1024,
                positionEmbeddingSequenceLength: Int? = nil) {
        self.patchSize = patchSize
        self.attentionHeadCount = attentionHeadCount
        self.attentionHeadDim = attentionHeadDim
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.textDim = textDim
        self.frequencyDim = frequencyDim
        self.ffnDim = ffnDim
        self.layerCount = layerCount
        self.crossAttentionNorm = crossAttentionNorm
        self.qkNorm = qkNorm
        self.eps = eps
        self.imageDim = imageDim
        self.addedKVProjectionDim = addedKVProjectionDim
        self.ropeMaxSequenceLength = ropeMaxSequenceLength
        self.positionEmbeddingSequenceLength = positionEmbeddingSequenceLength
    }

    /// Missing keys take diffusers' `__init__` defaults, as `from_pretrained` does.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = WanTransformerConfig()
        patchSize = try c.decodeIfPresent([Int].self, forKey: .patchSize) ?? d.patchSize
        attentionHeadCount = try c.decodeIfPresent(Int.self, forKey: .attentionHeadCount) ?? d.attentionHeadCount
        attentionHeadDim = try c.decodeIfPresent(Int.self, forKey: .attentionHeadDim) ?? d.attentionHeadDim
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
        outChannels = try c.decodeIfPresent(Int.self, forKey: .outChannels) ?? d.outChannels
        textDim = try c.decodeIfPresent(Int.self, forKey: .textDim) ?? d.textDim
        frequencyDim = try c.decodeIfPresent(Int.self, forKey: .frequencyDim) ?? d.frequencyDim
        ffnDim = try c.decodeIfPresent(Int.self, forKey: .ffnDim) ?? d.ffnDim
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? d.layerCount
        crossAttentionNorm = try c.decodeIfPresent(Bool.self, forKey: .crossAttentionNorm) ?? d.crossAttentionNorm
        // An explicit null means "no q/k norm" in diffusers; keep it so validate() can name it.
        qkNorm = c.contains(.qkNorm) ? try c.decodeIfPresent(String.self, forKey: .qkNorm) : d.qkNorm
        eps = try c.decodeIfPresent(Float.self, forKey: .eps) ?? d.eps
        imageDim = try c.decodeIfPresent(Int.self, forKey: .imageDim)
        addedKVProjectionDim = try c.decodeIfPresent(Int.self, forKey: .addedKVProjectionDim)
        ropeMaxSequenceLength = try c.decodeIfPresent(Int.self, forKey: .ropeMaxSequenceLength) ?? d.ropeMaxSequenceLength
        positionEmbeddingSequenceLength = try c.decodeIfPresent(Int.self, forKey: .positionEmbeddingSequenceLength)
    }

    /// Reads `config.json` from a component folder (errors name the file and key).
    public static func load(folder: URL) throws -> WanTransformerConfig {
        try ConfigDecoding.decode(WanTransformerConfig.self, from: folder.appendingPathComponent("config.json"))
    }

    /// Model width D = heads · head dim.
    public var innerDim: Int { attentionHeadCount * attentionHeadDim }

    /// The patch size as `(t, h, w)`.
    public var patch: (time: Int, height: Int, width: Int) { (patchSize[0], patchSize[1], patchSize[2]) }

    /// Throws `WanTransformerError.unsupportedConfig` naming the first key this port cannot run.
    public func validate() throws {
        func unsupported(_ key: String, _ value: String, _ reason: String) -> WanTransformerError {
            .unsupportedConfig(key: key, value: value, reason: reason)
        }
        if let imageDim {
            throw unsupported("image_dim", "\(imageDim)", "the image-to-video branch is not supported; expected null")
        }
        if let addedKVProjectionDim {
            throw unsupported("added_kv_proj_dim", "\(addedKVProjectionDim)",
                              "the image-to-video branch is not supported; expected null")
        }
        if qkNorm != "rms_norm_across_heads" {
            throw unsupported("qk_norm", qkNorm.map { "\"\($0)\"" } ?? "null",
                              "only \"rms_norm_across_heads\" is supported")
        }
        if patchSize.count != 3 || patchSize.contains(where: { $0 < 1 }) {
            throw unsupported("patch_size", "\(patchSize)", "expected three positive integers (t, h, w)")
        }
        for (key, value) in [("num_attention_heads", attentionHeadCount), ("attention_head_dim", attentionHeadDim),
                             ("in_channels", inChannels), ("out_channels", outChannels), ("text_dim", textDim),
                             ("freq_dim", frequencyDim), ("ffn_dim", ffnDim), ("rope_max_seq_len", ropeMaxSequenceLength)]
        where value < 1 {
            throw unsupported(key, "\(value)", "expected a positive integer")
        }
        if layerCount < 0 { throw unsupported("num_layers", "\(layerCount)", "expected a non-negative integer") }
        // Upper bounds far past any released model (Wan 2.1 14B: 40 layers, 40 heads, 5120 wide),
        // checked before anything is sized from them: 2^62 heads overflowed, 2^62 layers ran
        // the process out of memory (issue #19).
        for (key, value, limit) in [("num_layers", layerCount, ModelSizeLimits.layers),
                                    ("num_attention_heads", attentionHeadCount, ModelSizeLimits.heads)]
        where value > limit {
            throw unsupported(key, "\(value)", "expected at most \(limit)")
        }
        let (width, overflow) = attentionHeadCount.multipliedReportingOverflow(by: attentionHeadDim)
        if overflow || width > ModelSizeLimits.width {
            throw unsupported("attention_head_dim", "\(attentionHeadDim)",
                              "num_attention_heads × attention_head_dim must be at most \(ModelSizeLimits.width)")
        }
        if attentionHeadDim % 2 != 0 {
            throw unsupported("attention_head_dim", "\(attentionHeadDim)", "rotary embedding needs an even head dim")
        }
    }
}
