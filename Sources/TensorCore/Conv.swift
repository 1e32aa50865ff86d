// conv2d / conv3d (torch.nn.functional.conv2d / conv3d, groups = 1) by chunked im2col + sgemm,
// plus the causal time padding and frame cache of the video VAEs (diffusers
// autoencoder_kl_wan.py `WanCausalConv3d`, autoencoder_kl_cogvideox.py `CogVideoXCausalConv3d`).
//
// Shape mismatches are programming errors (weights are shape-checked by the loader), so
// they stop with `precondition` naming both shapes.

/// Default bound on the im2col buffer, in elements (16 MiB of Float): small enough to stay
/// near the caches between im2col and the GEMM, large enough that OpenBLAS's repacking of
/// the weights is a small share of each chunk's GEMM.
let defaultColumnBudget = 1 << 22
/// Fewest output positions per chunk (when the budget allows less), so every GEMM stays
/// wide enough to run near full speed.
let minimumChunkPositions = 512

/// Images of at most this many pixels go through `conv2d` as the frames of one clip
/// (one GEMM over all of them) rather than one by one.
let conv2dImagesAsFramesMaximumPositions = 1024

/// 2-D convolution (torch `F.conv2d`, groups = 1) with per-side zero padding.
///
/// - `x: [B, C, H, W]`
/// - `weight: [O, C, kH, kW]` (PyTorch layout)
/// - `bias: [O]` or `nil`
/// - `stride`, `dilation`: (height, width)
/// - returns `[B, O, Ho, Wo]` with `Ho = (H + top + bottom − dH·(kH−1) − 1) / sH + 1`.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: (Int, Int) = (1, 1),
                   padding: Padding2D = .zero,
                   dilation: (Int, Int) = (1, 1)) -> Tensor {
    precondition(x.rank == 4, "conv2d: input must be [B, C, H, W], got \(x.shape)")
    precondition(weight.rank == 4, "conv2d: weight must be [O, C, kH, kW], got \(weight.shape)")
    let w5 = weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2], weight.shape[3]])
    let B = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    if B > 1 && H * W <= conv2dImagesAsFramesMaximumPositions {
        // Many small images (a pseudo-3D UNet's B·F frames at 8×8): conv3d's GEMMs run per
        // batch entry, here with only Ho·Wo columns each, too few for sgemm to amortise
        // packing its operands. As the frames of one clip, [B, C, H, W] → [1, C, B, H, W]
        // (kT = 1), every GEMM spans all the images; two transposes pay for it.
        let clip = x.transposed(0, 1).reshaped([1, C, B, H, W])
        let y = conv3d(clip, weight: w5, bias: bias, stride: (1, stride.0, stride.1),
                       temporalPadding: .none, spatialPadding: padding,
                       dilation: (1, dilation.0, dilation.1))
        // y: [1, O, B, Ho, Wo] -> [B, O, Ho, Wo]
        return y.reshaped([y.shape[1], B, y.shape[3], y.shape[4]]).transposed(0, 1)
    }
    // x: [B, C, H, W] -> [B, C, 1, H, W]; weight -> [O, C, 1, kH, kW]
    let x5 = x.reshaped([B, C, 1, H, W])
    let y = conv3d(x5, weight: w5, bias: bias, stride: (1, stride.0, stride.1),
                   temporalPadding: .none, spatialPadding: padding,
                   dilation: (1, dilation.0, dilation.1))
    // y: [B, O, 1, Ho, Wo] -> [B, O, Ho, Wo]
    return y.reshaped([y.shape[0], y.shape[1], y.shape[3], y.shape[4]])
}

/// 3-D convolution (torch `F.conv3d`, groups = 1) with explicit time padding (zeros or
/// replicated edge frames, possibly causal) and per-side zero spatial padding.
///
/// - `x: [B, C, F, H, W]`
/// - `weight: [O, C, kT, kH, kW]` (PyTorch layout)
/// - `bias: [O]` or `nil`
/// - `stride`, `dilation`: (time, height, width)
/// - `cache: [B, C, c, H, W]` or `nil`: frames that came before `x` (the causal-conv feature
///   cache of the Wan / CogVideoX VAEs). They are prepended to `x` and replace up to `c` of
///   the `temporalPadding.before` frames, so the result equals
///   `conv3d(cat([cache, x], dim: 2))` with `max(0, before − c)` padding frames in front.
///   In `.replicate` mode the remaining front padding repeats the cache's first frame.
/// - `algorithm`: im2col + GEMM, or Winograd F(2×2, 3×3) for 3×3 spatial kernels with enough
///   channels (`.automatic`, the default, picks; WinogradConv.swift).
/// - `addend: [B, O, To, Ho, Wo]` or `nil`: added to the result, in the pass that writes the
///   bias (a residual connection without a pass of its own).
/// - returns `[B, O, To, Ho, Wo]`; `To` may be 0 when the sequence is shorter than the kernel.
public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: (Int, Int, Int) = (1, 1, 1),
                   temporalPadding: TemporalPadding = .none,
                   spatialPadding: Padding2D = .zero,
                   dilation: (Int, Int, Int) = (1, 1, 1),
                   cache: Tensor? = nil, adding addend: Tensor? = nil,
                   algorithm: ConvAlgorithm = .automatic) -> Tensor {
    conv3d(x, weight: weight, bias: bias, stride: stride, temporalPadding: temporalPadding,
           spatialPadding: spatialPadding, dilation: dilation, cache: cache,
           columnBudget: defaultColumnBudget, minimumPositions: minimumChunkPositions,
           adding: addend, algorithm: algorithm)
}

