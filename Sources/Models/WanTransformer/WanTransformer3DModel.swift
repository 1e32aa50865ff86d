// diffusers 0.42.1 models/transformers/transformer_wan.py `WanTransformer3DModel` (Wan 2.1
// text-to-video DiT with full 3-D self-attention and text cross-attention), MODELS.md §5.2:
//   rope  = WanRotaryPosEmbed(hidden_states)                    [F'·H'·W', dh] (float64 angles)
//   x     = patch_embedding(hidden_states).flatten(2).transpose(1, 2)   Conv3d k = s = patch → [B, S, D]
//   temb, tproj, ctx = condition_embedder(t, text)              tproj → [B, 6, D]
//   for block in blocks: x = block(x, ctx, tproj, rope)
//   shift, scale = (scale_shift_table [1,2,D] + temb[:, None]).chunk(2, dim=1)   uses temb, not tproj
//   x = proj_out(LN(x)·(1+scale) + shift)                       FP32 LayerNorm, no affine
//   unpatchify: proj_out channels ordered (pt, ph, pw, c) → [B, C_out, F, H, W]
import Foundation
import TensorCore
import WeightsIO

/// The Wan 2.1 text-to-video transformer. Weights are immutable and shared; every call is
/// independent, so one model can serve concurrent jobs.
///
/// Linear weights stored as F16/BF16 stay half size in memory and are widened one layer at
/// a time while it runs; everything else is held in Float.
public struct WanTransformer3DModel: Sendable {
    public let config: WanTransformerConfig
    /// `patch_embedding.weight` [D, C_in, pt, ph, pw] and `.bias` [D].
    let patchWeight: Tensor
    let patchBias: Tensor
    let conditionEmbedder: WanConditionEmbedder
    let blocks: [WanTransformerBlock]
    /// `[1, 2, D]`: shift and scale offsets of the output norm.
    let scaleShiftTable: Tensor
    let projOut: Linear

    /// Builds the model from `config` and the weights under `weights` (diffusers key names).
    /// Use inside `WeightStore.load` for strict loading. Throws
    /// `WanTransformerError.unsupportedConfig` for configs this port cannot run.
    public init(config: WanTransformerConfig, weights: some WeightSource) throws {
        try config.validate()
        self.config = config
        let dim = config.innerDim
        let (pt, ph, pw) = config.patch
        patchWeight = try weights.tensor("patch_embedding.weight", shape: [dim, config.inChannels, pt, ph, pw])
        patchBias = try weights.tensor("patch_embedding.bias", shape: [dim])
        conditionEmbedder = try WanConditionEmbedder(weights.scoped("condition_embedder."), dim: dim,
                                                     frequencyDim: config.frequencyDim, textDim: config.textDim)
        blocks = try (0..<config.layerCount).map { index in
            try WanTransformerBlock(weights.scoped("blocks.\(index)."), config: config)
        }
        scaleShiftTable = try weights.tensor("scale_shift_table", shape: [1, 2, dim])
        projOut = try Linear(weights.scoped("proj_out."), inFeatures: dim,
                                outFeatures: config.outChannels * pt * ph * pw)
    }

    /// Loads a diffusers `transformer` folder (`config.json` + safetensors shards), strictly:
    /// one `StrictLoadError` lists every missing, unused or mis-shaped weight.
    public static func load(folder: URL, variant: String? = nil) throws -> WanTransformer3DModel {
        let config = try WanTransformerConfig.load(folder: folder)
        try config.validate()
        let store = try WeightStore(folder: folder, variant: variant)
        return try store.load { try WanTransformer3DModel(config: config, weights: $0) }
    }

    /// Whether any linear weight is held in half precision (F16/BF16 checkpoints).
    public var holdsHalfPrecisionWeights: Bool { projOut.isHalf }

