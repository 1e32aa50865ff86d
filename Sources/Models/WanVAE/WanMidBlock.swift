// diffusers `WanMidBlock` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1),
// with `num_layers = 1` as both the encoder and the decoder build it.
import TensorCore
import WeightsIO

/// `resnets.0 → attentions.0 → resnets.1`, all at one width.
struct WanMidBlock: Sendable {
    let resnet0: WanResidualBlock
    let attention: WanAttentionBlock
    let resnet1: WanResidualBlock

    init(_ source: some WeightSource, channels: Int) throws {
        resnet0 = try WanResidualBlock(source.scoped("resnets.0."), inChannels: channels, outChannels: channels)
        attention = try WanAttentionBlock(source.scoped("attentions.0."), channels: channels)
        resnet1 = try WanResidualBlock(source.scoped("resnets.1."), inChannels: channels, outChannels: channels)
    }

    /// x: [B, C, F, H, W] -> [B, C, F, H, W]
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache) throws(TensorShapeError) -> Tensor {
        var h = try resnet0(x, cache: &cache)
        h = try attention(h)
        return try resnet1(h, cache: &cache)
    }
}
