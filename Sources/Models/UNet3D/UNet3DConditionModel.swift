// diffusers 0.42.1 models/unets/unet_3d_condition.py `UNet3DConditionModel`: the pseudo-3D UNet of
// ModelScope text-to-video-ms-1.7b and zeroscope (MODELS.md §1.2):
//   t_emb = Timesteps(C0, flip_sin_to_cos=True, shift=0)(t)            [B, C0]
//   emb   = time_embedding(t_emb).repeat_interleave(F, 0)              [B·F, 4·C0]
//   text  = encoder_hidden_states.repeat_interleave(F, 0)              [B·F, L, D]
//   x = sample.permute(0, 2, 1, 3, 4).reshape(B·F, C, H, W)            frames folded into the batch
//   x = transformer_in(conv_in(x), num_frames=F)                       8 heads × attention_head_dim
//   skips = [x]; down blocks (append skips); mid block; up blocks (pop skips)
//   x = conv_out(SiLU(conv_norm_out(x)))  → reshape [B, F, C, H, W] → permute → [B, C, F, H, W]
// FreeU, attention masks (never used by the 3-D blocks), ControlNet residuals, `class_labels` and
// `timestep_cond` are not ported.
import Foundation
import TensorCore
import WeightsIO

/// The ModelScope / zeroscope video UNet: predicts the noise of latents `[B, 4, F, H, W]` at a
/// timestep, given text embeddings. Weights are immutable and shared; every call is independent,
/// so one model can serve concurrent jobs.
public struct UNet3DConditionModel: Sendable {
    public let config: UNet3DConditionConfig
    let convIn: Conv2d
    let timeEmbedding: TimestepEmbedding
    let transformerIn: TransformerTemporalModel
    let downBlocks: [UNet3DDownBlock]
    let midBlock: UNet3DMidBlock
    let upBlocks: [UNet3DUpBlock]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    /// Builds the model from `config` and the weights under `weights` (diffusers key names),
    /// shape-checking every tensor. For strict loading (no unused keys) use `load(config:store:)`
    /// or build inside `WeightStore.load`.
    public init(config: UNet3DConditionConfig, weights: some WeightSource) throws {
        try config.validate()
        self.config = config
        let widths = config.blockOutChannels
        let heads = config.attentionHeadDim
        let c0 = widths[0]
        convIn = try Conv2d(weights.scoped("conv_in."), inChannels: config.inChannels, outChannels: c0, kernel: 3,
                            padding: .uniform(1))
        timeEmbedding = try TimestepEmbedding(weights.scoped("time_embedding."), inChannels: c0,
                                              timeEmbedDim: config.timeEmbedDim, activation: config.activation)
        // TransformerTemporalModel(num_attention_heads=8, attention_head_dim=attention_head_dim, …).
        transformerIn = try TransformerTemporalModel(weights.scoped("transformer_in."), heads: 8, headDim: heads[0],
                                                     channels: c0, groups: config.normNumGroups)
        downBlocks = try config.downBlockTypes.enumerated().map { i, type in
            try UNet3DDownBlock(weights.scoped("down_blocks.\(i)."), type: type,
                                inChannels: i == 0 ? c0 : widths[i - 1], outChannels: widths[i], heads: heads[i],
                                addDownsample: i < widths.count - 1, config: config)
        }
        midBlock = try UNet3DMidBlock(weights.scoped("mid_block."), channels: widths[widths.count - 1],
                                      heads: heads[heads.count - 1], config: config)
        let reversedWidths = Array(widths.reversed())
        let reversedHeads = Array(heads.reversed())
        upBlocks = try config.upBlockTypes.enumerated().map { i, type in
            try UNet3DUpBlock(weights.scoped("up_blocks.\(i)."), type: type,
                              inChannels: reversedWidths[min(i + 1, widths.count - 1)],
                              prevOutputChannels: i == 0 ? reversedWidths[0] : reversedWidths[i - 1],
                              outChannels: reversedWidths[i], heads: reversedHeads[i],
                              addUpsample: i < widths.count - 1, config: config)
        }
        convNormOut = try GroupNorm(weights.scoped("conv_norm_out."), channels: c0, groups: config.normNumGroups,
                                    eps: config.normEps)
        convOut = try Conv2d(weights.scoped("conv_out."), inChannels: c0, outChannels: config.outChannels, kernel: 3,
                             padding: .uniform(1))
    }

