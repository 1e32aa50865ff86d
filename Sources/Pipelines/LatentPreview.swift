// Cheap previews: the predicted clean latent projected to RGB by a per-model linear map
// (C latent channels → RGB, plus a bias), fitted by least squares against real VAE decodes
// (tools/train/train.py `export` writes it as `latent_preview.json` in the model folder).
import Foundation
import TensorCore
import RegularFiles

/// A linear map from latent channels to RGB in [-1, 1].
public struct LatentRGBProjection: Sendable, Equatable, Codable {
    /// `[3][C]`: row r gives the weight of each latent channel for colour r.
    public var weights: [[Float]]
    /// `[3]`.
    public var bias: [Float]
    /// A causal VAE codes its first latent frame from one image and every later one from
    /// several, so the two kinds of frame have different codes: when given, this map
    /// (`first_frame` in the file) is used for latent frame 0 and the main one for the rest.
    public var firstFrame: FrameMap?

    /// One linear map: `weights` `[3][C]`, `bias` `[3]`.
    public struct FrameMap: Sendable, Equatable, Codable {
        public var weights: [[Float]]
        public var bias: [Float]

        public init(weights: [[Float]], bias: [Float]) {
            self.weights = weights
            self.bias = bias
        }

        /// Three rows of `channels` weights and three biases.
        func fits(channels: Int) -> Bool {
            weights.count == 3 && bias.count == 3 && weights.allSatisfy { $0.count == channels }
        }
    }

    enum CodingKeys: String, CodingKey {
        case weights, bias
        case firstFrame = "first_frame"
    }

    public init(weights: [[Float]], bias: [Float], firstFrame: FrameMap? = nil) {
        self.weights = weights
        self.bias = bias
        self.firstFrame = firstFrame
    }

    /// The map of every latent frame after the first (and of the first when it has none).
    var main: FrameMap { FrameMap(weights: weights, bias: bias) }

    /// The file name of the fitted map inside a model folder.
    public static let fileName = "latent_preview.json"

    /// The map stored in `folder`, or nil when the folder has none (or it does not fit `channels`).
    public static func load(folder: URL, channels: Int) -> LatentRGBProjection? {
        let url = folder.appendingPathComponent(fileName)
        guard let data = try? RegularFile.contents(of: url),
              let map = try? JSONDecoder().decode(LatentRGBProjection.self, from: data),
              map.main.fits(channels: channels), map.firstFrame?.fits(channels: channels) ?? true
        else { return nil }
        return map
    }

    /// A stand-in when no fitted map exists: the first three channels, scaled down (shows
    /// structure and motion, not true colours).
    public static func fallback(channels: Int) -> LatentRGBProjection {
        let weights = (0..<3).map { r in (0..<channels).map { c in c == r % channels ? Float(0.5) : 0 } }
        return LatentRGBProjection(weights: weights, bias: [0, 0, 0])
    }

    /// latents `[1, C, F, h, w]` → the preview picture: one frame of `h × w` per latent frame.
    public func previewFrames(_ latents: Tensor) -> LatentPreviewFrames {
        LatentPreviewFrames(width: latents.shape[4], height: latents.shape[3], frames: frames(latents))
    }

    /// latents `[1, C, F, h, w]` → one RGB8 frame of `h × w` per latent frame.
    public func frames(_ latents: Tensor) -> [[UInt8]] {
        let (c, f, h, w) = (latents.shape[1], latents.shape[2], latents.shape[3], latents.shape[4])
        let plane = h * w
        return latents.data.withUnsafeBufferPointer { x in
            (0..<f).map { frame in
                let map = frame == 0 ? firstFrame ?? main : main
                var out = [UInt8](repeating: 0, count: plane * 3)
                for p in 0..<plane {
                    for r in 0..<3 {
                        var v = map.bias[r]
                        for ch in 0..<c { v += map.weights[r][ch] * x[(ch * f + frame) * plane + p] }
                        let unit = Swift.min(1, Swift.max(0, v / 2 + 0.5))
                        out[p * 3 + r] = UInt8((unit * 255).rounded())
                    }
                }
                return out
            }
        }
    }
}
