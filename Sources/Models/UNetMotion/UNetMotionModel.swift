// diffusers 0.42.1 models/unets/unet_motion_model.py `UNetMotionModel` (AnimateDiff), as
// `UNetMotionModel.from_unet2d(unet, motion_adapter)` builds it from an SD-1.5 `UNet2DConditionModel`
// (models/unets/unet_2d_condition.py, blocks of unet_2d_blocks.py) and a `MotionAdapter`, with its blocks
// `CrossAttnDownBlockMotion` / `DownBlockMotion`, `UNetMidBlockCrossAttnMotion` (or, without a motion mid
// block, `UNetMidBlock2DCrossAttn`), `CrossAttnUpBlockMotion` / `UpBlockMotion` (MODELS.md §10.2):
//   emb  = time_embedding(Timesteps(C0, flip_sin_to_cos=True, shift=0)(t)).repeat_interleave(F)   [B·F, 4·C0]
//   x    = sample [B, C, F, H, W] → [B·F, C, H, W] → conv_in           frames folded into the batch, b·F + f
//   down : per layer resnet → attn (Transformer2DModel, text cross-attention) → motion module; Downsample2D
//   mid  : resnet0 → attn → motion module → resnet1
//   up   : per layer cat(skip) → resnet → attn → motion module; Upsample2D (forced to the skip's size)
//   out  : GroupNorm → SiLU → conv_out → [B, C_out, F, H, W]
// `encoder_hidden_states` is [B·F, L, D]: the pipeline repeats the prompt per frame, the UNet does not.
// Motion modules are `TransformerTemporalModel` (= diffusers' `AnimateDiffTransformer3D`) with sinusoidal
// positions; they are the only layers that mix frames. Without a MotionAdapter the model is the plain
// UNet2DConditionModel applied to each frame (a text-to-image model on F independent images).
// FreeU, attention masks, ControlNet residuals, IP-adapters and PIA's conv_in are not ported.
import Foundation
import TensorCore
import WeightsIO

/// One layer of a motion block: resnet → spatial transformer (cross-attention blocks) → motion module.
struct UNetMotionLayer: Sendable {
    let resnet: ResnetBlock2D
    let attention: Transformer2DModel?
    let motion: TransformerTemporalModel?

    /// x: [B·F, Cin, H, W], temb: [B·F, temb], text: [B·F, L, D] -> [B·F, C, H, W]
    func callAsFunction(_ x: Tensor, temb: Tensor, text: Tensor, frames: Int) throws(TensorShapeError) -> Tensor {
        var h = try resnet(x, temb: temb)
        if let attention { h = try attention(h, encoderHiddenStates: text) }
        if let motion { h = try motion(h, frames: frames) }
        return h
    }
}

/// Builds the layers of `UNetMotionModel` from the UNet weights and (optionally) the motion weights.
struct UNetMotionBuilder {
    let config: UNet2DConditionConfig
    let motion: MotionModuleConfig?
    let unet: any WeightSource
    let adapter: (any WeightSource)?

    func resnet(_ prefix: String, inChannels: Int, outChannels: Int, scale: Float = 1) throws -> ResnetBlock2D {
        try ResnetBlock2D(unet.scoped(prefix), inChannels: inChannels, outChannels: outChannels,
                          tembChannels: config.timeEmbedDim, groups: config.normNumGroups, eps: config.normEps,
                          activation: config.activation, outputScaleFactor: scale)
    }

    /// `Transformer2DModel(n, C // n, in_channels=C, num_layers, cross_attention_dim, norm_num_groups, …)`.
    func attention(_ prefix: String, channels C: Int, heads n: Int, layers: Int) throws -> Transformer2DModel {
        try Transformer2DModel(unet.scoped(prefix), numAttentionHeads: n, attentionHeadDim: C / n, inChannels: C,
                               numLayers: layers, crossAttentionDim: config.crossAttentionDim,
                               normNumGroups: config.normNumGroups, useLinearProjection: config.useLinearProjection)
    }

