// diffusers 0.42.1 models/autoencoders/autoencoder_kl_wan.py `WanRMS_norm`, channel-first,
// no bias: `x / max(‖x‖₂ over C, 1e-12) · √C · γ` (`F.normalize(x, dim=1) * scale * gamma`).
// The layer and its kernel (`Tensor.wanRMSNorm`) live here, with the family that uses them.
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

    /// x: [B, C, ...] -> [B, C, ...], then `activation` in the same pass (the residual blocks'
    /// and heads' `norm → SiLU`, without a second pass over the activations or a copy).
    func callAsFunction(_ x: Tensor, activation: Activation = .identity) -> Tensor {
        x.wanRMSNorm(gamma: gamma, axis: 1, activation: activation)
    }
}

extension Tensor {
    /// Wan's RMS norm over the channel axis (diffusers `WanRMS_norm`):
    /// `x / max(‖x‖₂, 1e-12) · √C · gamma[c] (+ bias[c])`, where the norm is taken over
    /// `axis` (C elements) at each other position. There is no eps inside the root.
    /// `gamma` (and `bias`) have C elements in any shape (`[C, 1, 1, 1]` in checkpoints).
    /// `axis` is 1 for `channel_first` inputs `[B, C, *]` and -1 otherwise. `activation` is
    /// applied to each output row as soon as it is written, while it is still in cache.
    func wanRMSNorm(gamma: Tensor, bias: Tensor? = nil, axis: Int = 1,
                    activation: Activation = .identity) -> Tensor {
        // x: [B, C, F, H, W] or [B, C, H, W] (axis 1), or [..., C] (axis -1)
        let ax = self.axis(axis)
        let channels = shape[ax]
        precondition(gamma.count == channels && (bias?.count ?? channels) == channels,
                     "wanRMSNorm gamma / bias must have \(channels) elements (input \(shape))")
        let outer = shape[..<ax].reduce(1, *)
        let inner = shape[(ax + 1)...].reduce(1, *)
        let rootC = Double(channels).squareRoot()
        let g = gamma.data
        let b = bias?.data
        return Tensor(shape: shape) { out in
            data.withUnsafeBufferPointer { x in
                // Work items: (outer index, chunk of the inner positions). Within a chunk the
                // sum of squares over C is accumulated position-wise, reading rows contiguously.
                let chunk = 256
                let chunksPerOuter = (inner + chunk - 1) / chunk
                Parallel.forEach(outer * chunksPerOuter, grain: 1) { range in
                    var acc = [Double](repeating: 0, count: chunk)
                    var factor = [Float](repeating: 0, count: chunk)
                    for item in range {
                        let o = item / chunksPerOuter
                        let start = (item % chunksPerOuter) * chunk
                        let n = Swift.min(chunk, inner - start)
                        let base = o * channels * inner + start
                        for j in 0..<n { acc[j] = 0 }
                        for c in 0..<channels {
                            let pxc = x.baseAddress! + base + c * inner
                            for j in 0..<n { let d = Double(pxc[j]); acc[j] += d * d }
                        }
                        for j in 0..<n { factor[j] = Float(rootC / Swift.max(acc[j].squareRoot(), 1e-12)) }
                        for c in 0..<channels {
                            let pxc = x.baseAddress! + base + c * inner
                            let poc = out.baseAddress! + base + c * inner
                            let gc = g[c]
                            let bc = b?[c] ?? 0
                            for j in 0..<n { poc[j] = pxc[j] * factor[j] * gc + bc }
                            activation.applySerially(poc, count: n)
                        }
                    }
                }
            }
        }
    }
}
