// diffusers `WanUpBlock` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1).
import TensorCore
import WeightsIO

/// `numResBlocks + 1` residual blocks, then an optional `upsamplers.0` resample.
struct WanUpBlock: Sendable {
    let resnets: [WanResidualBlock]
    let upsampler: WanResample?

    init(_ source: some WeightSource, inChannels: Int, outChannels: Int, resnetCount: Int,
         upsample: WanResample.Mode?) throws {
        var blocks: [WanResidualBlock] = []
        var current = inChannels
        for index in 0..<resnetCount {
            blocks.append(try WanResidualBlock(source.scoped("resnets.\(index)."),
                                               inChannels: current, outChannels: outChannels))
            current = outChannels
        }
        resnets = blocks
        upsampler = try upsample.map { try WanResample(source.scoped("upsamplers.0."), channels: outChannels, mode: $0) }
    }

    /// Width after the block: the upsampler halves it.
    var outChannels: Int { upsampler?.outChannels ?? resnets[resnets.count - 1].conv2.outChannels }

    /// x: [B, Cin, F, H, W] -> [B, Cout, F', H', W'] (F' = 2F, H' = 2H with a 3-D upsampler after the first chunk)
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache) throws(TensorShapeError) -> Tensor {
        var h = x
        for block in resnets { h = try block(h, cache: &cache) }
        if let upsampler { h = upsampler(h, cache: &cache) }
        return h
    }
}
