// Configuration of diffusers `AutoencoderKLWan` (models/autoencoders/autoencoder_kl_wan.py,
// diffusers 0.42.1): the Wan 2.1 causal video VAE and Wan 2.2's residual, patchified one.
// Field names mirror config.json through `CodingKeys`, including diffusers' legacy spelling
// `temperal_downsample`.
import Foundation

/// `config.json` of an `AutoencoderKLWan` component (diffusers 0.42.1
/// models/autoencoders/autoencoder_kl_wan.py `AutoencoderKLWan.__init__`).
///
/// The architecture keys (`base_dim`, `z_dim`, `dim_mult`, `num_res_blocks`,
/// `temperal_downsample`, `latents_mean`, `latents_std`) are required: a config without
/// them is truncated, not a default model. The others take diffusers' defaults.
///
/// Wan 2.1: `is_residual: false`, no `patch_size`, 8× spatial. Wan 2.2 TI2V-5B:
/// `is_residual: true` (residual down/up blocks with `AvgDown3D` / `DupUp3D` shortcuts),
/// `patch_size: 2` (the video is patchified to `in_channels = 3·2·2 = 12` channels),
/// `decoder_base_dim: 256`, `z_dim: 48`, 16× spatial.
public struct WanVAEConfig: Decodable, Sendable, Equatable {
    /// Encoder width at full resolution (96 for Wan 2.1).
    public var baseDim: Int
    /// Decoder width at full resolution; `nil` means `baseDim`.
    public var decoderBaseDim: Int?
    /// Latent channels (16).
    public var zDim: Int
    /// Width multipliers per resolution level ([1, 2, 4, 4]).
    public var dimMult: [Int]
    /// Residual blocks per encoder level (the decoder has one more).
    public var numResBlocks: Int
    /// Encoder scales (1, 0.5, …) that would get attention in the down blocks; only `[]` runs
    /// in diffusers 0.42.1, so only `[]` is supported.
    public var attnScales: [Double]
    /// Which encoder downsamplings also halve time (decoder: the reverse).
    public var temporalDownsample: [Bool]
    /// Dropout rate (inference ignores it).
    public var dropout: Double
    /// Per-channel latent mean, `zDim` values.
    public var latentsMean: [Float]
    /// Per-channel latent standard deviation, `zDim` values.
    public var latentsStd: [Float]
    /// Wan 2.2 residual down/up blocks (`WanResidualDownBlock` / `WanResidualUpBlock`).
    public var isResidual: Bool
    /// Encoder input channels: video channels · patch² (3 for Wan 2.1, 12 for Wan 2.2).
    public var inChannels: Int
    /// Decoder output channels: video channels · patch² (3 for Wan 2.1, 12 for Wan 2.2).
    public var outChannels: Int
    /// Wan 2.2 pixel patchification (`patchify` / `unpatchify`): H and W are folded into
    /// channels by this factor before the encoder and unfolded after the decoder.
    public var patchSize: Int?
    /// Pixel frames per latent frame after the first (4).
    public var scaleFactorTemporal: Int
    /// Pixels per latent pixel along H and W (8 for Wan 2.1, 16 for Wan 2.2).
    public var scaleFactorSpatial: Int

    enum CodingKeys: String, CodingKey {
        case baseDim = "base_dim"
        case decoderBaseDim = "decoder_base_dim"
        case zDim = "z_dim"
        case dimMult = "dim_mult"
        case numResBlocks = "num_res_blocks"
        case attnScales = "attn_scales"
        case temporalDownsample = "temperal_downsample"
        case dropout
        case latentsMean = "latents_mean"
        case latentsStd = "latents_std"
        case isResidual = "is_residual"
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case patchSize = "patch_size"
        case scaleFactorTemporal = "scale_factor_temporal"
        case scaleFactorSpatial = "scale_factor_spatial"
    }

