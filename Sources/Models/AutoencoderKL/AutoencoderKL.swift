// diffusers `AutoencoderKL` (models/autoencoders/autoencoder_kl.py, diffusers 0.42.1) with
// `DiagonalGaussianDistribution` (vae.py): the SD image VAE, and the way
// TextToVideoSDPipeline (ModelScope, zeroscope) and AnimateDiffPipeline apply it to video
// latents `[B, C, F, H, W]`: frames folded into the batch (`b·F + f`), decoded image by image,
// unfolded again (§12). The VAE has no cross-frame op, so any chunking gives the same frames.
//
// Per call, `AutoencoderKLOptions` chooses slicing (diffusers `enable_slicing`: a few images per
// encoder / decoder run, so working memory does not grow with the batch or the frame count)
// and tiling (`enable_tiling`: overlapping tiles blended linearly, AutoencoderKLTiling.swift).
// The model itself is immutable and shared.
import Foundation
import TensorCore
import WeightsIO

/// How one `AutoencoderKL` call splits its work. Slicing never changes the numbers beyond
/// float rounding; tiling changes them (each tile is encoded or decoded on its own, then
/// blended), exactly as diffusers' tiled path does.
public struct AutoencoderKLOptions: Sendable, Equatable {
    /// Images per encoder / decoder run (diffusers `enable_slicing` is 1); nil runs the whole
    /// batch at once (diffusers' default). For video, images are frames (`B·F` of them).
    public var sliceSize: Int?
    /// Tile sizes when tiling (diffusers `enable_tiling`); nil for no tiling. As in diffusers,
    /// an input no larger than one tile is processed whole even when tiling is on.
    public var tiling: AutoencoderKLTiling?

    /// Options with `sliceSize` images per run (default 1, one frame at a time) and no tiling.
    public init(sliceSize: Int? = 1, tiling: AutoencoderKLTiling? = nil) {
        self.sliceSize = sliceSize
        self.tiling = tiling
    }
}

/// The SD VAE: images `[N, 3, H, W]` in [-1, 1] ↔ latents `[N, z, H/s, W/s]` (z = 4, s = 8 for SD).
public struct AutoencoderKL: Sendable {
    public let config: AutoencoderKLConfig
    let encoder: KLEncoder
    /// 1×1, 2z → 2z (`use_quant_conv`).
    let quantConv: Conv2d?
    /// 1×1, z → z (`use_post_quant_conv`).
    let postQuantConv: Conv2d?
    let decoder: KLDecoder

    /// Key spellings of diffusers-format VAEs saved before ~v0.14 (`query`, `key`, `value`,
    /// `proj_attn` in the mid-block attention), mapped as diffusers'
    /// `_convert_deprecated_attention_blocks` does on load. `load(folder:)` applies them.
    public static let legacyAttentionKeyRenames: [KeyRenameRule] = [
        .replaceSubstring(".attentions.0.query.", with: ".attentions.0.to_q."),
        .replaceSubstring(".attentions.0.key.", with: ".attentions.0.to_k."),
        .replaceSubstring(".attentions.0.value.", with: ".attentions.0.to_v."),
        .replaceSubstring(".attentions.0.proj_attn.", with: ".attentions.0.to_out.0."),
    ]

    /// Builds the VAE from `weights` (keys `encoder.…`, `quant_conv.…`, `post_quant_conv.…`,
    /// `decoder.…`), shape-checking every tensor. For strict loading (no unused keys) use
    /// `load(config:store:)`, or build inside `WeightStore.load`.
    public init(config: AutoencoderKLConfig, weights: some WeightSource) throws {
        try config.validate()
        self.config = config
        let z = config.latentChannels
        encoder = try KLEncoder(weights.scoped("encoder."), config: config)
        quantConv = config.useQuantConv
            ? try Conv2d(weights.scoped("quant_conv."), inChannels: 2 * z, outChannels: 2 * z, kernel: 1, padding: .zero)
            : nil
        postQuantConv = config.usePostQuantConv
            ? try Conv2d(weights.scoped("post_quant_conv."), inChannels: z, outChannels: z, kernel: 1, padding: .zero)
            : nil
        decoder = try KLDecoder(weights.scoped("decoder."), config: config)
    }

    /// Builds the VAE with strict loading: throws one `StrictLoadError` listing every missing,
    /// unused or mis-shaped key of `store`, with the file each came from.
    public static func load(config: AutoencoderKLConfig, store: WeightStore) throws -> AutoencoderKL {
        try store.load { try AutoencoderKL(config: config, weights: $0) }
    }

