// diffusers `WanRMS_norm` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1),
// channel-first, no bias: `x / max(‖x‖₂ over C, 1e-12) · √C · γ` (MODELS.md §0.3).
import TensorCore
import WeightsIO

/// The Wan VAE's RMS norm over the channel axis, loaded from `prefix.gamma`.
struct WanRMSNorm: Sendable {
    /// `C` values (stored as `[C, 1, 1, 1]`, or `[C, 1, 1]` inside attention).
    let gamma: Tensor

    /// Loads `gamma` with shape `[channels] + [1] × trailingOnes` (3 for 5-D inputs, 2 for
    /// the per-frame attention norm).
    init(_ source: some WeightSource, channels: Int, trailingOnes: Int) throws {
        gamma = try source.tensor("gamma", shape: [channels] + Array(repeating: 1, count: trailingOnes))
    }

    /// x: [B, C, ...] -> [B, C, ...]
    func callAsFunction(_ x: Tensor) -> Tensor {
        x.wanRMSNorm(gamma: gamma, axis: 1)
    }
}