    /// A validated config; the defaults are diffusers' (Wan 2.1's VAE).
    public init(baseDim: Int = 96, decoderBaseDim: Int? = nil, zDim: Int = 16, dimMult: [Int] = [1, 2, 4, 4],
                numResBlocks: Int = 2, attnScales: [Double] = [], temporalDownsample: [Bool] = [false, true, true],
                dropout: Double = 0, latentsMean: [Float] = WanVAEConfig.wan21LatentsMean,
                latentsStd: [Float] = WanVAEConfig.wan21LatentsStd, isResidual: Bool = false,
                inChannels: Int = 3, outChannels: Int = 3, patchSize: Int? = nil,
                scaleFactorTemporal: Int = 4, scaleFactorSpatial: Int = 8) throws {
        self.baseDim = baseDim
        self.decoderBaseDim = decoderBaseDim
        self.zDim = zDim
        self.dimMult = dimMult
        self.numResBlocks = numResBlocks
        self.attnScales = attnScales
        self.temporalDownsample = temporalDownsample
        self.dropout = dropout
        self.latentsMean = latentsMean
        self.latentsStd = latentsStd
        self.isResidual = isResidual
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.patchSize = patchSize
        self.scaleFactorTemporal = scaleFactorTemporal
        self.scaleFactorSpatial = scaleFactorSpatial
        try validate()
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            baseDim: c.decode(Int.self, forKey: .baseDim),
            decoderBaseDim: c.decodeIfPresent(Int.self, forKey: .decoderBaseDim),
            zDim: c.decode(Int.self, forKey: .zDim),
            dimMult: c.decode([Int].self, forKey: .dimMult),
            numResBlocks: c.decode(Int.self, forKey: .numResBlocks),
            attnScales: c.decodeIfPresent([Double].self, forKey: .attnScales) ?? [],
            temporalDownsample: c.decode([Bool].self, forKey: .temporalDownsample),
            dropout: c.decodeIfPresent(Double.self, forKey: .dropout) ?? 0,
            latentsMean: c.decode([Float].self, forKey: .latentsMean),
            latentsStd: c.decode([Float].self, forKey: .latentsStd),
            isResidual: c.decodeIfPresent(Bool.self, forKey: .isResidual) ?? false,
            inChannels: c.decodeIfPresent(Int.self, forKey: .inChannels) ?? 3,
            outChannels: c.decodeIfPresent(Int.self, forKey: .outChannels) ?? 3,
            patchSize: c.decodeIfPresent(Int.self, forKey: .patchSize),
            scaleFactorTemporal: c.decodeIfPresent(Int.self, forKey: .scaleFactorTemporal) ?? 4,
            scaleFactorSpatial: c.decodeIfPresent(Int.self, forKey: .scaleFactorSpatial) ?? 8)
    }

    /// The decoder's base width (`decoder_base_dim ?? base_dim`).
    public var resolvedDecoderBaseDim: Int { decoderBaseDim ?? baseDim }

    /// The decoder's temporal upsampling flags: `temperal_downsample` reversed.
    public var temporalUpsample: [Bool] { temporalDownsample.reversed() }

    /// The patchification factor: `patch_size`, or 1 when there is none (diffusers' `patchify`
    /// is the identity for 1).
    public var patch: Int { patchSize ?? 1 }

    /// Channels of the video the encoder takes: `in_channels / patch²` (3).
    public var videoInChannels: Int { inChannels / (patch * patch) }

    /// Channels of the video the decoder gives: `out_channels / patch²` (3).
    public var videoOutChannels: Int { outChannels / (patch * patch) }

    /// Throws `WanVAEConfigError` for values this port does not support or that contradict
    /// each other.
    public func validate() throws {
        func positive(_ value: Int, _ key: String) throws {
            guard value > 0 else { throw WanVAEConfigError.invalid(key: key, value: String(value), reason: "must be positive") }
        }
        try positive(baseDim, "base_dim")
        if let decoderBaseDim { try positive(decoderBaseDim, "decoder_base_dim") }
        try positive(zDim, "z_dim")
        try positive(numResBlocks, "num_res_blocks")
        guard numResBlocks <= ModelSizeLimits.blocksPerLevel else {
            throw WanVAEConfigError.invalid(key: "num_res_blocks", value: String(numResBlocks),
                                            reason: "must be at most \(ModelSizeLimits.blocksPerLevel)")
        }
        try positive(inChannels, "in_channels")
        try positive(outChannels, "out_channels")
        if let patchSize {
            try positive(patchSize, "patch_size")
            for (key, channels) in [("in_channels", inChannels), ("out_channels", outChannels)]
            where channels % (patchSize * patchSize) != 0 {
                throw WanVAEConfigError.invalid(key: key, value: String(channels),
                                                reason: "patch_size \(patchSize) folds \(patchSize * patchSize) pixels into"
                                                    + " each channel group, so it must be a multiple of \(patchSize * patchSize)")
            }
        }
        guard !dimMult.isEmpty, dimMult.allSatisfy({ $0 > 0 }) else {
            throw WanVAEConfigError.invalid(key: "dim_mult", value: "\(dimMult)", reason: "must be a non-empty list of positive integers")
        }
        guard temporalDownsample.count == dimMult.count - 1 else {
            throw WanVAEConfigError.invalid(key: "temperal_downsample", value: "\(temporalDownsample)",
                                            reason: "needs one entry per downsampling (dim_mult has \(dimMult.count) levels,"
                                                + " so \(dimMult.count - 1) entries)")
        }
        // diffusers encodes in chunks of 4 pixel frames; more than two temporal halvings
        // would leave a chunk with no output frame.
        let temporalSteps = temporalDownsample.filter { $0 }.count
        guard temporalSteps <= 2 else {
            throw WanVAEConfigError.unsupported(key: "temperal_downsample", value: "\(temporalDownsample)",
                                                reason: "at most two temporal downsamplings fit diffusers' 4-frame encode chunks")
        }
        guard scaleFactorTemporal == 1 << temporalSteps else {
            throw WanVAEConfigError.invalid(key: "scale_factor_temporal", value: String(scaleFactorTemporal),
                                            reason: "temperal_downsample \(temporalDownsample) gives \(1 << temporalSteps)")
        }
        guard scaleFactorSpatial == patch << (dimMult.count - 1) else {
            throw WanVAEConfigError.invalid(key: "scale_factor_spatial", value: String(scaleFactorSpatial),
                                            reason: "dim_mult \(dimMult) and patch_size \(patch) give \(patch << (dimMult.count - 1))")
        }
        if isResidual { try validateResidualShortcuts() }
        if !attnScales.isEmpty {
            // diffusers 0.42.1 builds the blocks but cannot run them: the encoder calls every
            // down block with the feature cache, which `WanAttentionBlock.forward` does not take.
            throw WanVAEConfigError.unsupported(key: "attn_scales", value: "\(attnScales)",
                                                reason: "attention inside the encoder down blocks does not run in diffusers 0.42.1; only [] is supported")
        }
        guard latentsMean.count == zDim else {
            throw WanVAEConfigError.invalid(key: "latents_mean", value: "\(latentsMean.count) values",
                                            reason: "needs z_dim = \(zDim) values")
        }
        guard latentsStd.count == zDim else {
            throw WanVAEConfigError.invalid(key: "latents_std", value: "\(latentsStd.count) values",
                                            reason: "needs z_dim = \(zDim) values")
        }
        if let zero = latentsStd.firstIndex(where: { !($0 > 0) }) {
            throw WanVAEConfigError.invalid(key: "latents_std", value: "\(latentsStd[zero]) at index \(zero)",
                                            reason: "every standard deviation must be positive")
        }
    }

    /// The residual blocks' parameter-free shortcuts regroup channels: `AvgDown3D(in, out)`
    /// averages groups of `in · factor / out`, `DupUp3D(in, out)` repeats each channel
    /// `out · factor / in` times. diffusers raises (or asserts) when these do not divide.
    private func validateResidualShortcuts() throws {
        let levels = dimMult.count
        let encoderDims = ([1] + dimMult).map { baseDim * $0 }
        for level in 0..<levels {
            let last = level == levels - 1
            let factor = last ? 1 : (temporalDownsample[level] ? 2 : 1) * 4
            let (inDim, outDim) = (encoderDims[level], encoderDims[level + 1])
            guard inDim * factor % outDim == 0 else {
                throw WanVAEConfigError.invalid(key: "dim_mult", value: "\(dimMult)",
                                                reason: "encoder level \(level): AvgDown3D needs \(inDim)·\(factor) to be a"
                                                    + " multiple of \(outDim) (base_dim \(baseDim))")
            }
        }
        let decoderDims = ([dimMult[levels - 1]] + dimMult.reversed()).map { resolvedDecoderBaseDim * $0 }
        for level in 0..<(levels - 1) {
            let factor = (temporalUpsample[level] ? 2 : 1) * 4
            let (inDim, outDim) = (decoderDims[level], decoderDims[level + 1])
            guard outDim * factor % inDim == 0 else {
                throw WanVAEConfigError.invalid(key: "dim_mult", value: "\(dimMult)",
                                                reason: "decoder level \(level): DupUp3D needs \(outDim)·\(factor) to be a"
                                                    + " multiple of \(inDim) (decoder_base_dim \(resolvedDecoderBaseDim))")
            }
        }
    }

    /// Wan 2.1's per-channel latent mean (diffusers' default `latents_mean`).
    public static let wan21LatentsMean: [Float] = [
        -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
        0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921,
    ]

    /// Wan 2.1's per-channel latent standard deviation (diffusers' default `latents_std`).
    public static let wan21LatentsStd: [Float] = [
        2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160,
    ]
}
