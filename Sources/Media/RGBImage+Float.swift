// Float → 8-bit conversion, matching diffusers 0.42.1 `VaeImageProcessor`
// (src/diffusers/image_processor.py):
//   denormalize:   (images * 0.5 + 0.5).clamp(0, 1)          — for VAE output in [-1, 1]
//   numpy_to_pil:  (images * 255).round().astype("uint8")    — numpy rounds half to even
// Both steps are done here in Float (float32), like torch/numpy, so the bytes are identical.

/// Where the three colour values of a pixel sit in a float frame.
public enum PixelLayout: Sendable {
    /// `[H, W, C]`: RGB interleaved (diffusers' numpy output, `output_type="np"`).
    case hwc
    /// `[C, H, W]`: one plane per channel (PyTorch's image layout).
    case chw
}

/// Where frames sit in a float video buffer.
public enum VideoLayout: Sendable {
    /// `[F, H, W, C]`: diffusers' `postprocess_video(..., output_type="np")` per batch item.
    case fhwc
    /// `[C, F, H, W]`: the VAE decoder's output for one batch item (`[B, C, F, H, W]` with B = 1).
    case cfhw
}

/// The range the float values are in.
public enum FloatRange: Sendable {
    /// [0, 1]; values outside are clamped.
    case unit
    /// [-1, 1] (VAE output); mapped by `x * 0.5 + 0.5` then clamped to [0, 1], as diffusers'
    /// `denormalize` does.
    case signedUnit
}

extension RGBImage {
    /// Converts one float value to a byte: `round_half_to_even(clamp(x, 0, 1) * 255)` in Float,
    /// which is exactly diffusers' `(images * 255).round().astype("uint8")` on values that
    /// `denormalize` already clamped. NaN becomes 0.
    @inline(__always)
    static func byte(_ value: Float, range: FloatRange) -> UInt8 {
        var x = range == .signedUnit ? value * 0.5 + 0.5 : value
        guard !x.isNaN else { return 0 }
        x = min(max(x, 0), 1)
        return UInt8((x * 255).rounded(.toNearestOrEven))
    }

    /// Makes an image from `width * height * 3` floats laid out as `layout`, in `range`.
    /// Rounding is half-to-even, matching numpy (see `byte`). Throws `MediaError.invalidImage`
    /// when the count does not match.
    public init(floats: [Float], width: Int, height: Int, layout: PixelLayout = .hwc,
                range: FloatRange = .unit) throws {
        guard width > 0, height > 0, floats.count == width * height * 3 else {
            throw MediaError.invalidImage(width: width, height: height, byteCount: floats.count)
        }
        let pixels = floats.withUnsafeBufferPointer { src in
            Self.convert(src, planeStride: width * height, layout: layout, range: range)
        }
        self.init(uncheckedWidth: width, height: height, pixels: pixels)
    }

    /// Splits a float video of `frameCount` frames of `width × height` into images.
    /// `floats.count` must be `frameCount * height * width * 3`.
    public static func frames(floats: [Float], frameCount: Int, width: Int, height: Int,
                              layout: VideoLayout = .fhwc, range: FloatRange = .unit) throws -> [RGBImage] {
        let plane = width * height
        guard frameCount > 0, width > 0, height > 0, floats.count == frameCount * plane * 3 else {
            throw MediaError.invalidArgument(
                name: "float video buffer", value: "\(floats.count) floats",
                valid: "frameCount × height × width × 3 = \(max(0, frameCount) * max(0, plane) * 3) floats "
                    + "for \(frameCount) frames of \(width)×\(height)")
        }
        return floats.withUnsafeBufferPointer { src in
            (0..<frameCount).map { f in
                let pixels: [UInt8]
                switch layout {
                case .fhwc:
                    // frame f: [H, W, C] starting at f * plane * 3
                    pixels = convert(UnsafeBufferPointer(rebasing: src[(f * plane * 3)..<((f + 1) * plane * 3)]),
                                     planeStride: plane, layout: .hwc, range: range)
                case .cfhw:
                    // channel c of frame f starts at (c * frameCount + f) * plane; channels are frameCount * plane apart
                    pixels = convertPlanar(src, first: f * plane, planeStride: frameCount * plane,
                                           count: plane, range: range)
                }
                return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
            }
        }
    }

    private static func convert(_ src: UnsafeBufferPointer<Float>, planeStride: Int, layout: PixelLayout,
                                range: FloatRange) -> [UInt8] {
        switch layout {
        case .hwc:
            return [UInt8](unsafeUninitializedCapacity: src.count) { out, initialized in
                for i in 0..<src.count { out[i] = byte(src[i], range: range) }
                initialized = src.count
            }
        case .chw:
            return convertPlanar(src, first: 0, planeStride: planeStride, count: planeStride, range: range)
        }
    }

    /// Reads pixel p's channel c from `src[first + c * planeStride + p]`.
    private static func convertPlanar(_ src: UnsafeBufferPointer<Float>, first: Int, planeStride: Int,
                                      count: Int, range: FloatRange) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count * 3) { out, initialized in
            for p in 0..<count {
                for c in 0..<3 { out[p * 3 + c] = byte(src[first + c * planeStride + p], range: range) }
            }
            initialized = count * 3
        }
    }
}
