// diffusers `WanEncoder3d` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1).
// Wan 2.1 layout (`is_residual = False`): a flat list of down blocks;
// Wan 2.2 layout (`is_residual = True`): one `WanResidualDownBlock` per level.
import TensorCore
import WeightsIO

/// Video `[B, C_in, F, H, W]` (C_in = 3, or 3·patch² patchified) → `[B, 2z, F', H/2ⁿ, W/2ⁿ]`
/// (mean and log-variance, before `quant_conv`).
struct WanEncoder3d: Sendable {
    /// One entry of the `down_blocks` list.
    enum DownLayer: Sendable {
        /// Wan 2.1: a residual block of the flat list.
        case residual(WanResidualBlock)
        /// Wan 2.1: a resample of the flat list.
        case resample(WanResample)
        /// Wan 2.2: a whole level (resnets, downsampler, `AvgDown3D` shortcut).
        case residualLevel(WanResidualDownBlock)
    }

    let convIn: WanCausalConv3d
    /// `down_blocks.0 …`. Wan 2.1: `numResBlocks` residual blocks per level, then a resample
    /// except after the last level. Wan 2.2: one residual level block per level.
    let downBlocks: [DownLayer]
    let midBlock: WanMidBlock
    let normOut: WanRMSNorm
    let convOut: WanCausalConv3d

    init(_ source: some WeightSource, config: WanVAEConfig) throws {
        // dims = base · [1] + dim_mult, e.g. [96, 96, 192, 384, 384]
        let dims = ([1] + config.dimMult).map { config.baseDim * $0 }
        convIn = try WanCausalConv3d(source.scoped("conv_in."), inChannels: config.inChannels, outChannels: dims[0],
                                     kernel: (3, 3, 3), padding: (1, 1, 1))
        var layers: [DownLayer] = []
        for level in 0..<config.dimMult.count {
            if config.isResidual {
                let last = level == config.dimMult.count - 1
                layers.append(.residualLevel(try WanResidualDownBlock(
                    source.scoped("down_blocks.\(level)."), inChannels: dims[level], outChannels: dims[level + 1],
                    resnetCount: config.numResBlocks, temporalDownsample: !last && config.temporalDownsample[level],
                    downsample: !last)))
                continue
            }
            var inDim = dims[level]
            let outDim = dims[level + 1]
            for _ in 0..<config.numResBlocks {
                let block = try WanResidualBlock(source.scoped("down_blocks.\(layers.count)."),
                                                 inChannels: inDim, outChannels: outDim)
                layers.append(.residual(block))
                inDim = outDim
            }
            if level != config.dimMult.count - 1 {
                let mode: WanResample.Mode = config.temporalDownsample[level] ? .downsample3d : .downsample2d
                layers.append(.resample(try WanResample(source.scoped("down_blocks.\(layers.count)."),
                                                        channels: outDim, mode: mode)))
            }
        }
        downBlocks = layers
        let top = dims[dims.count - 1]
        midBlock = try WanMidBlock(source.scoped("mid_block."), channels: top)
        normOut = try WanRMSNorm(source.scoped("norm_out."), channels: top, trailingOnes: 3)
        convOut = try WanCausalConv3d(source.scoped("conv_out."), inChannels: top, outChannels: 2 * config.zDim,
                                      kernel: (3, 3, 3), padding: (1, 1, 1))
    }

    /// One chunk. x: [B, C_in, F, H, W] -> [B, 2z, F', H', W']
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache) throws(TensorShapeError) -> Tensor {
        cache.beginChunk()
        var h = convIn(x, cache: &cache)
        for layer in downBlocks {
            switch layer {
            case let .residual(block): h = try block(h, cache: &cache)
            case let .resample(resample): h = resample(h, cache: &cache)
            case let .residualLevel(block): h = try block(h, cache: &cache)
            }
        }
        h = try midBlock(h, cache: &cache)
        h = normOut(h, activation: .silu)
        return convOut(h, cache: &cache)
    }
}