    /// `AnimateDiffTransformer3D(heads, C // heads, C, norm_num_groups = the UNet's, max_seq_length)`, or
    /// nil without motion weights.
    func motionModule(_ prefix: String, channels C: Int, heads: Int, layers: Int) throws -> TransformerTemporalModel? {
        guard let adapter, let motion else { return nil }
        return try TransformerTemporalModel(adapter.scoped(prefix), heads: heads, headDim: C / heads, channels: C,
                                            groups: config.normNumGroups, numLayers: layers,
                                            sinusoidalPositions: motion.maxSeqLength)
    }
}

/// `CrossAttnDownBlockMotion` / `DownBlockMotion` (`down_blocks.N.`): layers, then a stride-2
/// `Downsample2D` except on the last level; every layer's output and the downsampler's are skips.
struct UNetMotionDownBlock: Sendable {
    let layers: [UNetMotionLayer]
    let downsampler: Downsample2D?

    init(_ b: UNetMotionBuilder, level i: Int, inChannels: Int) throws {
        let C = b.config.blockOutChannels[i]
        let prefix = "down_blocks.\(i)."
        layers = try (0..<b.config.layersPerBlock[i]).map { j in
            UNetMotionLayer(
                resnet: try b.resnet(prefix + "resnets.\(j).", inChannels: j == 0 ? inChannels : C, outChannels: C),
                attention: b.config.downBlockCrossAttention[i]
                    ? try b.attention(prefix + "attentions.\(j).", channels: C, heads: b.config.attentionHeads[i],
                                      layers: b.config.transformerLayersPerBlock[i])
                    : nil,
                motion: try b.motionModule(prefix + "motion_modules.\(j).", channels: C,
                                           heads: b.motion?.numAttentionHeads[i] ?? 1,
                                           layers: b.motion?.transformerLayersPerBlock[i] ?? 1))
        }
        downsampler = i < b.config.blockOutChannels.count - 1
            ? try Downsample2D(b.unet.scoped(prefix + "downsamplers.0."), channels: C, padding: b.config.downsamplePadding)
            : nil
    }

    /// x: [B·F, Cin, H, W] -> [B·F, C, H', W'] (H' = ⌈H / 2⌉ with padding 1); appends the skips.
    func callAsFunction(_ x: Tensor, temb: Tensor, text: Tensor, frames: Int,
                        skips: inout [Tensor]) throws(TensorShapeError) -> Tensor {
        var h = x
        for layer in layers {
            h = try layer(h, temb: temb, text: text, frames: frames)
            skips.append(h)
        }
        if let downsampler {
            h = downsampler(h)
            skips.append(h)
        }
        return h
    }
}

/// `UNetMidBlockCrossAttnMotion` / `UNetMidBlock2DCrossAttn` (`mid_block.`): resnets.0 → attentions.0 →
/// motion_modules.0 (with a motion mid block) → resnets.1.
struct UNetMotionMidBlock: Sendable {
    let resnet0: ResnetBlock2D
    let attention: Transformer2DModel
    let motion: TransformerTemporalModel?
    let resnet1: ResnetBlock2D

    init(_ b: UNetMotionBuilder) throws {
        let C = b.config.blockOutChannels[b.config.blockOutChannels.count - 1]
        let scale = b.config.midBlockScaleFactor
        resnet0 = try b.resnet("mid_block.resnets.0.", inChannels: C, outChannels: C, scale: scale)
        attention = try b.attention("mid_block.attentions.0.", channels: C, heads: b.config.attentionHeads.last ?? 1,
                                    layers: b.config.transformerLayersPerBlock.last ?? 1)
        if let layers = b.motion?.midBlockTransformerLayers {
            motion = try b.motionModule("mid_block.motion_modules.0.", channels: C,
                                        heads: b.motion?.numAttentionHeads.last ?? 1, layers: layers)
        } else {
            motion = nil
        }
        resnet1 = try b.resnet("mid_block.resnets.1.", inChannels: C, outChannels: C, scale: scale)
    }

    /// x: [B·F, C, h, w] -> [B·F, C, h, w]
    func callAsFunction(_ x: Tensor, temb: Tensor, text: Tensor, frames: Int) throws(TensorShapeError) -> Tensor {
        var h = try resnet0(x, temb: temb)
        h = try attention(h, encoderHiddenStates: text)
        if let motion { h = try motion(h, frames: frames) }
        return try resnet1(h, temb: temb)
    }
}

