// diffusers `AutoencoderKLWan` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1):
// the Wan 2.1 causal video VAE, 4× in time and 8× in space, z = 16, and the
// Wan 2.2 TI2V one (`is_residual`, `patch_size` 2: 4× in time, 16× in space, z = 48), whose
// video is folded 2×2 into channels (`patchify`) before the encoder and unfolded after the
// decoder (`unpatchify`).
//
// The encoder runs on the first frame, then on chunks of 4 frames; the decoder runs one
// latent frame at a time. Between chunks a `WanCausalCache` carries the last frames every
// causal conv saw; it belongs to the call, so the model itself is immutable and shared.
import Foundation
import TensorCore
import WeightsIO

/// The Wan VAE: video `[B, 3, 1 + 4k, H, W]` in [-1, 1] ↔ latents `[B, z, 1 + k, H/s, W/s]`
/// (Wan 2.1: z = 16, s = 8; Wan 2.2 TI2V: z = 48, s = 16).
public struct AutoencoderKLWan: Sendable {
    /// Pixel frames per encoder chunk after the first frame (diffusers' `_encode` loop).
    public static let encodeChunkFrames = 4

    public let config: WanVAEConfig
    let encoder: WanEncoder3d
    /// 1×1×1, 2z → 2z.
    let quantConv: WanCausalConv3d
    /// 1×1×1, z → z.
    let postQuantConv: WanCausalConv3d
    let decoder: WanDecoder3d
    /// `[1, z, 1, 1, 1]` per-channel latent statistics.
    let latentsMean: Tensor
    let latentsStd: Tensor
    let latentsInverseStd: Tensor

    /// Builds the VAE from `weights` (keys `encoder.…`, `quant_conv.…`, `post_quant_conv.…`,
    /// `decoder.…`), shape-checking every tensor. For strict loading (no unused keys) use
    /// `load(config:store:)`, or build inside `WeightStore.load`.
    public init(config: WanVAEConfig, weights: some WeightSource) throws {
        try config.validate()
        self.config = config
        let z = config.zDim
        encoder = try WanEncoder3d(weights.scoped("encoder."), config: config)
        quantConv = try WanCausalConv3d(weights.scoped("quant_conv."), inChannels: 2 * z, outChannels: 2 * z,
                                        kernel: (1, 1, 1))
        postQuantConv = try WanCausalConv3d(weights.scoped("post_quant_conv."), inChannels: z, outChannels: z,
                                            kernel: (1, 1, 1))
        decoder = try WanDecoder3d(weights.scoped("decoder."), config: config)
        latentsMean = Tensor(shape: [1, z, 1, 1, 1], data: config.latentsMean)
        latentsStd = Tensor(shape: [1, z, 1, 1, 1], data: config.latentsStd)
        latentsInverseStd = Tensor(shape: [1, z, 1, 1, 1], data: config.latentsStd.map { 1 / $0 })
    }

    /// Builds the VAE with strict loading: throws one `StrictLoadError` listing every
    /// missing, unused or mis-shaped key of `store`.
    public static func load(config: WanVAEConfig, store: WeightStore) throws -> AutoencoderKLWan {
        try store.load { try AutoencoderKLWan(config: config, weights: $0) }
    }

    /// Loads a diffusers component folder (`vae/`: `config.json` + safetensors), strictly.
    public static func load(folder: URL) throws -> AutoencoderKLWan {
        let config = try ConfigDecoding.decode(WanVAEConfig.self, from: folder.appendingPathComponent("config.json"))
        return try load(config: config, store: WeightStore(folder: folder))
    }

    // MARK: Shapes

    /// Latent frames for `frames` pixel frames (`1 + (frames − 1) / 4 · (4 / scale_factor_temporal)`).
    public func latentFrameCount(forVideoFrames frames: Int) -> Int {
        let chunks = (frames - 1) / Self.encodeChunkFrames
        return 1 + chunks * (Self.encodeChunkFrames / config.scaleFactorTemporal)
    }

    /// Pixel frames decoded from `latentFrames` latent frames: `1 + scale_factor_temporal · (F − 1)`.
    public func videoFrameCount(forLatentFrames latentFrames: Int) -> Int {
        1 + config.scaleFactorTemporal * (latentFrames - 1)
    }

