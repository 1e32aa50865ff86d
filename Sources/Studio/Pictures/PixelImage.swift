import Foundation

/// A small RGB picture (row-major RGB8).
public struct PixelImage: Hashable, Sendable {
    public var width: Int
    public var height: Int
    public var rgb: [UInt8]

    public init(width: Int, height: Int, rgb: [UInt8]) {
        precondition(rgb.count == width * height * 3, "rgb must hold width*height*3 bytes")
        self.width = width
        self.height = height
        self.rgb = rgb
    }

    /// The pixel at (x, y) as (r, g, b).
    @inline(__always)
    public func pixel(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (rgb[i], rgb[i + 1], rgb[i + 2])
    }
}