/// `CrossAttnUpBlockMotion` / `UpBlockMotion` (`up_blocks.N.`): `layers_per_block + 1` layers, each on
/// the running features concatenated with one skip (popped last-first), then a nearest `Upsample2D`
/// except on the last level.
struct UNetMotionUpBlock: Sendable {
    let layers: [UNetMotionLayer]
    let upsampler: Upsample2D?

    init(_ b: UNetMotionBuilder, level i: Int) throws {
        let widths = Array(b.config.blockOutChannels.reversed())
        let levels = widths.count
        let down = levels - 1 - i                                 // the matching down level
        let C = widths[i]
        let prev = i == 0 ? widths[0] : widths[i - 1]
        let skipIn = widths[min(i + 1, levels - 1)]
        let count = b.config.layersPerBlock[down] + 1
        let prefix = "up_blocks.\(i)."
        layers = try (0..<count).map { j in
            let skip = j == count - 1 ? skipIn : C
            return UNetMotionLayer(
                resnet: try b.resnet(prefix + "resnets.\(j).", inChannels: (j == 0 ? prev : C) + skip, outChannels: C),
                attention: b.config.upBlockCrossAttention[i]
                    ? try b.attention(prefix + "attentions.\(j).", channels: C, heads: b.config.attentionHeads[down],
                                      layers: b.config.transformerLayersPerBlock[down])
                    : nil,
                motion: try b.motionModule(prefix + "motion_modules.\(j).", channels: C,
                                           heads: b.motion?.numAttentionHeads[down] ?? 1,
                                           layers: b.motion?.transformerLayersPerBlock[down] ?? 1))
        }
        upsampler = i < levels - 1 ? try Upsample2D(b.unet.scoped(prefix + "upsamplers.0."), channels: C) : nil
    }

    /// x: [B·F, Cprev, h, w] -> [B·F, C, H, W]: pops `layers.count` skips; the upsampler's output takes
    /// the size of the next skip on the stack (diffusers' forced `upsample_size`, ×2 for even sides).
    func callAsFunction(_ x: Tensor, temb: Tensor, text: Tensor, frames: Int,
                        skips: inout [Tensor]) throws(TensorShapeError) -> Tensor {
        var h = x
        for layer in layers {
            guard let skip = skips.popLast() else {
                throw TensorShapeError(operation: "UNetMotion up block", shapes: [h.shape],
                                       expected: "a skip connection for every up-block layer")
            }
            h = Tensor.concatenate([h, skip], axis: 1)                        // -> [B·F, C + C_skip, h, w]
            h = try layer(h, temb: temb, text: text, frames: frames)
        }
        if let upsampler {
            let size = skips.last.map { (height: $0.shape[2], width: $0.shape[3]) }
            h = upsampler(h, outputSize: size)
        }
        return h
    }
}

/// AnimateDiff's video UNet: an SD-1.5 UNet2DConditionModel with a MotionAdapter's motion modules
/// inserted, predicting the noise of latents `[B, 4, F, H, W]`. Without motion modules it is the SD
/// UNet applied to each frame. Weights are immutable and shared; every call is independent.
public struct UNetMotionModel: Sendable {
    /// The UNet2D part of the config.
    public let config: UNet2DConditionConfig
    /// The motion modules' shape; nil for the plain UNet2DConditionModel.
    public let motion: MotionModuleConfig?
    let convIn: Conv2d
    let timeEmbedding: TimestepEmbedding
    let downBlocks: [UNetMotionDownBlock]
    let midBlock: UNetMotionMidBlock
    let upBlocks: [UNetMotionUpBlock]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    /// Builds the model from the UNet weights under `unetWeights` and, with `motion`, the motion modules
    /// under `motionWeights` (MotionAdapter keys `down_blocks.i.motion_modules.j.…`, which are also the
    /// merged UNetMotionModel's keys; pass the same store twice for a merged folder). Shape-checks every
    /// tensor; for strict loading use the `load` functions.
    public init(config: UNet2DConditionConfig, motion: MotionModuleConfig?, unetWeights: any WeightSource,
                motionWeights: (any WeightSource)?) throws {
        try config.validate()
        self.config = config
        self.motion = motionWeights == nil ? nil : motion
        let b = UNetMotionBuilder(config: config, motion: self.motion, unet: unetWeights,
                                  adapter: self.motion == nil ? nil : motionWeights)
        let widths = config.blockOutChannels
        let c0 = widths[0]
        convIn = try Conv2d(unetWeights.scoped("conv_in."), inChannels: config.inChannels, outChannels: c0, kernel: 3,
                            padding: .uniform(1))
        timeEmbedding = try TimestepEmbedding(unetWeights.scoped("time_embedding."), inChannels: c0,
                                              timeEmbedDim: config.timeEmbedDim, activation: config.activation)
        downBlocks = try widths.indices.map { i in
            try UNetMotionDownBlock(b, level: i, inChannels: i == 0 ? c0 : widths[i - 1])
        }
        midBlock = try UNetMotionMidBlock(b)
        upBlocks = try widths.indices.map { i in try UNetMotionUpBlock(b, level: i) }
        convNormOut = try GroupNorm(unetWeights.scoped("conv_norm_out."), channels: c0, groups: config.normNumGroups,
                                    eps: config.normEps)
        convOut = try Conv2d(unetWeights.scoped("conv_out."), inChannels: c0, outChannels: config.outChannels, kernel: 3,
                             padding: .uniform(1))
    }

