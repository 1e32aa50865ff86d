// Naive direct convolution for tests: the time-padded frame list is built explicitly, then
// every output element is one loop over (channel, kt, kh, kw) with bounds checks for the
// spatial zero padding. Accumulated in Double.

extension Reference {
    /// Direct conv3d (groups = 1).
    ///
    /// - `x: [B, C, F, H, W]`, `weight: [O, C, kT, kH, kW]`, `bias: [O]?`
    /// - time: `padBefore` / `padAfter` frames, zeros or (when `replicate`) copies of the
    ///   first / last frame; spatial: zeros, per side.
    /// - returns the output and its shape `[B, O, To, Ho, Wo]`.
    public static func conv3d(_ x: [Float], shape: [Int], weight: [Float], weightShape: [Int],
                              bias: [Float]?, stride: [Int] = [1, 1, 1], dilation: [Int] = [1, 1, 1],
                              padBefore: Int = 0, padAfter: Int = 0, replicate: Bool = false,
                              top: Int = 0, bottom: Int = 0, left: Int = 0, right: Int = 0)
        -> (data: [Float], shape: [Int]) {
        let (B, C, F, H, W) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let (O, kT, kH, kW) = (weightShape[0], weightShape[2], weightShape[3], weightShape[4])
        // Padded frame list: nil = zero frame, else the input frame index.
        var frames: [Int?] = []
        for _ in 0..<padBefore { frames.append(replicate ? 0 : nil) }
        for f in 0..<F { frames.append(f) }
        for _ in 0..<padAfter { frames.append(replicate ? F - 1 : nil) }
        let To = (frames.count - dilation[0] * (kT - 1) - 1) / stride[0] + 1
        let Ho = (H + top + bottom - dilation[1] * (kH - 1) - 1) / stride[1] + 1
        let Wo = (W + left + right - dilation[2] * (kW - 1) - 1) / stride[2] + 1
        var y = [Float](repeating: 0, count: B * O * To * Ho * Wo)
        for b in 0..<B {
            for o in 0..<O {
                for t in 0..<To {
                    for i in 0..<Ho {
                        for j in 0..<Wo {
                            var sum = Double(bias?[o] ?? 0)
                            for c in 0..<C {
                                for kt in 0..<kT {
                                    guard let f = frames[t * stride[0] + kt * dilation[0]] else { continue }
                                    for kh in 0..<kH {
                                        let h = i * stride[1] + kh * dilation[1] - top
                                        if h < 0 || h >= H { continue }
                                        for kw in 0..<kW {
                                            let w = j * stride[2] + kw * dilation[2] - left
                                            if w < 0 || w >= W { continue }
                                            let xv = x[(((b * C + c) * F + f) * H + h) * W + w]
                                            let wv = weight[(((o * C + c) * kT + kt) * kH + kh) * kW + kw]
                                            sum += Double(xv) * Double(wv)
                                        }
                                    }
                                }
                            }
                            y[(((b * O + o) * To + t) * Ho + i) * Wo + j] = Float(sum)
                        }
                    }
                }
            }
        }
        return (y, [B, O, To, Ho, Wo])
    }
}