    /// Builds the model with strict loading: throws one `StrictLoadError` listing every missing,
    /// unused or mis-shaped key of `store`, with the file each came from.
    public static func load(config: UNet3DConditionConfig, store: WeightStore) throws -> UNet3DConditionModel {
        try store.load { try UNet3DConditionModel(config: config, weights: $0) }
    }

    /// Loads a diffusers `unet` folder (`config.json` + `diffusion_pytorch_model[.variant].safetensors`
    /// or its shards), strictly. `variant: "fp16"` reads the half-precision files: linear weights
    /// stay half size and are widened per call, conv and norm weights are widened at load (both
    /// exact, so the output equals that of the same values stored as Float).
    public static func load(folder: URL, variant: String? = nil) throws -> UNet3DConditionModel {
        let config = try ConfigDecoding.decode(UNet3DConditionConfig.self, from: folder.appendingPathComponent("config.json"))
        let store = try WeightStore(folder: folder, variant: variant)
        return try load(config: config, store: store)
    }

    /// Predicts the noise of `sample` at `timestep` given the text `encoderHiddenStates`.
    ///
    /// - `sample: [B, in_channels, F, H, W]`, any F ≥ 1 and any H, W ≥ 1 (sides that are not
    ///   multiples of 2^(levels − 1) are handled as diffusers does, by forcing each upsampler's
    ///   output to its skip's size).
    /// - `timestep`: one value per batch item, or one for all (integer timesteps as exact Floats).
    /// - `encoderHiddenStates: [B, L, cross_attention_dim]`. TextToVideoSDPipeline's guidance
    ///   batch is `[uncond, cond]` along B.
    /// - returns `[B, out_channels, F, H, W]`.
    ///
    /// Checks `cancellation` before every down, mid and up block and before the output layers
    /// (throws `CancelledError`). Throws `UNet3DConditionInputError` for inputs of the wrong shape.
    public func callAsFunction(_ sample: Tensor, timestep: [Float], encoderHiddenStates: Tensor,
                               cancellation: CancellationFlag? = nil) throws -> Tensor {
        // sample: [B, C, F, H, W]
        guard sample.rank == 5, sample.shape[1] == config.inChannels, sample.shape.allSatisfy({ $0 > 0 }) else {
            throw UNet3DConditionInputError.sampleShape(shape: sample.shape, inChannels: config.inChannels)
        }
        let (B, C, F, H, W) = (sample.shape[0], sample.shape[1], sample.shape[2], sample.shape[3], sample.shape[4])
        guard encoderHiddenStates.rank == 3, encoderHiddenStates.shape[0] == B, encoderHiddenStates.shape[1] > 0,
              encoderHiddenStates.shape[2] == config.crossAttentionDim else {
            throw UNet3DConditionInputError.textShape(shape: encoderHiddenStates.shape, batch: B,
                                                      crossAttentionDim: config.crossAttentionDim)
        }
        guard timestep.count == B || timestep.count == 1 else {
            throw UNet3DConditionInputError.timestepCount(count: timestep.count, batch: B)
        }
        try cancellation?.check()
        let times = timestep.count == B ? timestep : Array(repeating: timestep[0], count: B)

        // 1. time
        let tEmb = SinusoidalEmbedding.timesteps(times, dim: config.blockOutChannels[0], flipSinToCos: true,
                                                 downscaleFreqShift: 0)         // [B, C0]
        let temb = timeEmbedding(tEmb).repeatedInterleaved(F, axis: 0)           // -> [B·F, 4·C0]
        let text = encoderHiddenStates.repeatedInterleaved(F, axis: 0)           // -> [B·F, L, D]

        // 2. pre-process
        var x = sample.permuted([0, 2, 1, 3, 4]).reshaped([B * F, C, H, W])      // -> [B·F, C, H, W]
        x = convIn(x)                                                            // -> [B·F, C0, H, W]
        x = try transformerIn(x, frames: F)

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
