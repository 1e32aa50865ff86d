// Winograd's minimal filtering F(2×2, 3×3) for the 3×3 spatial part of conv2d / conv3d:
// A. Lavin and S. Gray, "Fast Algorithms for Convolutional Neural Networks" (CVPR 2016), §4.
// Every 2×2 block of outputs of a 3×3 kernel costs 16 multiplies instead of 36, so a
// convolution's GEMM work drops 2.25× (the transforms are additions). Written here because
// neither library we link offers it for these convolutions: OpenBLAS has no convolutions, and
// oneDNN 2.6's Winograd kernels are 2-D only and need AVX-512 (its conv3d is direct).
//
// Per output frame `to` and time tap `kt` the source frame is `frameSources[to·sT + kt·dT]`
// (cache, input or a zero frame), exactly as im2col reads it (Im2Col.swift), so padding,
// causal caches and time strides behave the same on both paths.

/// Fewest input and output channels for which the Winograd path is used: below it the
/// transforms' memory traffic would cost more than the multiplies it saves. Measured with
/// `zoetrope-bench conv` (Zen 3, 2 threads, 3×3×3 causal convs, Winograd time / im2col time,
/// two runs): 16 channels 0.65–0.77, 32 0.73–0.94, 64 0.72–0.76 (all at 128²), 96 0.41–0.75
/// (64²), 384 0.55–0.58 (30×52). Narrower convs (a VAE's RGB ends) stay on im2col untried.
let winogradMinimumChannels = 16

/// Which algorithm `conv3d` uses for a convolution (tests and `zoetrope-bench conv` force
/// each path; models leave it `automatic`).
public enum ConvAlgorithm: Sendable {
    /// Winograd where `ConvGeometry.prefersWinograd` says it pays, else im2col.
    case automatic
    /// Always im2col + GEMM.
    case im2col
    /// Winograd F(2×2, 3×3) whenever the geometry allows it (`allowsWinograd`).
    case winograd
}

extension ConvGeometry {
    /// A 3×3 spatial kernel with unit spatial stride and dilation: what F(2×2, 3×3) computes.
    /// Any time kernel, stride, dilation and padding, any spatial padding.
    var allowsWinograd: Bool {
        kH == 3 && kW == 3 && strideH == 1 && strideW == 1 && dilationH == 1 && dilationW == 1
            && outHeight > 0 && outWidth > 0
    }

    /// `allowsWinograd` with enough channels for the saving to outweigh the transforms, in
    /// fp32: under bf16 the im2col GEMMs go to oneDNN (Winograd's per-tile GEMMs run inside
    /// `Parallel` chunks, which stay fp32).
    var prefersWinograd: Bool {
        allowsWinograd && channels >= winogradMinimumChannels && outChannels >= winogradMinimumChannels
            && ComputePrecision.current == .float32
    }

    var tilesHigh: Int { (outHeight + 1) / 2 }
    var tilesWide: Int { (outWidth + 1) / 2 }

