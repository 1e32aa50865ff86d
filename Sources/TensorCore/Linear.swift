// torch.nn.functional.linear: y = x · Wᵀ + b over the last dimension.

/// Applies a linear layer to the last dimension of `x` (torch `F.linear`).
///
/// - `x: [..., in]` (any rank ≥ 1)
/// - `weight: [out, in]` (PyTorch layout, as stored in safetensors files)
/// - `bias: [out]` or `nil`
/// - returns `[..., out]`.
///
/// All leading dimensions are folded into the GEMM's M, so this is one `cblas_sgemm`
/// with a transposed B, whatever the rank of `x`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(x.rank >= 1, "linear: input must have rank >= 1, got \(x.shape)")
    precondition(weight.rank == 2, "linear: weight must be [out, in], got \(weight.shape)")
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    precondition(x.shape[x.rank - 1] == inFeatures,
                 "linear: input \(x.shape) does not end in weight's in-features \(inFeatures) (weight \(weight.shape))")
    if let bias {
        precondition(bias.shape == [outFeatures],
                     "linear: bias must be [\(outFeatures)], got \(bias.shape)")
    }
    let rows = x.count / max(1, inFeatures)
    let outShape = Array(x.shape.dropLast()) + [outFeatures]

    return Tensor(shape: outShape) { out in
        guard let c = out.baseAddress else { return }
        // out: [rows, out]; start from the bias (beta = 1) or from nothing (beta = 0).
        if let bias {
            bias.data.withUnsafeBufferPointer { b in
                for row in 0..<rows {
                    (c + row * outFeatures).initialize(from: b.baseAddress!, count: outFeatures)
                }
            }
        } else if inFeatures == 0 {
            out.initialize(repeating: 0)
        }
        guard inFeatures > 0 else { return }
        x.data.withUnsafeBufferPointer { xBuf in
            weight.data.withUnsafeBufferPointer { wBuf in
                // [rows, in] · [out, in]ᵀ → [rows, out]
                BLAS.sgemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                           a: xBuf.baseAddress!, lda: inFeatures,
                           b: wBuf.baseAddress!, ldb: inFeatures,
                           beta: bias == nil ? 0 : 1,
                           c: c, ldc: outFeatures)
            }
        }
    }
}
