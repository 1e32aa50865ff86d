// im2col for 3-D convolution (2-D is the case F = kT = 1), written for chunked use: each
// call fills the columns of a contiguous range of output rows (to, ho), so the column
// buffer stays bounded however large the input is.

/// The geometry of one conv3d call after padding and caching are resolved.
struct ConvGeometry {
    // input x: [B, C, F, H, W]; cache: [B, C, c, H, W] (c may be 0)
    var batch: Int, channels: Int, frames: Int, height: Int, width: Int
    var cacheFrames: Int
    // weight: [O, C, kT, kH, kW]
    var outChannels: Int, kT: Int, kH: Int, kW: Int
    var strideT: Int, strideH: Int, strideW: Int
    var dilationT: Int, dilationH: Int, dilationW: Int
    var padding: Padding2D
    /// For each padded time index: the index into the concatenated [cache, x] frames, or
    /// -1 for a zero frame.
    var frameSources: [Int]
    // output: [B, O, To, Ho, Wo]
    var outFrames: Int, outHeight: Int, outWidth: Int

    /// Rows of the column matrix: C·kT·kH·kW, in the weight's memory order.
    var columnRows: Int { channels * kT * kH * kW }
    /// Output positions per batch entry.
    var outPositions: Int { outFrames * outHeight * outWidth }

    init(input: [Int], weight: [Int], cacheFrames: Int,
         stride: (Int, Int, Int), dilation: (Int, Int, Int),
         temporal: TemporalPadding, padding: Padding2D) {
        batch = input[0]; channels = input[1]; frames = input[2]; height = input[3]; width = input[4]
        outChannels = weight[0]; kT = weight[2]; kH = weight[3]; kW = weight[4]
        (strideT, strideH, strideW) = stride
        (dilationT, dilationH, dilationW) = dilation
        self.cacheFrames = cacheFrames
        self.padding = padding

        // Cached frames replace that many padding frames before the sequence.
        let before = max(0, temporal.before - cacheFrames)
        let available = cacheFrames + frames
        var sources = [Int]()
        sources.reserveCapacity(before + available + temporal.after)
        let replicate = temporal.mode == .replicate && available > 0
        sources += repeatElement(replicate ? 0 : -1, count: before)
        sources += 0..<available
        sources += repeatElement(replicate ? available - 1 : -1, count: temporal.after)
        frameSources = sources

        func outSize(_ padded: Int, _ k: Int, _ s: Int, _ d: Int) -> Int {
            let span = d * (k - 1) + 1
            return padded >= span ? (padded - span) / s + 1 : 0
        }
        outFrames = outSize(sources.count, kT, strideT, dilationT)
        outHeight = outSize(height + padding.top + padding.bottom, kH, strideH, dilationH)
        outWidth = outSize(width + padding.left + padding.right, kW, strideW, dilationW)
    }

    /// True when the conv is a plain per-position channel mix: the input is the column matrix.
    var isPointwise: Bool {
        kT == 1 && kH == 1 && kW == 1 && strideT == 1 && strideH == 1 && strideW == 1
            && padding == .zero && cacheFrames == 0 && frameSources.count == frames
    }

    /// The `[H, W]` plane of channel `channel`, batch entry `b`, at index `source` of the
    /// concatenated `[cache, x]` frames (a non-negative `frameSources` entry): im2col and the
    /// Winograd input transform read their frames through this one lookup.
    @inline(__always)
    func plane(x: UnsafePointer<Float>, cache: UnsafePointer<Float>?, b: Int, channel: Int,
               source: Int) -> UnsafePointer<Float> {
        let frameSize = height * width
        if source < cacheFrames, let cache {
            return cache + ((b * channels + channel) * cacheFrames + source) * frameSize
        }
        return x + ((b * channels + channel) * frames + source - cacheFrames) * frameSize
    }

    /// Fills `columns` ([columnRows, (rowEnd - rowStart)·Wo]) for output rows
    /// `rowStart..<rowEnd`, where output row r is (to, ho) = (r / Ho, r % Ho), of batch
    /// entry `b`. Parallel over column rows.
    func im2col(x: UnsafePointer<Float>, cache: UnsafePointer<Float>?, b: Int,
                rowStart: Int, rowEnd: Int, columns: UnsafeMutablePointer<Float>) {
        let Wo = outWidth, Ho = outHeight, H = height, W = width
        let positions = (rowEnd - rowStart) * Wo
        // For each kw, the output columns [lo, hi) whose input column is inside the image.
        var validLo = [Int](repeating: 0, count: kW), validHi = [Int](repeating: 0, count: kW)
        for kw in 0..<kW {
            let offset = kw * dilationW - padding.left
            var lo = Wo, hi = 0
            for wo in 0..<Wo {
                let wi = wo * strideW + offset
                if wi >= 0 && wi < W { lo = min(lo, wo); hi = wo + 1 }
            }
            validLo[kw] = lo
            validHi[kw] = max(lo, hi)
        }
        let grain = max(1, 16_384 / max(1, positions))
        let geometry = self
        validLo.withUnsafeBufferPointer { validLo in
        validHi.withUnsafeBufferPointer { validHi in
        geometry.frameSources.withUnsafeBufferPointer { sources in
            Parallel.forEach(columnRows, grain: grain) { range in
                for row in range {
                    // row = ((ci·kT + kt)·kH + kh)·kW + kw
                    let kw = row % kW
                    let kh = (row / kW) % kH
                    let kt = (row / (kW * kH)) % kT
                    let ci = row / (kW * kH * kT)
                    let lo = validLo[kw], hi = validHi[kw]
                    let wOffset = kw * dilationW - padding.left
                    var dst = columns + row * positions
                    for r in rowStart..<rowEnd {
                        defer { dst += Wo }
                        let to = r / Ho, ho = r - (r / Ho) * Ho
                        let source = sources[to * strideT + kt * dilationT]
                        let hi_ = ho * strideH + kh * dilationH - padding.top
                        guard source >= 0, hi_ >= 0, hi_ < H, lo < hi else {
                            dst.update(repeating: 0, count: Wo)
                            continue
                        }
                        let src = geometry.plane(x: x, cache: cache, b: b, channel: ci, source: source)
                            + hi_ * W + wOffset
                        if lo > 0 { dst.update(repeating: 0, count: lo) }
                        if strideW == 1 {
                            (dst + lo).update(from: src + lo, count: hi - lo)
                        } else {
                            for wo in lo..<hi { dst[wo] = src[wo * strideW] }
                        }
                        if hi < Wo { (dst + hi).update(repeating: 0, count: Wo - hi) }
                    }
                }
            }
        }
        }
        }
    }
}