    /// Adds the convolution of every batch entry to `y` (`[B, O, To, Ho, Wo]`, holding the
    /// bias or zeros) by F(2×2, 3×3). `weights` is `winogradWeights(...)` of this conv's weight.
    ///
    /// Output tile rows (to, ty) are taken in chunks whose transformed input
    /// (16 × kT·C × tiles) fits `columnBudget` elements (at least `minimumPositions` / 4
    /// tiles). Per chunk: the input transform V = Bᵀ d B of every tile, one GEMM per
    /// transform position ξ, M[ξ] = U[ξ] · V[ξ] (`[O, kT·C] · [kT·C, tiles]`, the 16 GEMMs
    /// spread over the threads), and the output transform Aᵀ M A added into `y`. The two
    /// chunk buffers are allocated once per call and reused across chunks and batch entries.
    func winogradConvolve(x: UnsafePointer<Float>, cache: UnsafePointer<Float>?,
                          weights: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                          columnBudget: Int, minimumPositions: Int) {
        let O = outChannels, K = kT * channels
        let tilesW = tilesWide, tileRows = outFrames * tilesHigh
        let budgetRows = columnBudget / max(1, 16 * K * tilesW)
        let minimumRows = (max(1, minimumPositions / 4) + tilesW - 1) / tilesW
        let rowsPerChunk = max(1, min(tileRows, max(budgetRows, minimumRows)))
        let maxTiles = rowsPerChunk * tilesW
        let transformed = UnsafeMutablePointer<Float>.allocate(capacity: 16 * K * maxTiles)
        defer { transformed.deallocate() }
        // 8 spare floats: the output transform's last block may load past the last row's tiles.
        let products = UnsafeMutablePointer<Float>.allocate(capacity: 16 * O * maxTiles + 8)
        (products + 16 * O * maxTiles).initialize(repeating: 0, count: 8)
        defer { products.deallocate() }
        let cancellation = CancellationFlag.current
        for b in 0..<batch {
            var start = 0
            while start < tileRows {
                if cancellation?.isCancelled == true { return }
                let end = min(tileRows, start + rowsPerChunk)
                let n = (end - start) * tilesW
                winogradInputTransform(x: x, cache: cache, b: b, tileRowStart: start, tileRowEnd: end,
                                       transformed: transformed)
                // M[ξ] = U[ξ] [O, K] · V[ξ] [K, n]: 16 independent GEMMs, each on one thread.
                Parallel.forEach(16) { range in
                    for xi in range {
                        BLAS.sgemm(m: O, n: n, k: K, a: weights + xi * O * K, lda: K,
                                   b: transformed + xi * K * n, ldb: n,
                                   beta: 0, c: products + xi * O * n, ldc: n)
                    }
                }
                winogradOutputTransform(products: products, b: b, tileRowStart: start, tileRowEnd: end, y: y)
                start = end
            }
        }
    }

    /// V[ξ][kt·C + c][t] = (Bᵀ d B)[ξ] for the 4×4 input patch d of tile t in tile rows
    /// `tileRowStart..<tileRowEnd`, channel c, time tap kt. Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0],
    /// [0, −1, 1, 0], [0, 1, 0, −1]]. Parallel over the K = kT·C rows.
    ///
    /// Each tile row's four input rows are first copied into zero-padded rows long enough for
    /// whole blocks of 8 tiles, so every tile — the padded edges and a last block of fewer than 8
    /// included — goes through the 8-wide path. (Edge tiles taken one at a time cost a bounds
    /// check per element and 16 scalar stores each; at 64 pixels a quarter of the tiles are edge
    /// tiles, at 8 pixels all of them.)
    private func winogradInputTransform(x: UnsafePointer<Float>, cache: UnsafePointer<Float>?, b: Int,
                                        tileRowStart: Int, tileRowEnd: Int,
                                        transformed: UnsafeMutablePointer<Float>) {
        let K = kT * channels, C = channels
        let tilesW = tilesWide, tilesH = tilesHigh
        let n = (tileRowEnd - tileRowStart) * tilesW
        let H = height, W = width
        let top = padding.top, left = padding.left
        // Padded row j holds input column j − left (zero outside 0 ..< W). The block of 8 tiles
        // starting at tile tx reads columns 2tx ..< 2tx + 18, so 8·blocks tiles need 16·blocks + 2.
        let blocks = (tilesW + 7) / 8
        let span = 16 * blocks + 2
        let copyStart = min(left, span), copyEnd = min(span, left + W)
        let geometry = self
        geometry.frameSources.withUnsafeBufferPointer { sources in
            Parallel.forEach(K, grain: max(1, 8_192 / max(1, n))) { range in
                let padded = UnsafeMutablePointer<Float>.allocate(capacity: 4 * span)
                defer { padded.deallocate() }
                for k in range {
                    let kt = k / C, c = k - (k / C) * C
                    var t = 0
                    for tileRow in tileRowStart..<tileRowEnd {
                        let to = tileRow / tilesH, ty = tileRow - (tileRow / tilesH) * tilesH
                        let source = sources[to * geometry.strideT + kt * geometry.dilationT]
                        guard source >= 0 else {
                            for xi in 0..<16 { (transformed + (xi * K + k) * n + t).update(repeating: 0, count: tilesW) }
                            t += tilesW
                            continue
                        }
                        let plane = geometry.plane(x: x, cache: cache, b: b, channel: c, source: source)
                        // The patch's 4 input rows, padded; zero rows where a row is padding.
                        let h0 = 2 * ty - top
                        for i in 0..<4 {
                            let row = padded + i * span
                            guard h0 + i >= 0 && h0 + i < H else {
                                row.update(repeating: 0, count: span)
                                continue
                            }
                            row.update(repeating: 0, count: copyStart)
                            if copyEnd > copyStart {
                                (row + copyStart).update(from: plane + (h0 + i) * W, count: copyEnd - copyStart)
                            }
                            (row + copyEnd).update(repeating: 0, count: span - copyEnd)
                        }
                        let planeStride = K * n
                        var tx = 0
                        while tx < tilesW {
                            let count = min(8, tilesW - tx)
                            // 8 tiles at once: their patches' columns j are the even (j = 0, 2)
                            // and odd (j = 1, 3) entries of columns 2tx ..< 2tx + 16 and
                            // 2tx + 2 ..< 2tx + 18.
                            func columns(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                                let row = UnsafeRawPointer(padded + i * span + 2 * tx)
                                let a = row.loadUnaligned(as: SIMD16<Float>.self)
                                let b = row.loadUnaligned(fromByteOffset: 2 * MemoryLayout<Float>.stride,
                                                          as: SIMD16<Float>.self)
                                return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                            }
                            let d0 = columns(0), d1 = columns(1), d2 = columns(2), d3 = columns(3)
                            // V[ξ] of the block's tiles: all 8 lanes, or the first `count`.
                            func put(_ xi: Int, _ v: SIMD8<Float>) {
                                let p = transformed + k * n + t + xi * planeStride
                                if count == 8 {
                                    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
                                } else {
                                    for lane in 0..<count { p[lane] = v[lane] }
                                }
                            }
                            // Row i of Bᵀ d (its 4 columns), times B, to V[4i ..< 4i + 4].
                            func store(_ i: Int, _ r0: SIMD8<Float>, _ r1: SIMD8<Float>, _ r2: SIMD8<Float>,
                                       _ r3: SIMD8<Float>) {
                                put(4 * i, r0 - r2)
                                put(4 * i + 1, r1 + r2)
                                put(4 * i + 2, r2 - r1)
                                put(4 * i + 3, r1 - r3)
                            }
                            store(0, d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3)
                            store(1, d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3)
                            store(2, d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3)
                            store(3, d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3)
                            tx += 8
                            t += count
                        }
                    }
                }
            }
        }
    }

