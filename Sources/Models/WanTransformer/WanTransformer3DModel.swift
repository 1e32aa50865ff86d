// diffusers 0.42.1 models/transformers/transformer_wan.py `WanTransformer3DModel` (Wan 2.1
// and Wan 2.2 text-to-video DiT with full 3-D self-attention and text cross-attention):
//   rope  = WanRotaryPosEmbed(hidden_states)                    [F'·H'·W', dh] (float64 angles)
//   x     = patch_embedding(hidden_states).flatten(2).transpose(1, 2)   Conv3d k = s = patch → [B, S, D]
//   temb, tproj, ctx = condition_embedder(t, text)              tproj → [B, 6, D]
//                                                                (t [B, S]: temb [B, S, D], tproj [B, S, 6, D])
//   for block in blocks: x = block(x, ctx, tproj, rope)
//   shift, scale = (scale_shift_table [1,2,D] + temb[:, None]).chunk(2, dim=1)   uses temb, not tproj
//                                                                (per token with t [B, S])
//   x = proj_out(LN(x)·(1+scale) + shift)                       FP32 LayerNorm, no affine
//   unpatchify: proj_out channels ordered (pt, ph, pw, c) → [B, C_out, F, H, W]
import Foundation
import TensorCore
import WeightsIO

/// The Wan text-to-video transformer (Wan 2.1; Wan 2.2 TI2V-5B with per-token timesteps).
/// Weights are immutable and shared; every call is independent, so one model can serve
/// concurrent jobs.
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
        try checkText(encoderHiddenStates, batch: hiddenStates.shape.first ?? 0)
        return try callAsFunction(hiddenStates, timestep: timestep, text: encodeText(encoderHiddenStates),
                                  cancellation: cancellation)
    }

    /// As `callAsFunction(_:timestep:encoderHiddenStates:cancellation:)`, with the text already
    /// turned into every block's cross-attention keys and values by `encodeText` — what a
    /// denoising loop does once per prompt, since they do not change between steps.
    public func callAsFunction(_ hiddenStates: Tensor, timestep: [Float], text: WanEncodedText,
                               cancellation: CancellationFlag? = nil) throws -> Tensor {
        let grid = try patchGrid(hiddenStates)
        let B = hiddenStates.shape[0]
        try checkText(text, batch: B)
        guard timestep.count == B || timestep.count == 1 else {
            throw WanTransformerError.timestepCount(count: timestep.count, batch: B)
        }
        let times = timestep.count == B ? timestep : Array(repeating: timestep[0], count: B)
        let time = WanTimeConditioning(perSample: times, embedder: conditionEmbedder, dim: config.innerDim)
        return try forward(hiddenStates, grid: grid, text: text, time: time, cancellation: cancellation)
    }

    /// The prompt embeddings `encoderHiddenStates` [B, L, text_dim] as every block's
    /// cross-attention sees them: `condition_embedder.text_embedder`, then each block's
    /// `attn2` keys and values, with each sample's trailing run of identical rows (its padding)
    /// kept once and weighted by its length (`CompactedContext`). Throws `WanTransformerError.textShape` unless the last
    /// dimension is text_dim.
    public func encodeText(_ encoderHiddenStates: Tensor) throws -> WanEncodedText {
        let text = encoderHiddenStates
        guard text.rank == 3, text.shape[2] == config.textDim else {
            throw WanTransformerError.textShape(shape: text.shape, batch: text.shape.first ?? 0, textDim: config.textDim)
        }
        // The zero rows padding each prompt to max_sequence_length give identical keys and
        // values: one copy of them, weighted by their count (CompactedContext).
        let compact = CompactedContext(text)                                // [B, L', text_dim]
        let context = conditionEmbedder.text(compact.rows)                  // [B, L', D]
        return WanEncodedText(batch: text.shape[0], textShape: text.shape,
                              blocks: blocks.map {
                                  $0.crossAttention.keysValues(context: context, keyBias: compact.keyBias)
                              })
    }

    /// Predicts the flow with one timestep per token: diffusers' 2-D `timestep` [B, S], which
    /// `WanPipeline` passes when `expand_timesteps` is true (Wan 2.2 TI2V-5B).
    ///
    /// - `tokenTimesteps[b][s]`: the timestep of token `s` of sample `b`, tokens in (f, h, w)
    ///   order of the patch grid, so each row has `tokenCount(forLatentShape:)` =
    ///   F/pt · H/ph · W/pw values; a single row serves every sample. Integer timesteps as
    ///   exact Floats (diffusers multiplies a float32 mask by `t`).
    /// - Otherwise as `callAsFunction(_:timestep:encoderHiddenStates:cancellation:)`. When every
    ///   token of a sample has the same t, the result is that of `timestep:` with those values:
    ///   bit for bit when the samples' values differ (or B = 1), since the same embedding rows
    ///   and the same modulation expression are used; for B > 1 samples sharing one t the
    ///   embedding is one GEMM row instead of B (bit-identical with this build's BLAS).
    /// - The embeddings are computed once per distinct timestep value, not once per token
    ///   (diffusers builds a [B, S, 6, D] projection).
    public func callAsFunction(_ hiddenStates: Tensor, tokenTimesteps: [[Float]], encoderHiddenStates: Tensor,
                               cancellation: CancellationFlag? = nil) throws -> Tensor {
        try checkText(encoderHiddenStates, batch: hiddenStates.shape.first ?? 0)
        return try callAsFunction(hiddenStates, tokenTimesteps: tokenTimesteps, text: encodeText(encoderHiddenStates),
                                  cancellation: cancellation)
    }

    /// As `callAsFunction(_:tokenTimesteps:encoderHiddenStates:cancellation:)`, with the text
    /// already encoded by `encodeText`.
    public func callAsFunction(_ hiddenStates: Tensor, tokenTimesteps: [[Float]], text: WanEncodedText,
                               cancellation: CancellationFlag? = nil) throws -> Tensor {
        let grid = try patchGrid(hiddenStates)
        let B = hiddenStates.shape[0], S = grid.frames * grid.height * grid.width
        try checkText(text, batch: B)
        guard tokenTimesteps.count == B || tokenTimesteps.count == 1,
              tokenTimesteps.allSatisfy({ $0.count == S }) else {
            throw WanTransformerError.tokenTimestepShape(rowLengths: tokenTimesteps.map(\.count), batch: B, tokens: S)
        }
        let rows = tokenTimesteps.count == B ? tokenTimesteps : Array(repeating: tokenTimesteps[0], count: B)
        let time = WanTimeConditioning(perToken: rows, embedder: conditionEmbedder, dim: config.innerDim)
        return try forward(hiddenStates, grid: grid, text: text, time: time, cancellation: cancellation)
    }

    /// The tokens per sample for latents of `shape` [B, C_in, F, H, W]: F/pt · H/ph · W/pw,
    /// the length of each `tokenTimesteps` row. Throws as the forward pass does for a shape
    /// it cannot take.
    public func tokenCount(forLatentShape shape: [Int]) throws -> Int {
        let grid = try patchGrid(shape: shape)
        return grid.frames * grid.height * grid.width
    }

    /// Throws unless `text` is `[B, L, text_dim]`.
    private func checkText(_ text: Tensor, batch B: Int) throws {
        guard text.rank == 3, text.shape[0] == B, text.shape[2] == config.textDim else {
            throw WanTransformerError.textShape(shape: text.shape, batch: B, textDim: config.textDim)
        }
    }

    /// Throws unless `text` was encoded for `B` samples by a model with this many blocks.
    private func checkText(_ text: WanEncodedText, batch B: Int) throws {
        guard text.batch == B, text.blocks.count == blocks.count else {
            throw WanTransformerError.textShape(shape: text.textShape, batch: B, textDim: config.textDim)
        }
    }

    /// The forward pass shared by both timestep layouts, after the input checks.
    private func forward(_ hiddenStates: Tensor, grid: (frames: Int, height: Int, width: Int),
                         text: WanEncodedText, time: WanTimeConditioning,
                         cancellation: CancellationFlag?) throws -> Tensor {
        // hiddenStates: [B, C, F, H, W], text: keys/values [B, L, Nh, dh] per block,
        // time: temb [K, D], projection [K, 6, D]
        try cancellation?.check()
        let rotary = rotaryTable(grid)                                      // [S, dh]
        var x = patchEmbedding(hiddenStates)                                // [B, S, D]

        for (block, keysValues) in zip(blocks, text.blocks) {
            try cancellation?.check()
            x = try block(x, text: keysValues, timestepProjection: time.projection, tokenRows: time.tokenRows,
                          rotary: rotary)
        }
        try cancellation?.check()
        return try unpatchify(outputProjection(x, temb: time.temb, tokenRows: time.tokenRows), grid: grid)
    }

    // MARK: Steps (internal so tests can compare them with diffusers' intermediates)

    /// The patch grid `(F', H', W')` of `hiddenStates`, after checking its shape.
    func patchGrid(_ hiddenStates: Tensor) throws -> (frames: Int, height: Int, width: Int) {
        try patchGrid(shape: hiddenStates.shape)
    }

    /// The patch grid `(F', H', W')` of latents of `shape` [B, C_in, F, H, W], after checking it.
    func patchGrid(shape: [Int]) throws -> (frames: Int, height: Int, width: Int) {
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

    /// x: [B, S, D], temb: [B, D] (or [K, D] with `tokenRows`, B·S row indices) -> [B, S, pt·ph·pw·C_out]
    func outputProjection(_ x: Tensor, temb: Tensor, tokenRows: [Int]? = nil) throws(TensorShapeError) -> Tensor {
        let (K, D) = (temb.shape[0], temb.shape[1])
        let m = try (scaleShiftTable + temb.reshaped([K, 1, D])).chunked(2, axis: 1)   // shift, scale: [K, 1, D]
        return try projOut(x.layerNorm(eps: config.eps).modulated(scale: m[1], shift: m[0], rows: tokenRows))
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

/// A prompt as the Wan transformer's blocks see it: each block's cross-attention keys and
/// values, `[B, L', Nh, dh]` each, L' ≤ L after merging the padding
/// (`WanTransformer3DModel.encodeText`). It depends on the prompt alone, so a denoising loop
/// makes it once and reuses it at every step; to run guidance's two prompts as one batch,
/// encode their embeddings concatenated along the batch.
public struct WanEncodedText: Sendable {
    /// Samples in the batch.
    public let batch: Int
    /// The shape of the embeddings it was made from, `[B, L, text_dim]` (for error messages).
    public let textShape: [Int]
    let blocks: [Attention.KeysValues]
}