    /// Predicts the flow (velocity) for latents `hiddenStates` [B, C_in, F, H, W] at
    /// `timestep` (one value per batch item, or one for all; integer timesteps as exact
    /// Floats) given text `encoderHiddenStates` [B, L, text_dim]. Returns [B, C_out, F, H, W].
    ///
    /// Checks `cancellation` before every block and after the last (throws `CancelledError`).
    /// Throws `WanTransformerError` when F/H/W are not multiples of the patch size, the grid
    /// exceeds `rope_max_seq_len`, or the text or timesteps do not match the batch.
    public func callAsFunction(_ hiddenStates: Tensor, timestep: [Float], encoderHiddenStates: Tensor,
                               cancellation: CancellationFlag? = nil) throws -> Tensor {
        // hiddenStates: [B, C, F, H, W], encoderHiddenStates: [B, L, text_dim]
        let grid = try patchGrid(hiddenStates)
        let B = hiddenStates.shape[0]
        let text = encoderHiddenStates
        guard text.rank == 3, text.shape[0] == B, text.shape[2] == config.textDim else {
            throw WanTransformerError.textShape(shape: text.shape, batch: B, textDim: config.textDim)
        }
        guard timestep.count == B || timestep.count == 1 else {
            throw WanTransformerError.timestepCount(count: timestep.count, batch: B)
        }
        try cancellation?.check()

        let rotary = rotaryTable(grid)                                      // [S, dh]
        var x = patchEmbedding(hiddenStates)                                // [B, S, D]
        let times = timestep.count == B ? timestep : Array(repeating: timestep[0], count: B)
        let (temb, projection) = conditionEmbedder.time(times)             // [B, D], [B, 6D]
        let tproj = projection.reshaped([B, 6, config.innerDim])           // [B, 6, D]
        let context = conditionEmbedder.text(text)                          // [B, L, D]

        for block in blocks {
            try cancellation?.check()
            x = try block(x, context: context, timestepProjection: tproj, rotary: rotary)
        }
        try cancellation?.check()
        return try unpatchify(outputProjection(x, temb: temb), grid: grid)
    }

    // MARK: Steps (internal so tests can compare them with diffusers' intermediates)

    /// The patch grid `(F', H', W')` of `hiddenStates`, after checking its shape.
    func patchGrid(_ hiddenStates: Tensor) throws -> (frames: Int, height: Int, width: Int) {
        let shape = hiddenStates.shape
        guard shape.count == 5, shape[1] == config.inChannels else {
            throw WanTransformerError.hiddenStatesShape(shape: shape, inChannels: config.inChannels)
        }
        let (pt, ph, pw) = config.patch
        var grid: [Int] = []
        for (axis, size, patch) in [("frames", shape[2], pt), ("height", shape[3], ph), ("width", shape[4], pw)] {
            guard size % patch == 0, size > 0 else {
                throw WanTransformerError.notDivisibleByPatch(axis: axis, size: size, patch: patch)
            }
            guard size / patch <= config.ropeMaxSequenceLength else {
                throw WanTransformerError.gridTooLarge(axis: axis, positions: size / patch,
                                                       ropeMaxSequenceLength: config.ropeMaxSequenceLength)
            }
            grid.append(size / patch)
        }
        return (grid[0], grid[1], grid[2])
    }

    /// `WanRotaryPosEmbed`: cos/sin `[F'·H'·W', dh]` for the token grid.
    func rotaryTable(_ grid: (frames: Int, height: Int, width: Int)) -> RotaryTable {
        Rotary.wanTable(frames: grid.frames, height: grid.height, width: grid.width,
                        headDim: config.attentionHeadDim)
    }

    /// x: [B, C, F, H, W] -> tokens [B, F'·H'·W', D] in (f, h, w) order.
    func patchEmbedding(_ x: Tensor) -> Tensor {
        let (pt, ph, pw) = config.patch
        let y = conv3d(x, weight: patchWeight, bias: patchBias, stride: (pt, ph, pw))   // [B, D, F', H', W']
        let (B, D) = (y.shape[0], y.shape[1])
        return y.reshaped([B, D, y.count / max(1, B * D)]).permuted([0, 2, 1])          // -> [B, S, D]
    }

    /// x: [B, S, D], temb: [B, D] -> [B, S, pt·ph·pw·C_out]
    func outputProjection(_ x: Tensor, temb: Tensor) throws(TensorShapeError) -> Tensor {
        let (B, D) = (temb.shape[0], temb.shape[1])
        let m = try (scaleShiftTable + temb.reshaped([B, 1, D])).chunked(2, axis: 1)   // shift, scale: [B, 1, D]
        return try projOut(x.layerNorm(eps: config.eps).modulated(scale: m[1], shift: m[0]))
    }

    /// x: [B, F'·H'·W', pt·ph·pw·C] (channels ordered pt, ph, pw, c) -> [B, C, F'·pt, H'·ph, W'·pw]
    func unpatchify(_ x: Tensor, grid: (frames: Int, height: Int, width: Int)) -> Tensor {
        let (pt, ph, pw) = config.patch
        let (B, C) = (x.shape[0], config.outChannels)
        return x.reshaped([B, grid.frames, grid.height, grid.width, pt, ph, pw, C])
            .permuted([0, 7, 1, 4, 2, 5, 3, 6])                                   // [B, C, F', pt, H', ph, W', pw]
            .reshaped([B, C, grid.frames * pt, grid.height * ph, grid.width * pw])
    }
}
