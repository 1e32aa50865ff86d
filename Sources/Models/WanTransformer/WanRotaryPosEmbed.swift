// diffusers 0.42.1 models/transformers/transformer_wan.py `WanRotaryPosEmbed`: the 3-D RoPE of
// the Wan transformer. dh is split t | h | w = dh − 2·2⌊dh/6⌋ | 2⌊dh/6⌋ | 2⌊dh/6⌋, positions are
// the integer patch-grid indices, and the angles are computed in float64 before the cast
// (`freqs_dtype = torch.float64`). Applied by `Attention` with `RotaryLayout.sequenceHeads`.
import TensorCore

extension Rotary {
    /// Axis widths of Wan's 3-D RoPE: `h = w = 2·⌊dh/6⌋`, `t = dh − 2h` (dh=128 → 44, 42, 42).
    public static func wanAxisDims(headDim: Int) -> (time: Int, height: Int, width: Int) {
        let hw = 2 * (headDim / 6)
        return (headDim - 2 * hw, hw, hw)
    }

    /// Wan's rotary table (`WanRotaryPosEmbed`) for a patch grid of `frames × height × width`
    /// tokens (the latent size divided by the patch size): integer positions, float64
    /// angles cast to Float. `[F·H·W, dh]`.
    public static func wanTable(frames: Int, height: Int, width: Int, headDim: Int,
                                theta: Double = 10_000) -> RotaryTable {
        table3D(framePositions: (0..<frames).map(Double.init), rowPositions: (0..<height).map(Double.init),
                columnPositions: (0..<width).map(Double.init), dims: wanAxisDims(headDim: headDim),
                theta: theta, precision: .float64)
    }
}