    /// y[b, o, to, 2ty + i, 2tx + j] += (Aᵀ M A)[i, j] for every tile of the chunk, with
    /// Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]; outputs past Ho or Wo (odd sizes) are dropped.
    /// Parallel over output channels.
    private func winogradOutputTransform(products: UnsafePointer<Float>, b: Int,
                                         tileRowStart: Int, tileRowEnd: Int, y: UnsafeMutablePointer<Float>) {
        let O = outChannels, tilesW = tilesWide, tilesH = tilesHigh
        let n = (tileRowEnd - tileRowStart) * tilesW
        let Ho = outHeight, Wo = outWidth, To = outFrames
        Parallel.forEach(O, grain: max(1, 4_096 / max(1, n))) { range in
            for o in range {
                var t = 0
                for tileRow in tileRowStart..<tileRowEnd {
                    let to = tileRow / tilesH, ty = tileRow - (tileRow / tilesH) * tilesH
                    let frame = y + ((b * O + o) * To + to) * Ho * Wo
                    let ho = 2 * ty
                    var tx = 0
                    while tx < tilesW {
                        let wo = 2 * tx
                        let top = frame + ho * Wo + wo
                        let count = min(8, tilesW - tx)
                        // 8 tiles at once: M[ξ] of 8 consecutive tiles is contiguous. In a last
                        // block of fewer than 8 the loads run past the row's tiles, into the next
                        // row or the buffer's 8 spare floats; those lanes are dropped below.
                        func m(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                            let base = UnsafeRawPointer(products + (i * 4 * O + o) * n + t)
                            let stride = O * n * MemoryLayout<Float>.stride
                            return (base.loadUnaligned(as: SIMD8<Float>.self),
                                    base.loadUnaligned(fromByteOffset: stride, as: SIMD8<Float>.self),
                                    base.loadUnaligned(fromByteOffset: 2 * stride, as: SIMD8<Float>.self),
                                    base.loadUnaligned(fromByteOffset: 3 * stride, as: SIMD8<Float>.self))
                        }
                        let (m0, m1, m2, m3) = (m(0), m(1), m(2), m(3))
                        let t0 = (m0.0 + m1.0 + m2.0, m0.1 + m1.1 + m2.1, m0.2 + m1.2 + m2.2, m0.3 + m1.3 + m2.3)
                        let t1 = (m1.0 - m2.0 - m3.0, m1.1 - m2.1 - m3.1, m1.2 - m2.2 - m3.2, m1.3 - m2.3 - m3.3)
                        // Output columns 2tx + 2m (even) and 2tx + 2m + 1 (odd) of the block's tiles m.
                        func add(_ row: UnsafeMutablePointer<Float>, _ even: SIMD8<Float>, _ odd: SIMD8<Float>) {
                            if count == 8 && wo + 16 <= Wo {
                                var v = UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self)
                                var pair = SIMD16<Float>()
                                pair.evenHalf = even
                                pair.oddHalf = odd
                                v += pair
                                UnsafeMutableRawPointer(row).storeBytes(of: v, as: SIMD16<Float>.self)
                                return
                            }
                            for lane in 0..<count {
                                row[2 * lane] += even[lane]
                                if wo + 2 * lane + 1 < Wo { row[2 * lane + 1] += odd[lane] }
                            }
                        }
                        add(top, t0.0 + t0.1 + t0.2, t0.1 - t0.2 - t0.3)
                        if ho + 1 < Ho { add(top + Wo, t1.0 + t1.1 + t1.2, t1.1 - t1.2 - t1.3) }
                        tx += 8
                        t += count
                    }
                }
            }
        }
    }
}