    // MARK: Encode

    /// Encodes a video to the posterior's mean and log-variance (diffusers
    /// `encode(x).latent_dist.mean / .logvar`; the log-variance is clamped to [-30, 20]).
    ///
    /// - `video: [B, 3, F, H, W]` in [-1, 1] with `F = 1 + 4k`; other frame counts throw
    ///   `WanVAEInputError.invalidFrameCount`. With `patch_size`, H and W must be multiples of
    ///   it; the residual VAE also needs multiples of `scale_factor_spatial` (its `AvgDown3D`
    ///   shortcuts fold 2×2 blocks at every level).
    /// - returns `mean`, `logvar`: `[B, z, 1 + k, H/s, W/s]` with `s = scale_factor_spatial`.
    /// - `cancellation` is checked before every chunk (`CancelledError`).
    public func encode(_ video: Tensor, cancellation: CancellationFlag? = nil) throws -> (mean: Tensor, logvar: Tensor) {
        // video: [B, 3, F, H, W]
        guard video.rank == 5, video.shape[1] == config.videoInChannels, video.shape.allSatisfy({ $0 > 0 }) else {
            throw WanVAEInputError.badShape(what: "video", shape: video.shape,
                                            expected: "[B, \(config.videoInChannels), 1 + 4k, H, W] with non-zero sizes")
        }
        let multiple = config.isResidual ? config.scaleFactorSpatial : config.patch
        guard video.shape[3] % multiple == 0, video.shape[4] % multiple == 0 else {
            throw WanVAEInputError.badShape(what: "video", shape: video.shape,
                                            expected: "H and W multiples of \(multiple) for this VAE"
                                                + " (patch_size \(config.patch), is_residual \(config.isResidual))")
        }
        let input = video.patchified(config.patch)                           // [B, C_in, F, H/p, W/p]
        let frames = video.shape[2]
        let step = Self.encodeChunkFrames
        guard (frames - 1) % step == 0 else {
            let below = 1 + (frames - 1) / step * step
            throw WanVAEInputError.invalidFrameCount(frames: frames, valid: [below, below + step])
        }
        var cache = WanCausalCache()
        var outputs: [Tensor] = []
        var start = 0
        while start < frames {
            try cancellation?.check()
            let length = start == 0 ? 1 : step
            outputs.append(try encoder(input.narrowed(axis: 2, start: start, length: length), cache: &cache))
            start += length
        }
        // h: [B, 2z, F', h, w]
        let h = quantConv(outputs.count == 1 ? outputs[0] : Tensor.concatenate(outputs, axis: 2))
        let z = config.zDim
        let mean = h.narrowed(axis: 1, start: 0, length: z)
        let logvar = h.narrowed(axis: 1, start: z, length: z).clamped(min: -30, max: 20)
        return (mean, logvar)
    }

    // MARK: Decode

