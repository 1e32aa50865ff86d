/// An 8-bit RGB picture: `height` rows of `width` pixels, each pixel three bytes R, G, B,
/// rows stored top to bottom with no padding (`pixels.count == width * height * 3`).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Interleaved RGB bytes, row-major: pixel (x, y) starts at `(y * width + x) * 3`.
    public internal(set) var pixels: [UInt8]

    /// Wraps an RGB buffer; throws `MediaError.invalidImage` unless both sides are positive and
    /// `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).overflow == false,
              pixels.count == width * height * 3
        else { throw MediaError.invalidImage(width: width, height: height, byteCount: pixels.count) }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour. Sides below 1 are raised to 1.
    public init(width: Int, height: Int, fill: RGB = .black) {
        self.width = max(1, width)
        self.height = max(1, height)
        var pixels = [UInt8](repeating: 0, count: self.width * self.height * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = fill.r
            pixels[i + 1] = fill.g
            pixels[i + 2] = fill.b
        }
        self.pixels = pixels
    }

    /// Internal: callers guarantee the size invariant.
    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3,
                     "RGBImage size invariant broken: \(width)×\(height), \(pixels.count) bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixel at column `x`, row `y` (both zero-based, `y` = 0 is the top row).
    public subscript(x: Int, y: Int) -> RGB {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = (y * width + x) * 3
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = (y * width + x) * 3
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    /// "W×H", for messages.
    public var sizeDescription: String { "\(width)×\(height)" }
}

/// One 8-bit RGB colour.
public struct RGB: Sendable, Equatable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
}
