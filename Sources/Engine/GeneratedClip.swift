import Foundation

/// A clip a model produced.
public struct GeneratedClip: Sendable {
    public var width: Int
    public var height: Int
    /// `[frames, height, width, 3]` floats in [0, 1], as diffusers returns with `output_type="np"`.
    public var video: [Float]
    public var frameCount: Int

    public init(width: Int, height: Int, frameCount: Int, video: [Float]) {
        self.width = width
        self.height = height
        self.frameCount = frameCount
        self.video = video
    }

    /// RGB8 frames, rounding as diffusers' `numpy_to_pil` does: `(x * 255).round()`.
    public var rgbFrames: [[UInt8]] {
        let n = width * height * 3
        return (0..<frameCount).map { f in
            let base = f * n
            return (0..<n).map { i in
                let v = (video[base + i] * 255).rounded(.toNearestOrEven)
                return UInt8(max(0, min(255, v)))
            }
        }
    }
}