/// `conv3d` with explicit chunking, so tests can force many chunks: the im2col buffer holds
/// at most `columnBudget` elements unless that is fewer than `minimumPositions` output
/// positions (rounded up to whole output rows); the same bounds the Winograd path's
/// transformed input. `algorithm` picks im2col or Winograd F(2×2, 3×3) (WinogradConv.swift).
func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?,
            stride: (Int, Int, Int), temporalPadding: TemporalPadding,
            spatialPadding: Padding2D, dilation: (Int, Int, Int),
            cache: Tensor?, columnBudget: Int, minimumPositions: Int = 0,
            adding addend: Tensor? = nil, algorithm: ConvAlgorithm = .automatic) -> Tensor {
    precondition(x.rank == 5, "conv3d: input must be [B, C, F, H, W], got \(x.shape)")
    precondition(weight.rank == 5, "conv3d: weight must be [O, C, kT, kH, kW], got \(weight.shape)")
    precondition(weight.shape[1] == x.shape[1],
                 "conv3d: input \(x.shape) has \(x.shape[1]) channels, weight \(weight.shape) expects \(weight.shape[1])")
    precondition(weight.shape.dropFirst(2).allSatisfy { $0 > 0 }, "conv3d: empty kernel \(weight.shape)")
    precondition([stride.0, stride.1, stride.2, dilation.0, dilation.1, dilation.2].allSatisfy { $0 > 0 },
                 "conv3d: stride \(stride) and dilation \(dilation) must be positive")
    if let bias {
        precondition(bias.shape == [weight.shape[0]], "conv3d: bias must be [\(weight.shape[0])], got \(bias.shape)")
    }
    if let cache {
        precondition(cache.rank == 5 && cache.shape[0] == x.shape[0] && cache.shape[1] == x.shape[1]
                     && cache.shape[3] == x.shape[3] && cache.shape[4] == x.shape[4],
                     "conv3d: cache \(cache.shape) does not match input \(x.shape) in B, C, H, W")
    }
    let g = ConvGeometry(input: x.shape, weight: weight.shape, cacheFrames: cache?.shape[2] ?? 0,
                         stride: stride, dilation: dilation,
                         temporal: temporalPadding, padding: spatialPadding)
    let O = g.outChannels, P = g.outPositions, K = g.columnRows
    let outShape = [g.batch, O, g.outFrames, g.outHeight, g.outWidth]
    if let addend {
        precondition(addend.shape == outShape, "conv3d: addend \(addend.shape) must match the output \(outShape)")
    }

    return Tensor(shape: outShape) { out in
        guard let y = out.baseAddress else { return }
        // y: [B, O, P]; start from the bias (plus the addend), then accumulate GEMMs (beta = 1).
        let biasData = bias?.data ?? []
        let addendData = addend?.data ?? []
        let hasAddend = addend != nil  // (an empty array's buffer may still have a base address)
        biasData.withUnsafeBufferPointer { b in
        addendData.withUnsafeBufferPointer { a in
            Parallel.forEach(g.batch * O, grain: max(1, 65_536 / max(1, P))) { range in
                for plane in range {
                    let value = b.isEmpty ? 0 : b[plane % O]
                    if hasAddend, let source = a.baseAddress {
                        let from = source + plane * P, to = y + plane * P
                        for i in 0..<P { (to + i).initialize(to: from[i] + value) }
                    } else {
                        (y + plane * P).initialize(repeating: value, count: P)
                    }
                }
            }
        }
        }
        x.data.withUnsafeBufferPointer { xBuf in
        weight.data.withUnsafeBufferPointer { wBuf in
            guard let xPtr = xBuf.baseAddress, let wPtr = wBuf.baseAddress else { return }
            if g.isPointwise {
                // 1×1×1: y[b] = W[O, C] · x[b][C, F·H·W], no copy.
                for b in 0..<g.batch {
                    BLAS.sgemm(m: O, n: P, k: K, a: wPtr, lda: K,
                               b: xPtr + b * K * P, ldb: P, beta: 1, c: y + b * O * P, ldc: P)
                }
                return
            }
            let cacheData = cache?.data ?? []
            let winograd = algorithm == .winograd ? g.allowsWinograd : algorithm == .automatic && g.prefersWinograd
            if winograd {
                let u = winogradWeights(wPtr, outChannels: O, channels: g.channels, kT: g.kT)
                defer { u.deallocate() }
                guard let uPtr = u.baseAddress else { return }
                cacheData.withUnsafeBufferPointer { cacheBuf in
                    g.winogradConvolve(x: xPtr, cache: cache == nil ? nil : cacheBuf.baseAddress,
                                       weights: uPtr, y: y, columnBudget: columnBudget,
                                       minimumPositions: minimumPositions)
                }
                return
            }
            // Chunk the output rows (to, ho) so that the columns [K, rows·Wo] fit the budget.
            let rows = g.outFrames * g.outHeight
            let budgetRows = columnBudget / max(1, K * g.outWidth)
            let minimumRows = (minimumPositions + g.outWidth - 1) / max(1, g.outWidth)
            let rowsPerChunk = max(1, min(rows, max(budgetRows, minimumRows)))
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: K * rowsPerChunk * g.outWidth)
            defer { columns.deallocate() }
            // A cancelled job's convolution stops between chunks (the caller's next check throws).
            let cancellation = CancellationFlag.current
            cacheData.withUnsafeBufferPointer { cacheBuf in
                for b in 0..<g.batch {
                    var start = 0
                    while start < rows {
                        if cancellation?.isCancelled == true { return }
                        let end = min(rows, start + rowsPerChunk)
                        let n = (end - start) * g.outWidth
                        g.im2col(x: xPtr, cache: cache == nil ? nil : cacheBuf.baseAddress, b: b,
                                 rowStart: start, rowEnd: end, columns: columns)
                        // y[b][:, start·Wo ..< end·Wo] += W[O, K] · columns[K, n]
                        BLAS.sgemm(m: O, n: n, k: K, a: wPtr, lda: K, b: columns, ldb: n,
                                   beta: 1, c: y + b * O * P + start * g.outWidth, ldc: P)
                        start = end
                    }
                }
            }
        }
        }
    }
}