    /// Builds the model with strict loading of both stores (give the adapter's config and store together;
    /// with either nil the model is the plain UNet2DConditionModel): throws one `StrictLoadError` listing every
    /// missing, unused or mis-shaped key of the store at fault, with its file (the adapter's first).
    /// Throws `UNetMotionConfigError.adapterMismatch` when the adapter does not fit the UNet.
    public static func load(unetConfig: UNet2DConditionConfig, unetStore: WeightStore,
                            adapterConfig: MotionAdapterConfig?, adapterStore: WeightStore?) throws -> UNetMotionModel {
        guard let adapterConfig, let adapterStore else {
            return try unetStore.load { try UNetMotionModel(config: unetConfig, motion: nil, unetWeights: $0, motionWeights: nil) }
        }
        let motion = try adapterConfig.motionModules(for: unetConfig)
        return try unetStore.load { unet in
            try adapterStore.load { adapter in
                try UNetMotionModel(config: unetConfig, motion: motion, unetWeights: unet, motionWeights: adapter)
            }
        }
    }

    /// Loads an SD-1.5-layout `unet` folder (`config.json` of a `UNet2DConditionModel` +
    /// `diffusion_pytorch_model[.variant].safetensors` or shards) and, when given, a `MotionAdapter`
    /// folder, strictly — what `UNetMotionModel.from_unet2d(unet, motion_adapter)` builds. With
    /// `motionAdapterFolder` nil the model is the plain UNet2DConditionModel applied frame by frame.
    /// `variant` ("fp16") applies to both folders (each falls back to its fp16 files when it has
    /// only those).
    public static func load(unetFolder: URL, motionAdapterFolder: URL?, variant: String? = nil) throws -> UNetMotionModel {
        let unetConfig = try ConfigDecoding.decode(UNet2DConditionConfig.self,
                                                   from: unetFolder.appendingPathComponent("config.json"))
        let unetStore = try WeightStore(folder: unetFolder, variant: variant)
        guard let motionAdapterFolder else {
            return try load(unetConfig: unetConfig, unetStore: unetStore, adapterConfig: nil, adapterStore: nil)
        }
        let adapterConfig = try ConfigDecoding.decode(MotionAdapterConfig.self,
                                                      from: motionAdapterFolder.appendingPathComponent("config.json"))
        let adapterStore = try WeightStore(folder: motionAdapterFolder, variant: variant)
        return try load(unetConfig: unetConfig, unetStore: unetStore, adapterConfig: adapterConfig,
                        adapterStore: adapterStore)
    }

    /// Loads a merged `UNetMotionModel` folder (what diffusers' `UNetMotionModel.save_pretrained` writes:
    /// a `UNetMotionModel` config and one set of weights holding the UNet's and the motion modules' keys),
    /// strictly.
    public static func load(folder: URL, variant: String? = nil) throws -> UNetMotionModel {
        let config = try ConfigDecoding.decode(UNetMotionModelConfig.self, from: folder.appendingPathComponent("config.json"))
        let store = try WeightStore(folder: folder, variant: variant)
        return try store.load {
            try UNetMotionModel(config: config.unet, motion: config.motion, unetWeights: $0, motionWeights: $0)
        }
    }

