// Classifier-free guidance as every diffusers video pipeline applies it (e.g.
// diffusers/pipelines/wan/pipeline_wan.py, WanPipeline.__call__).
import TensorCore

/// Classifier-free guidance: `ε = ε_u + g·(ε_c − ε_u)`, evaluated in float32 in that order, as
/// diffusers' pipelines do (`noise_uncond + guidance_scale * (noise_pred - noise_uncond)`).
/// Pipelines apply it only when `scale > 1`.
/// - Precondition: `uncond` and `cond` have the same shape.
public func classifierFreeGuidance(uncond: Tensor, cond: Tensor, scale: Float) -> Tensor {
    precondition(uncond.shape == cond.shape,
                 "classifierFreeGuidance: uncond \(uncond.shape) vs cond \(cond.shape)")
    return Tensor(shape: cond.shape, unsafeUninitialized: { out in
        uncond.data.withUnsafeBufferPointer { u in
            cond.data.withUnsafeBufferPointer { c in
                for i in 0..<out.count {
                    let difference = c[i] - u[i]
                    let scaled = scale * difference
                    out[i] = u[i] + scaled
                }
            }
        }
    })
}