    /// Decodes latents (already denormalised, see `denormalize(_:)`) to a video clamped to
    /// [-1, 1] (diffusers `decode(z).sample`).
    ///
    /// - `latents: [B, z, F, h, w]` → `[B, 3, 1 + 4(F − 1), s·h, s·w]` (scale factors from the config).
    /// - One latent frame is decoded at a time through the causal cache, so working memory
    ///   does not grow with the clip length (only the output does).
    /// - `cancellation` is checked before every latent frame (`CancelledError`);
    ///   `progress(done, total)` is called after each one.
    public func decode(_ latents: Tensor, cancellation: CancellationFlag? = nil,
                       progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> Tensor {
        // latents: [B, z, F, h, w]
        guard latents.rank == 5, latents.shape[1] == config.zDim, latents.shape.allSatisfy({ $0 > 0 }) else {
            throw WanVAEInputError.badShape(what: "latents", shape: latents.shape,
                                            expected: "[B, \(config.zDim), F, h, w] with non-zero sizes")
        }
        let B = latents.shape[0], F = latents.shape[2]
        let scale = config.scaleFactorSpatial
        let outShape = [B, config.videoOutChannels, videoFrameCount(forLatentFrames: F),
                        latents.shape[3] * scale, latents.shape[4] * scale]
        var video = Tensor(zeros: outShape)
        var cache = WanCausalCache()
        var written = 0
        for frame in 0..<F {
            try cancellation?.check()
            // post_quant_conv is pointwise, so it runs per chunk too.
            let z = postQuantConv(latents.narrowed(axis: 2, start: frame, length: 1))   // [B, z, 1, h, w]
            let chunk = try decoder(z, cache: &cache, firstChunk: frame == 0)                // [B, C_out, f, H/p, W/p]
                .unpatchified(config.patch)                                                  // [B, 3, f, H, W]
            precondition(Array(chunk.shape[...1]) == Array(outShape[...1])
                          && Array(chunk.shape[3...]) == Array(outShape[3...])
                          && written + chunk.shape[2] <= outShape[2],
                          "AutoencoderKLWan decode: chunk \(chunk.shape) does not fit output \(outShape) at frame \(written)")
            video.writeFrames(chunk, at: written)
            written += chunk.shape[2]
            progress?(frame + 1, F)
        }
        precondition(written == outShape[2], "AutoencoderKLWan decode: wrote \(written) of \(outShape[2]) frames")
        video.clampInPlace(min: -1, max: 1)
        return video
    }

    // MARK: Latent normalisation (diffusers 0.42.1 pipelines/wan/pipeline_wan.py `WanPipeline.__call__`)

    /// Posterior mean → model space: `(μ − mean_c) / std_c` per channel (as the Wan
    /// pipelines compute it, `(μ − mean_c) · (1 / std_c)`). `mean: [B, z, F, h, w]`.
    public func normalize(mean: Tensor) throws(TensorShapeError) -> Tensor {
        try (mean - latentsMean) * latentsInverseStd
    }

    /// Model space → decoder input: `z · std_c + mean_c` per channel. `latents: [B, z, F, h, w]`.
    public func denormalize(_ latents: Tensor) throws(TensorShapeError) -> Tensor {
        try latents * latentsStd + latentsMean
    }
}

extension Tensor {
    /// diffusers `patchify`: `[B, C, F, H, W] → [B, C·p·p, F, H/p, W/p]`, channel `c·p² + j·p + i`
    /// holding pixel (row `i`, column `j`) of each p×p block. The identity for `p = 1`.
    fileprivate func patchified(_ p: Int) -> Tensor {
        guard p > 1 else { return self }
        let B = shape[0], C = shape[1], F = shape[2], h = shape[3] / p, w = shape[4] / p
        return reshaped([B, C, F, h, p, w, p])
            .permuted([0, 1, 6, 4, 2, 3, 5])                                   // [B, C, p(w), p(h), F, h, w]
            .reshaped([B, C * p * p, F, h, w])
    }

    /// diffusers `unpatchify`, the inverse of `patchified`: `[B, C·p·p, F, h, w] → [B, C, F, h·p, w·p]`.
    fileprivate func unpatchified(_ p: Int) -> Tensor {
        guard p > 1 else { return self }
        let B = shape[0], C = shape[1] / (p * p), F = shape[2], h = shape[3], w = shape[4]
        return reshaped([B, C, p, p, F, h, w])
            .permuted([0, 1, 4, 5, 3, 6, 2])                                   // [B, C, F, h, p(h), w, p(w)]
            .reshaped([B, C, F, h * p, w * p])
    }

    /// Copies `chunk [B, C, f, H, W]` into frames `start ..< start + f` of `self [B, C, F, H, W]`.
    fileprivate mutating func writeFrames(_ chunk: Tensor, at start: Int) {
        let F = shape[2], f = chunk.shape[2]
        let frame = shape[3] * shape[4]
        let planes = shape[0] * shape[1]
        data.withUnsafeMutableBufferPointer { out in
            chunk.data.withUnsafeBufferPointer { src in
                for plane in 0..<planes {
                    (out.baseAddress! + (plane * F + start) * frame)
                        .update(from: src.baseAddress! + plane * f * frame, count: f * frame)
                }
            }
        }
    }
}
