// diffusers `WanDecoder3d` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1).
// Wan 2.1 layout (`is_residual = False`): `WanUpBlock`s whose upsamplers halve
// the width. Wan 2.2 layout (`is_residual = True`): `WanResidualUpBlock`s that keep it, with
// `DupUp3D` shortcuts that need to know the first chunk.
import TensorCore
import WeightsIO

/// Latents `[B, z, F, h, w]` (after `post_quant_conv`) → `[B, C_out, F', 2ⁿh, 2ⁿw]`, unclamped
/// (C_out = 3, or 3·patch² still patchified).
struct WanDecoder3d: Sendable {
    /// One entry of `up_blocks`.
    enum UpLayer: Sendable {
        /// Wan 2.1.
        case plain(WanUpBlock)
        /// Wan 2.2.
        case residual(WanResidualUpBlock)
    }

    let convIn: WanCausalConv3d
    let midBlock: WanMidBlock
    let upBlocks: [UpLayer]
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
        var blocks: [UpLayer] = []
        for level in 0..<config.dimMult.count {
            let last = level == config.dimMult.count - 1
            let block = source.scoped("up_blocks.\(level).")
            if config.isResidual {
                blocks.append(.residual(try WanResidualUpBlock(
                    block, inChannels: dims[level], outChannels: dims[level + 1], resnetCount: config.numResBlocks + 1,
                    temporalUpsample: !last && temporalUpsample[level], upsample: !last)))
                continue
            }
            // Every block after the first starts at half width: the previous upsampler's
            // conv outputs C/2 channels (Wan 2.1).
            let inDim = level > 0 ? dims[level] / 2 : dims[level]
            let upsample: WanResample.Mode? = last ? nil : (temporalUpsample[level] ? .upsample3d : .upsample2d)
            blocks.append(.plain(try WanUpBlock(block, inChannels: inDim, outChannels: dims[level + 1],
                                                resnetCount: config.numResBlocks + 1, upsample: upsample)))
        }
        upBlocks = blocks
        let last = dims[dims.count - 1]
        normOut = try WanRMSNorm(source.scoped("norm_out."), channels: last, trailingOnes: 3)
        convOut = try WanCausalConv3d(source.scoped("conv_out."), inChannels: last, outChannels: config.outChannels,
                                      kernel: (3, 3, 3), padding: (1, 1, 1))
    }

    /// One chunk (one latent frame in diffusers' loop); `firstChunk` is diffusers' `first_chunk`
    /// (the call's first latent frame). x: [B, z, F, h, w] -> [B, C_out, F', H, W]
    /// Between blocks it checks the running job's flag (`CancellationFlag.current`): the late
    /// blocks at full resolution take seconds on a large clip even with their convolutions
    /// skipped once cancelled, so a cancel would otherwise wait for the whole frame.
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache, firstChunk: Bool) throws -> Tensor {
        let cancellation = CancellationFlag.current
        cache.beginChunk()
        var h = convIn(x, cache: &cache)
        h = try midBlock(h, cache: &cache)
        for layer in upBlocks {
            try cancellation?.check()
            switch layer {
            case let .plain(block): h = try block(h, cache: &cache)
            case let .residual(block): h = try block(h, cache: &cache, firstChunk: firstChunk)
            }
        }
        h = normOut(h, activation: .silu)
        return convOut(h, cache: &cache)
    }
}