/// The last `count` frames of `cat([previous, x], dim: 2)` (fewer if there are not that
/// many): what a causal conv run chunk by chunk over time carries into the next chunk.
///
/// - `x: [B, C, F, H, W]`, `previous: [B, C, c, H, W]` or `nil` → `[B, C, min(count, c + F), H, W]`.
///
/// Which frames a family passes as `previous`, how many it keeps and when it resets them is
/// that family's rule and lives with it: the Wan VAE's (`CACHE_T = 2`) in
/// Sources/Models/WanVAE/WanCausalCache.swift, used by `WanCausalConv3d` and `WanResample`.
/// A family that caches the frames of its *padded* input (CogVideoX's `CogVideoXCausalConv3d`)
/// passes the replicated padding frames as `previous` for its first chunk.
public func causalCacheTail(_ x: Tensor, previous: Tensor?, count: Int) -> Tensor {
    precondition(x.rank == 5, "causalCacheTail: input must be [B, C, F, H, W], got \(x.shape)")
    let B = x.shape[0], C = x.shape[1], F = x.shape[2], H = x.shape[3], W = x.shape[4]
    let c = previous?.shape[2] ?? 0
    if let previous {
        precondition(previous.rank == 5 && previous.shape[0] == B && previous.shape[1] == C
                     && previous.shape[3] == H && previous.shape[4] == W,
                     "causalCacheTail: previous \(previous.shape) does not match input \(x.shape)")
    }
    let kept = min(max(0, count), c + F)
    let first = c + F - kept  // index into the concatenated frames
    let frame = H * W
    var out = [Float]()
    out.reserveCapacity(B * C * kept * frame)
    for b in 0..<B {
        for ch in 0..<C {
            for f in first..<(c + F) {
                if f < c, let previous {
                    let offset = ((b * C + ch) * c + f) * frame
                    out += previous.data[offset..<offset + frame]
                } else {
                    let offset = ((b * C + ch) * F + f - c) * frame
                    out += x.data[offset..<offset + frame]
                }
            }
        }
    }
    return Tensor(shape: [B, C, kept, H, W], data: out)
}