/// U[ξ][o][kt·C + c] = (G g Gᵀ)[ξ] for each 3×3 kernel g = weight[o, c, kt] (`[O, C, kT, 3, 3]`),
/// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]: `[16, O, kT·C]`, the A operands of
/// `winogradConvolve`'s GEMMs.
///
/// `conv3d` transforms a layer's weights on every call rather than keeping them with the layer:
/// they are 16/9 the size of the weights (a 3×3×3 Wan VAE conv with 384 channels: 28.3 MB
/// against 15.9 MB), so keeping them for every layer would add 1.8× the VAE's 3×3 weights to
/// the resident memory that issue #18 bounds. What that would save is small: the transform
/// costs ~30 additions per 3×3 kernel, the GEMMs 2·16 flops per kernel for every 2×2 output
/// tile, and a call covers hundreds of tiles or more (a 30×52 frame has 390).
func winogradWeights(_ weight: UnsafePointer<Float>, outChannels O: Int, channels C: Int, kT: Int)
    -> UnsafeMutableBufferPointer<Float> {
    let K = kT * C
    let u = UnsafeMutableBufferPointer<Float>.allocate(capacity: 16 * O * K)
    guard let base = u.baseAddress else { return u }
    Parallel.forEach(O) { range in
        for o in range {
            for c in 0..<C {
                for kt in 0..<kT {
                    let g = weight + ((o * C + c) * kT + kt) * 9
                    let k = kt * C + c
                    // Row i of G g (a, b, c), times Gᵀ: a, (a + b + c)/2, (a − b + c)/2, c.
                    func store(_ i: Int, _ a: Float, _ b: Float, _ c: Float) {
                        let p = base + (4 * i * O + o) * K + k
                        p[0] = a
                        p[O * K] = 0.5 * (a + b + c)
                        p[2 * O * K] = 0.5 * (a - b + c)
                        p[3 * O * K] = c
                    }
                    store(0, g[0], g[1], g[2])
                    store(1, 0.5 * (g[0] + g[3] + g[6]), 0.5 * (g[1] + g[4] + g[7]), 0.5 * (g[2] + g[5] + g[8]))
                    store(2, 0.5 * (g[0] - g[3] + g[6]), 0.5 * (g[1] - g[4] + g[7]), 0.5 * (g[2] - g[5] + g[8]))
                    store(3, g[6], g[7], g[8])
                }
            }
        }
    }
    return u
}
