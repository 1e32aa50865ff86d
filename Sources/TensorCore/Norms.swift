import CVectorKernels
import Foundation

// Normalisation layers (torch.nn and diffusers 0.42.1 models/normalization.py):
//   layerNorm    torch.nn.LayerNorm / diffusers FP32LayerNorm over the last dim
//   groupNorm    torch.nn.GroupNorm over [B, C, *] (for 5-D: C/G × F × H × W jointly)
//   rmsNorm      torch.nn.RMSNorm, diffusers RMSNorm, T5LayerNorm over the last dim
// (A family's own norm lives with the family, e.g. Wan's VAE norm in
// Sources/Models/WanVAE/WanRMSNorm.swift.)
//
// Statistics: every mean / variance / sum of squares is accumulated in Double with two
// passes (mean first, then Σ(x − μ)²), so no cancellation occurs even for groups of
// millions of elements with a large mean. The sums run in CVectorKernels, sixteen partial
// sums at the CPU's vector width (one running Double sum cannot vectorise: LayerNorm was 6%
// of a bundled-model step). The normalised output is computed in Float
// from the Double statistics rounded to Float, like torch's float32 kernels.

extension Tensor {
    private func requireVector(_ v: Tensor?, _ n: Int, _ what: String) {
        if let v { precondition(v.count == n, "\(what) has \(v.count) elements, expected \(n) (input \(shape))") }
    }

    /// LayerNorm over the last dimension: `(x − μ) / √(σ² + eps) · weight + bias`
    /// (biased variance). `weight` and `bias` have `shape.last` elements, or are nil.
    public func layerNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float) -> Tensor {
        // x: [..., D]
        precondition(rank >= 1, "layerNorm of a 0-d tensor")
        let width = shape[rank - 1]
        requireVector(weight, width, "layerNorm weight")
        requireVector(bias, width, "layerNorm bias")
        let rows = width == 0 ? 0 : count / width
        let w = weight?.data
        let b = bias?.data
        return Tensor(shape: shape) { out in
            data.withUnsafeBufferPointer { x in
                Parallel.forEach(rows, grain: max(1, 4_096 / max(1, width))) { range in
                    for row in range {
                        let px = x.baseAddress! + row * width
                        let po = out.baseAddress! + row * width
                        let mu = zk_sum(px, width) / Double(width)
                        let v = zk_sum_squared_deviations(px, width, mu)
                        let rstd = Float(1 / (v / Double(width) + Double(eps)).squareRoot())
                        let m = Float(mu)
                        for j in 0..<width { po[j] = (px[j] - m) * rstd }
                        if let w { for j in 0..<width { po[j] *= w[j] } }
                        if let b { for j in 0..<width { po[j] += b[j] } }
                    }
                }
            }
        }
    }

    /// RMSNorm over the last dimension: `x · rsqrt(mean(x²) + eps) · weight` (torch
    /// `nn.RMSNorm`, diffusers `RMSNorm`, T5/UMT5 `T5LayerNorm` with eps 1e-6). No mean
    /// subtraction, no bias. `weight` has `shape.last` elements or is nil.
    public func rmsNorm(weight: Tensor? = nil, eps: Float) -> Tensor {
        // x: [..., D]
        precondition(rank >= 1, "rmsNorm of a 0-d tensor")
        let width = shape[rank - 1]
        requireVector(weight, width, "rmsNorm weight")
        let rows = width == 0 ? 0 : count / width
        let w = weight?.data
        return Tensor(shape: shape) { out in
            data.withUnsafeBufferPointer { x in
                Parallel.forEach(rows, grain: max(1, 4_096 / max(1, width))) { range in
                    for row in range {
                        let px = x.baseAddress! + row * width
                        let po = out.baseAddress! + row * width
                        let ss = zk_sum_squares(px, width)
                        let r = Float(1 / (ss / Double(width) + Double(eps)).squareRoot())
                        if let w {
                            for j in 0..<width { po[j] = px[j] * r * w[j] }
                        } else {
                            for j in 0..<width { po[j] = px[j] * r }
                        }
                    }
                }
            }
        }
    }

    /// GroupNorm over `[B, C, *]`: each (sample, group of C/G channels) is normalised over
    /// its channels and all remaining dims jointly (so a 5-D input includes time), then
    /// `· weight[c] + bias[c]`. `weight`/`bias` have C elements or are nil.
    public func groupNorm(groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float) -> Tensor {
        // x: [B, C, *spatial]
        precondition(rank >= 2, "groupNorm expects [B, C, *], got \(shape)")
        let batch = shape[0]
        let channels = shape[1]
        precondition(groups > 0 && channels % groups == 0, "groupNorm: \(channels) channels not divisible by \(groups) groups")
        requireVector(weight, channels, "groupNorm weight")
        requireVector(bias, channels, "groupNorm bias")
        let spatial = shape.dropFirst(2).reduce(1, *)
        let perGroup = channels / groups
        let groupSize = perGroup * spatial
        let w = weight?.data
        let b = bias?.data
        return Tensor(shape: shape) { out in
            data.withUnsafeBufferPointer { x in
                // Each (sample, group) is a contiguous block of groupSize elements.
                Parallel.forEach(batch * groups, grain: max(1, 16_384 / max(1, groupSize))) { range in
                    for bg in range {
                        let base = bg * groupSize
                        let px = x.baseAddress! + base
                        let po = out.baseAddress! + base
                        let mu = groupSize == 0 ? 0 : zk_sum(px, groupSize) / Double(groupSize)
                        let v = zk_sum_squared_deviations(px, groupSize, mu)
                        let rstd = Float(1 / (v / Double(Swift.max(1, groupSize)) + Double(eps)).squareRoot())
                        let m = Float(mu)
                        let g = bg % groups
                        for c in 0..<perGroup {
                            let channel = g * perGroup + c
                            let scale = rstd * (w?[channel] ?? 1)
                            let shift = b?[channel] ?? 0
                            let pxc = px + c * spatial
                            let poc = po + c * spatial
                            for j in 0..<spatial { poc[j] = (pxc[j] - m) * scale + shift }
                        }
                    }
                }
            }
        }
    }
}
