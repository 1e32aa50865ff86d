// diffusers `WanResidualBlock` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1).
import TensorCore
import WeightsIO

/// `conv2(silu(norm2(conv1(silu(norm1(x)))))) + shortcut(x)`, where both convs are causal
/// 3×3×3 and the shortcut is a 1×1×1 conv when the width changes (dropout is inference-off).
struct WanResidualBlock: Sendable {
    let norm1: WanRMSNorm
    let conv1: WanCausalConv3d
    let norm2: WanRMSNorm
    let conv2: WanCausalConv3d
    let convShortcut: WanCausalConv3d?

    init(_ source: some WeightSource, inChannels: Int, outChannels: Int) throws {
        norm1 = try WanRMSNorm(source.scoped("norm1."), channels: inChannels, trailingOnes: 3)
        conv1 = try WanCausalConv3d(source.scoped("conv1."), inChannels: inChannels, outChannels: outChannels,
                                    kernel: (3, 3, 3), padding: (1, 1, 1))
        norm2 = try WanRMSNorm(source.scoped("norm2."), channels: outChannels, trailingOnes: 3)
        conv2 = try WanCausalConv3d(source.scoped("conv2."), inChannels: outChannels, outChannels: outChannels,
                                    kernel: (3, 3, 3), padding: (1, 1, 1))
        convShortcut = inChannels == outChannels ? nil
            : try WanCausalConv3d(source.scoped("conv_shortcut."), inChannels: inChannels, outChannels: outChannels,
                                  kernel: (1, 1, 1))
    }

    /// x: [B, Cin, F, H, W] -> [B, Cout, F, H, W]
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache) throws(TensorShapeError) -> Tensor {
        let residual = convShortcut.map { $0(x) } ?? x
        var h = norm1(x, activation: .silu)
        h = conv1(h, cache: &cache)
        // conv2 keeps the shape of its input (3×3×3, causal time padding, spatial padding 1),
        // so the residual must already fit conv1's output; it is added in conv2's bias pass.
        guard h.shape == residual.shape else {
            throw TensorShapeError(operation: "WanResidualBlock residual add", shapes: [h.shape, residual.shape],
                                   expected: "the shortcut's output shaped like the convs' output")
        }
        h = norm2(h, activation: .silu)
        return conv2(h, cache: &cache, adding: residual)
    }
}
