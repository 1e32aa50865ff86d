// diffusers `WanDecoder3d` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1),
// Wan 2.1 layout (`is_residual = False`, MODELS.md §6.2).
import TensorCore
import WeightsIO

/// Latents `[B, z, F, h, w]` (after `post_quant_conv`) → video `[B, 3, F', 2ⁿh, 2ⁿw]`, unclamped.
struct WanDecoder3d: Sendable {
    let convIn: WanCausalConv3d
    let midBlock: WanMidBlock
    let upBlocks: [WanUpBlock]
    let normOut: WanRMSNorm
    let convOut: WanCausalConv3d

    init(_ source: some WeightSource, config: WanVAEConfig) throws {
        // dims = base · [dim_mult[-1]] + reversed(dim_mult), e.g. [384, 384, 384, 192, 96]
        let base = config.resolvedDecoderBaseDim
        let dims = ([config.dimMult[config.dimMult.count - 1]] + config.dimMult.reversed()).map { base * $0 }
        convIn = try WanCausalConv3d(source.scoped("conv_in."), inChannels: config.zDim, outChannels: dims[0],
                                     kernel: (3, 3, 3), padding: (1, 1, 1))
        midBlock = try WanMidBlock(source.scoped("mid_block."), channels: dims[0])
        let temporalUpsample = config.temporalUpsample
        var blocks: [WanUpBlock] = []
        for level in 0..<config.dimMult.count {
            // Every block after the first starts at half width: the previous upsampler's
            // conv outputs C/2 channels (Wan 2.1).
            let inDim = level > 0 ? dims[level] / 2 : dims[level]
            let upsample: WanResample.Mode? = level == config.dimMult.count - 1 ? nil
                : (temporalUpsample[level] ? .upsample3d : .upsample2d)
            blocks.append(try WanUpBlock(source.scoped("up_blocks.\(level)."), inChannels: inDim,
                                         outChannels: dims[level + 1], resnetCount: config.numResBlocks + 1,
                                         upsample: upsample))
        }
        upBlocks = blocks
        let last = dims[dims.count - 1]
        normOut = try WanRMSNorm(source.scoped("norm_out."), channels: last, trailingOnes: 3)
        convOut = try WanCausalConv3d(source.scoped("conv_out."), inChannels: last, outChannels: config.outChannels,
                                      kernel: (3, 3, 3), padding: (1, 1, 1))
    }

    /// One chunk (one latent frame in diffusers' loop). x: [B, z, F, h, w] -> [B, 3, F', H, W]
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache) throws(TensorShapeError) -> Tensor {
        cache.beginChunk()
        var h = convIn(x, cache: &cache)
        h = try midBlock(h, cache: &cache)
        for block in upBlocks { h = try block(h, cache: &cache) }
        h = normOut(h).silu()
        return convOut(h, cache: &cache)
    }
}