    /// Predicts the noise of `sample` at `timestep` given the per-frame text `encoderHiddenStates`.
    ///
    /// - `sample: [B, in_channels, F, H, W]`, any F ≥ 1 up to `motion_max_seq_length` (any F without
    ///   motion modules) and any H, W ≥ 1 (sides that are not multiples of 2^(levels − 1) are handled as
    ///   diffusers does, by forcing each upsampler's output to its skip's size).
    /// - `timestep`: one value per batch item, or one for all (integer timesteps as exact Floats).
    /// - `encoderHiddenStates: [B·F, L, cross_attention_dim]`, row `b·F + f` for frame f of sample b:
    ///   AnimateDiffPipeline repeats each prompt F times (`repeat_interleave`); its guidance batch is
    ///   `[uncond, cond]` along B.
    /// - returns `[B, out_channels, F, H, W]`.
    ///
    /// Checks `cancellation` before every down, mid and up block and before the output layers
    /// (throws `CancelledError`). Throws `UNetMotionInputError` for inputs it cannot take.
    public func callAsFunction(_ sample: Tensor, timestep: [Float], encoderHiddenStates: Tensor,
                               cancellation: CancellationFlag? = nil) throws -> Tensor {
        // sample: [B, C, F, H, W]
        guard sample.rank == 5, sample.shape[1] == config.inChannels, sample.shape.allSatisfy({ $0 > 0 }) else {
            throw UNetMotionInputError.sampleShape(shape: sample.shape, inChannels: config.inChannels)
        }
        let (B, C, F, H, W) = (sample.shape[0], sample.shape[1], sample.shape[2], sample.shape[3], sample.shape[4])
        guard encoderHiddenStates.rank == 3, encoderHiddenStates.shape[0] == B * F, encoderHiddenStates.shape[1] > 0,
              encoderHiddenStates.shape[2] == config.crossAttentionDim else {
            throw UNetMotionInputError.textShape(shape: encoderHiddenStates.shape, rows: B * F,
                                                 crossAttentionDim: config.crossAttentionDim)
        }
        guard timestep.count == B || timestep.count == 1 else {
            throw UNetMotionInputError.timestepCount(count: timestep.count, batch: B)
        }
        if let motion, F > motion.maxSeqLength {
            throw UNetMotionInputError.tooManyFrames(frames: F, maxSeqLength: motion.maxSeqLength)
        }
        try cancellation?.check()
        let times = timestep.count == B ? timestep : Array(repeating: timestep[0], count: B)

        // 1. time
        let tEmb = SinusoidalEmbedding.timesteps(times, dim: config.blockOutChannels[0], flipSinToCos: true,
                                                 downscaleFreqShift: 0)         // [B, C0]
        let temb = timeEmbedding(tEmb).repeatedInterleaved(F, axis: 0)           // -> [B·F, 4·C0]
        let text = encoderHiddenStates                                           // [B·F, L, D]

        // 2. pre-process
        var x = sample.permuted([0, 2, 1, 3, 4]).reshaped([B * F, C, H, W])      // -> [B·F, C, H, W]
        x = convIn(x)                                                            // -> [B·F, C0, H, W]

        // 3. down
        var skips = [x]
        for block in downBlocks {
            try cancellation?.check()
            x = try block(x, temb: temb, text: text, frames: F, skips: &skips)
        }

        // 4. mid
        try cancellation?.check()
        x = try midBlock(x, temb: temb, text: text, frames: F)

        // 5. up
        for block in upBlocks {
            try cancellation?.check()
            x = try block(x, temb: temb, text: text, frames: F, skips: &skips)
        }

        // 6. post-process
        try cancellation?.check()
        x = convNormOut(x)
        x.activateInPlace(.silu)
        x = convOut(x)                                                           // -> [B·F, C_out, H, W]
        return x.reshaped([B, F, config.outChannels, H, W]).permuted([0, 2, 1, 3, 4])   // -> [B, C_out, F, H, W]
    }
}