    /// Loads a diffusers component folder (`vae/`: `config.json` + safetensors), strictly,
    /// accepting the legacy attention key spellings (`legacyAttentionKeyRenames`).
    public static func load(folder: URL, variant: String? = nil) throws -> AutoencoderKL {
        let config = try ConfigDecoding.decode(AutoencoderKLConfig.self, from: folder.appendingPathComponent("config.json"))
        let store = try WeightStore(folder: folder, variant: variant, renames: legacyAttentionKeyRenames)
        return try load(config: config, store: store)
    }

    // MARK: Images

    /// Encodes images to the posterior's mean and log-variance (diffusers
    /// `encode(x).latent_dist.mean / .logvar`; the log-variance is clamped to [-30, 20]).
    ///
    /// - `images: [N, in_channels, H, W]` in [-1, 1], any H and W (odd sides are padded on the
    ///   right / bottom before each stride-2 conv, as diffusers does).
    /// - returns `mean`, `logvar`: `[N, z, h, w]`, `h = ⌈H / s⌉` level by level.
    /// - `cancellation` is checked before every slice or tile; `progress(done, total)` is called
    ///   after each one.
    public func encode(_ images: Tensor, options: AutoencoderKLOptions = AutoencoderKLOptions(),
                       cancellation: CancellationFlag? = nil,
                       progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> (mean: Tensor, logvar: Tensor) {
        // images: [N, C, H, W]
        try requireShape(images, rank: 4, channels: config.inChannels, what: "images", layout: "[N, \(config.inChannels), H, W]")
        let N = images.shape[0]
        var means: [Tensor] = [], logvars: [Tensor] = []
        try forEachSlice(count: N, options: options, plane: (images.shape[2], images.shape[3]), encoding: true,
                         cancellation: cancellation, progress: progress) { range, onUnit in
            let (mean, logvar) = try encodeSlice(images.narrowed(axis: 0, start: range.lowerBound, length: range.count),
                                                 tiling: options.tiling, cancellation: cancellation, onUnit: onUnit)
            means.append(mean)
            logvars.append(logvar)
        }
        return (joined(means), joined(logvars))
    }

    /// Decodes latents (already divided by `scaling_factor`, see `denormalize(_:)`) to images
    /// (diffusers `decode(z).sample`; not clamped).
    ///
    /// - `latents: [N, z, h, w]` → `[N, out_channels, h·s, w·s]`.
    /// - `cancellation` is checked before every slice or tile; `progress(done, total)` is called
    ///   after each one.
    public func decode(_ latents: Tensor, options: AutoencoderKLOptions = AutoencoderKLOptions(),
                       cancellation: CancellationFlag? = nil,
                       progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> Tensor {
        // latents: [N, z, h, w]
        try requireShape(latents, rank: 4, channels: config.latentChannels, what: "latents",
                         layout: "[N, \(config.latentChannels), h, w]")
        var outputs: [Tensor] = []
        try forEachSlice(count: latents.shape[0], options: options, plane: (latents.shape[2], latents.shape[3]),
                         encoding: false, cancellation: cancellation, progress: progress) { range, onUnit in
            outputs.append(try decodeSlice(latents.narrowed(axis: 0, start: range.lowerBound, length: range.count),
                                           tiling: options.tiling, cancellation: cancellation, onUnit: onUnit))
        }
        return joined(outputs)
    }

    // MARK: Video (frame by frame)

    /// Encodes a video frame by frame: `video: [B, in_channels, F, H, W]` → `mean`, `logvar`
    /// `[B, z, F, h, w]`. Frames are taken `options.sliceSize` at a time (in `b·F + f` order),
    /// so working memory does not grow with F; `progress` counts slices (× tiles).
    public func encodeVideo(_ video: Tensor, options: AutoencoderKLOptions = AutoencoderKLOptions(),
                            cancellation: CancellationFlag? = nil,
                            progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> (mean: Tensor, logvar: Tensor) {
        // video: [B, C, F, H, W]
        try requireShape(video, rank: 5, channels: config.inChannels, what: "video",
                         layout: "[B, \(config.inChannels), F, H, W]")
        let B = video.shape[0], F = video.shape[2]
        var mean: Tensor?, logvar: Tensor?
        try forEachSlice(count: B * F, options: options, plane: (video.shape[3], video.shape[4]), encoding: true,
                         cancellation: cancellation, progress: progress) { range, onUnit in
            let frames = video.gatheringFrames(range)                          // [n, C, H, W]
            let (m, l) = try encodeSlice(frames, tiling: options.tiling, cancellation: cancellation, onUnit: onUnit)
            if mean == nil {
                mean = Tensor(zeros: [B, m.shape[1], F, m.shape[2], m.shape[3]])
                logvar = mean
            }
            mean?.scatterFrames(m, range)
            logvar?.scatterFrames(l, range)
        }
        guard let mean, let logvar else {
            throw AutoencoderKLInputError.badShape(what: "video", shape: video.shape, expected: "at least one frame")
        }
        return (mean, logvar)
    }

    /// Decodes video latents frame by frame, as TextToVideoSDPipeline / AnimateDiffPipeline
    /// `decode_latents` do after unscaling (see `denormalize(_:)`):
    /// `latents: [B, z, F, h, w]` → video `[B, out_channels, F, h·s, w·s]` (not clamped).
    /// Frames are decoded `options.sliceSize` at a time (in `b·F + f` order) and written into
    /// the output, so working memory does not grow with F; `progress` counts slices (× tiles).
    public func decodeVideo(_ latents: Tensor, options: AutoencoderKLOptions = AutoencoderKLOptions(),
                            cancellation: CancellationFlag? = nil,
                            progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> Tensor {
        // latents: [B, z, F, h, w]
        try requireShape(latents, rank: 5, channels: config.latentChannels, what: "latents",
                         layout: "[B, \(config.latentChannels), F, h, w]")
        let B = latents.shape[0], F = latents.shape[2]
        var video: Tensor?
        try forEachSlice(count: B * F, options: options, plane: (latents.shape[3], latents.shape[4]), encoding: false,
                         cancellation: cancellation, progress: progress) { range, onUnit in
            let images = try decodeSlice(latents.gatheringFrames(range), tiling: options.tiling,
                                         cancellation: cancellation, onUnit: onUnit)     // [n, out, H, W]
            if video == nil { video = Tensor(zeros: [B, images.shape[1], F, images.shape[2], images.shape[3]]) }
            video?.scatterFrames(images, range)
        }
        guard let video else {
            throw AutoencoderKLInputError.badShape(what: "latents", shape: latents.shape, expected: "at least one frame")
        }
        return video
    }

    // MARK: Latent scaling (the pipelines' decode_latents / prepare_latents)

    /// Posterior latents → the diffusion model's space: `z · scaling_factor`, or
    /// `(z − shift_factor) · scaling_factor` when the config has a shift. Any shape.
    public func normalize(mean: Tensor) -> Tensor {
        let scale = Float(config.scalingFactor)
        guard let shift = config.shiftFactor else { return mean * scale }
        return (mean - Float(shift)) * scale
    }

    /// Model-space latents → decoder input, as the pipelines compute it: `1 / scaling_factor · z`
    /// (TextToVideoSD / AnimateDiff `decode_latents`; the reciprocal is taken in Double and
    /// rounded to Float, as torch does with a Python scalar), or `z / scaling_factor + shift_factor`
    /// when the config has a shift (SD3 / Flux pipelines). Any shape.
    public func denormalize(_ latents: Tensor) -> Tensor {
        guard let shift = config.shiftFactor else { return latents * Float(1 / config.scalingFactor) }
        return latents / Float(config.scalingFactor) + Float(shift)
    }

    // MARK: Slices

    /// Encoder (+ quant_conv) on one slice, tiled when `tiling` applies (diffusers `_encode`),
    /// then `DiagonalGaussianDistribution`'s split and clamp.
    func encodeSlice(_ images: Tensor, tiling: AutoencoderKLTiling?, cancellation: CancellationFlag?,
                     onUnit: () throws -> Void) throws -> (mean: Tensor, logvar: Tensor) {
        // images: [n, C, H, W]
        let moments: Tensor
        if let tiling, tiling.applies(toHeight: images.shape[2], width: images.shape[3], sample: true) {
            moments = try tiledEncode(images, tiling: tiling, cancellation: cancellation, onTile: onUnit)
        } else {
            try cancellation?.check()
            moments = try encodeTile(images)
            try onUnit()
        }
        // moments: [n, 2z, h, w] -> mean, logvar: [n, z, h, w]
        let z = config.latentChannels
        let mean = moments.narrowed(axis: 1, start: 0, length: z)
        let logvar = moments.narrowed(axis: 1, start: z, length: z).clamped(min: -30, max: 20)
        return (mean, logvar)
    }

    /// (post_quant_conv +) decoder on one slice, tiled when `tiling` applies (diffusers `_decode`).
    func decodeSlice(_ latents: Tensor, tiling: AutoencoderKLTiling?, cancellation: CancellationFlag?,
                     onUnit: () throws -> Void) throws -> Tensor {
        // latents: [n, z, h, w]
        if let tiling, tiling.applies(toHeight: latents.shape[2], width: latents.shape[3], sample: false) {
            return try tiledDecode(latents, tiling: tiling, cancellation: cancellation, onTile: onUnit)
        }
        try cancellation?.check()
        let images = try decodeTile(latents)
        try onUnit()
        return images
    }

    /// images: [n, C, H, W] -> moments [n, 2z, h, w] (encoder, then quant_conv if any).
    func encodeTile(_ images: Tensor) throws(TensorShapeError) -> Tensor {
        let h = try encoder(images)
        return quantConv.map { $0(h) } ?? h
    }

    /// latents: [n, z, h, w] -> images [n, out, h·s, w·s] (post_quant_conv if any, then decoder).
    func decodeTile(_ latents: Tensor) throws(TensorShapeError) -> Tensor {
        try decoder(postQuantConv.map { $0(latents) } ?? latents)
    }

    /// Runs `body` on consecutive index ranges of `count` images, `options.sliceSize` at a time,
    /// handing it a callback to call after each unit of work (a slice, or a tile of one), which
    /// reports `progress(done, total)`.
    private func forEachSlice(count: Int, options: AutoencoderKLOptions, plane: (Int, Int), encoding: Bool,
                              cancellation: CancellationFlag?, progress: ((Int, Int) -> Void)?,
                              _ body: (Range<Int>, () throws -> Void) throws -> Void) throws {
        let size = options.sliceSize ?? count
        guard size > 0 else {
            throw AutoencoderKLInputError.badOption(name: "sliceSize", value: String(size), reason: "must be positive")
        }
        let tilesPerSlice: Int
        if let tiling = options.tiling {
            try tiling.validate()
            tilesPerSlice = tiling.applies(toHeight: plane.0, width: plane.1, sample: encoding)
                ? tiling.tileCount(height: plane.0, width: plane.1, sample: encoding) : 1
        } else {
            tilesPerSlice = 1
        }
        let total = (count + size - 1) / size * tilesPerSlice
        var done = 0
        for start in stride(from: 0, to: count, by: size) {
            try body(start..<min(start + size, count)) {
                done += 1
                progress?(done, total)
            }
        }
    }

    private func requireShape(_ x: Tensor, rank: Int, channels: Int, what: String, layout: String) throws {
        guard x.rank == rank, x.shape[1] == channels, x.shape.allSatisfy({ $0 > 0 }) else {
            throw AutoencoderKLInputError.badShape(what: what, shape: x.shape, expected: "\(layout) with non-zero sizes")
        }
    }

    private func joined(_ parts: [Tensor]) -> Tensor {
        parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0)
    }
}

extension Tensor {
    /// Images `range` of `self [B, C, F, H, W]` in `b·F + f` order (the pipelines'
    /// `permute(0, 2, 1, 3, 4).reshape(B·F, C, H, W)`), as `[range.count, C, H, W]`.
    fileprivate func gatheringFrames(_ range: Range<Int>) -> Tensor {
        let C = shape[1], F = shape[2], plane = shape[3] * shape[4]
        return Tensor(shape: [range.count, C, shape[3], shape[4]]) { out in
            data.withUnsafeBufferPointer { src in
                for (k, index) in range.enumerated() {
                    let b = index / F, f = index % F
                    for c in 0..<C {
                        (out.baseAddress! + (k * C + c) * plane)
                            .update(from: src.baseAddress! + ((b * C + c) * F + f) * plane, count: plane)
                    }
                }
            }
        }
    }

    /// Writes `images [range.count, C, H, W]` into frames `range` (in `b·F + f` order) of
    /// `self [B, C, F, H, W]`; the inverse of `gatheringFrames`.
    fileprivate mutating func scatterFrames(_ images: Tensor, _ range: Range<Int>) {
        let C = shape[1], F = shape[2], plane = shape[3] * shape[4]
        precondition(images.shape == [range.count, C, shape[3], shape[4]],
                     "AutoencoderKL: frames \(images.shape) do not fit video \(shape)")
        data.withUnsafeMutableBufferPointer { out in
            images.data.withUnsafeBufferPointer { src in
                for (k, index) in range.enumerated() {
                    let b = index / F, f = index % F
                    for c in 0..<C {
                        (out.baseAddress! + ((b * C + c) * F + f) * plane)
                            .update(from: src.baseAddress! + (k * C + c) * plane, count: plane)
                    }
                }
            }
        }
    }
}
