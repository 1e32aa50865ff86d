/// How `RGBImage.resized` samples.
public enum ResizeFilter: Sendable {
    /// Each output pixel copies the source pixel under its centre. Sharp; for pixel art and
    /// enlarging.
    case nearest
    /// Each output pixel is the area-weighted mean of the source pixels it covers (rounded to
    /// nearest). Smooth; for shrinking to thumbnails. When enlarging it equals `.nearest`.
    case box
}

extension RGBImage {
    /// The image scaled to `width × height` (each at least 1).
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResizeFilter = .box) throws -> RGBImage {
        guard newWidth >= 1, newHeight >= 1 else {
            throw MediaError.invalidArgument(name: "resize target", value: "\(newWidth)×\(newHeight)",
                                             valid: "at least 1×1")
        }
        if newWidth == width && newHeight == height { return self }
        let xs = filter == .box && newWidth < width ? Self.boxWeights(from: width, to: newWidth)
                                                     : Self.nearestWeights(from: width, to: newWidth)
        let ys = filter == .box && newHeight < height ? Self.boxWeights(from: height, to: newHeight)
                                                      : Self.nearestWeights(from: height, to: newHeight)
        let srcWidth = width
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        pixels.withUnsafeBufferPointer { src in
            for oy in 0..<newHeight {
                for ox in 0..<newWidth {
                    var acc: (Double, Double, Double) = (0, 0, 0)
                    var total = 0.0
                    for (sy, wy) in ys[oy] {
                        for (sx, wx) in xs[ox] {
                            let w = wy * wx
                            let i = (sy * srcWidth + sx) * 3
                            acc.0 += w * Double(src[i])
                            acc.1 += w * Double(src[i + 1])
                            acc.2 += w * Double(src[i + 2])
                            total += w
                        }
                    }
                    let o = (oy * newWidth + ox) * 3
                    out[o] = UInt8(min(255, (acc.0 / total).rounded()))
                    out[o + 1] = UInt8(min(255, (acc.1 / total).rounded()))
                    out[o + 2] = UInt8(min(255, (acc.2 / total).rounded()))
                }
            }
        }
        return RGBImage(uncheckedWidth: newWidth, height: newHeight, pixels: out)
    }

    /// Shrunk (never enlarged) so the longer side is at most `maxSide`, keeping the aspect
    /// ratio (each side at least 1), with the box filter.
    public func thumbnail(maxSide: Int) throws -> RGBImage {
        guard maxSide >= 1 else {
            throw MediaError.invalidArgument(name: "thumbnail size", value: "\(maxSide)", valid: "at least 1 pixel")
        }
        let longest = max(width, height)
        guard longest > maxSide else { return self }
        let scale = Double(maxSide) / Double(longest)
        return try resized(width: max(1, Int((Double(width) * scale).rounded())),
                           height: max(1, Int((Double(height) * scale).rounded())), filter: .box)
    }

    /// For each output index, the one source index under its centre.
    private static func nearestWeights(from n: Int, to m: Int) -> [[(Int, Double)]] {
        (0..<m).map { o in [(min(n - 1, (2 * o + 1) * n / (2 * m)), 1.0)] }
    }

    /// For each output index, the source indices it covers and how much of each
    /// (output pixel o covers source interval [o·n/m, (o+1)·n/m)).
    private static func boxWeights(from n: Int, to m: Int) -> [[(Int, Double)]] {
        (0..<m).map { o in
            let start = Double(o) * Double(n) / Double(m), end = Double(o + 1) * Double(n) / Double(m)
            var weights: [(Int, Double)] = []
            var s = Int(start.rounded(.down))
            while Double(s) < end && s < n {
                let w = min(end, Double(s + 1)) - max(start, Double(s))
                if w > 1e-12 { weights.append((s, w)) }
                s += 1
            }
            return weights
        }
    }
}
