// The memory a WanPipeline run needs (see Core/MemoryEstimate.swift), from its configs and
// weight headers. Each coefficient counts the tensors alive at once in Zoetrope's own code
// (WanTransformerBlock, WanDecoder3d); `GenerateCommandTests.testTheMemoryEstimateBoundsTheMeasuredPeak`
// checks the sums against the peak memory of real runs.
import Foundation
import Models
import WeightsIO

extension WanPipeline {
    /// The memory model of a WanPipeline folder, from configs and weight headers only.
    static func memoryModel(_ folder: DiffusersModelFolder) throws -> MemoryModel {
        let transformer = try WanTransformerConfig.load(folder: try folder.componentFolder("transformer"))
        let vae = try ConfigDecoding.decode(WanVAEConfig.self, from: try folder.configURL(component: "vae"))
        let text = try TextEncoderMemory.bytesPerToken(folder)
        return MemoryModel(
            componentWeightBytes: try MemoryModel.componentWeightBytes(folder, components: ["text_encoder", "transformer", "vae"]),
            textBytesPerToken: text.bytesPerToken, textBytesPerTokenPair: text.bytesPerTokenPair,
            defaultTextLength: min(512, text.positions ?? 512),
            tokenSide: vae.scaleFactorSpatial * max(transformer.patchSize[1], transformer.patchSize[2]),
            denoiserBytesPerToken: 4 * denoiserFloatsPerToken(transformer),
            denoiserBytesPerTextToken: 4 * 2 * transformer.innerDim * transformer.layerCount,
            guidanceBatchTokenLimit: WanDenoiseRun.batchedGuidanceTokenLimit,
            decoderBytesPerPixel: 4 * decoderFloatsPerPixel(vae))
    }

    /// Floats alive per token in one transformer pass. Self-attention holds the residual
    /// stream, its norm, q, k, v, q and k after rotary, the attention output and the
    /// projection (9 D); the feed-forward the stream, its norm, the hidden layer and its GELU
    /// (3 D + 2 ffn). Around the blocks: the patch embedding's input and output, the
    /// timestep rows and the unpatchified output (2 D + 4 · in_channels · patch volume).
    static func denoiserFloatsPerToken(_ config: WanTransformerConfig) -> Int {
        let D = config.innerDim, ffn = config.ffnDim
        let patchVolume = config.patchSize.reduce(1, *)
        return max(9 * D, 3 * D + 2 * ffn) + 2 * D + 4 * config.inChannels * patchVolume
    }

    /// Floats alive per output pixel while the decoder runs one chunk (one latent frame →
    /// up to `scale_factor_temporal` frames). Every causal 3×3×3 conv keeps its input's last 2
    /// frames in the cache (all levels at once); the level being computed holds its input,
    /// norm, conv input padded with the cache (t + 2 frames), conv output and residual, about
    /// 6 × t frames of its width, plus its upsampler's output (4× the pixels, half the width).
    static func decoderFloatsPerPixel(_ config: WanVAEConfig) -> Int {
        let levels = config.dimMult.count
        let base = config.resolvedDecoderBaseDim
        let dims = ([config.dimMult[levels - 1]] + config.dimMult.reversed()).map { base * $0 }
        let convsPerLevel = 2 * (config.numResBlocks + 1)
        // pixels of level ℓ per output pixel = 1 / 4^(levels − 1 − ℓ); frames per chunk t_ℓ.
        var cache = 0.0, active = 0.0, frames = 1.0
        let latentFraction = 1 / pow(4, Double(levels - 1))
        // conv_in (z channels) and the mid block (two residual blocks at dims[0]) at latent size
        cache += 2 * Double(config.zDim + 2 * 2 * dims[0]) * latentFraction
        active = 6 * Double(dims[0]) * latentFraction
        for level in 0..<levels {
            let fraction = 1 / pow(4, Double(levels - 1 - level))
            let inDim = level > 0 && !config.isResidual ? dims[level] / 2 : dims[level]
            let width = Double(max(inDim, dims[level + 1]))
            cache += Double(convsPerLevel) * 2 * width * fraction
            var here = 6 * frames * width * fraction
            if level < levels - 1 {
                let temporal = config.temporalUpsample[level]
                if temporal { cache += 2 * Double(dims[level + 1]) * fraction }  // time_conv
                frames *= temporal ? 2 : 1
                here += frames * Double(dims[level + 1]) / 2 * 4 * fraction
            }
            active = max(active, here)
        }
        // norm_out and conv_out at full size: the conv's cache and its padded input
        let last = Double(dims[levels])
        cache += 2 * last
        active = max(active, (3 * frames + 2) * last + frames * Double(config.outChannels))
        return Int((cache + active).rounded(.up))
    }
}
