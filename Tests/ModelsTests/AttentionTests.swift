import TensorCore
import XCTest
@testable import Models

// `Attention` (diffusers 0.42.1 models/attention_processor.py `Attention` + `AttnProcessor2_0`)
// against diffusers on tiny random weights (Tests/Fixtures/layers, tools/reference/layers_fixtures.py):
// bias-free projections without q/k norm (SD / UNet3D / AnimateDiff), per-head "rms_norm" with and
// without a weight, per-head "layer_norm" in cross-attention, `out_dim`, and CogVideoX's joint
// text + video self-attention (`CogVideoXAttnProcessor2_0`: per-head LayerNorm, rotary on the video
// tokens after the text). "rms_norm_across_heads" is Wan's and is checked by the Wan transformer tests.
//
// Tolerance 1e-5 relative to the largest output: q/k/v/out are dot products of ≤ 32 O(1) terms in
// float32 summed in another order than torch's (≤ 32 · 6e-8 ≈ 2e-6 each), the norms' statistics are
// Double here and float32 in torch (≤ 1e-7), the online softmax rescales in another order (≤ a few
// ulp), and the rotary tables are diffusers' own. Measured ≤ 5e-7 (printed).
final class AttentionTests: XCTestCase {
    static let tolerance: Float = 1e-5

    func testBiasFreeSelfAttentionAgainstDiffusers() throws {
        let fixture = try LayerFixture("attn_plain")
        let attention = try Attention(fixture.weights, queryDim: 8, heads: 2, dimHead: 4)
        XCTAssertNil(attention.toQ.bias)
        XCTAssertNotNil(attention.toOut.bias)
        try fixture.assertOutput(attention(fixture.tensor("input")), tolerance: Self.tolerance)
    }

    func testPerHeadRMSNormAgainstDiffusers() throws {
        let fixture = try LayerFixture("attn_rms_norm")
        // dim_head 6 · 2 heads = 12 ≠ query_dim 8: the inner width comes from the heads.
        let attention = try Attention(fixture.weights, queryDim: 8, heads: 2, dimHead: 6, qkNorm: .rmsNorm, eps: 1e-6)
        try fixture.assertOutput(attention(fixture.tensor("input")), tolerance: Self.tolerance)
    }

    func testPerHeadRMSNormWithoutWeightAgainstDiffusers() throws {
        let fixture = try LayerFixture("attn_rms_norm_no_affine")
        let attention = try Attention(fixture.weights, queryDim: 8, heads: 2, dimHead: 4, qkNorm: .rmsNorm,
                                      eps: 1e-6, elementwiseAffine: false)
        try fixture.assertOutput(attention(fixture.tensor("input")), tolerance: Self.tolerance)
    }

    func testPerHeadLayerNormCrossAttentionAgainstDiffusers() throws {
        let fixture = try LayerFixture("attn_layer_norm_cross")
        let attention = try Attention(fixture.weights, queryDim: 8, crossAttentionDim: 5, heads: 2, dimHead: 4,
                                      bias: true, qkNorm: .layerNorm, eps: 1e-6)
        let output = try attention(fixture.tensor("input"), context: fixture.tensor("context"))
        try fixture.assertOutput(output, tolerance: Self.tolerance)
    }

    func testOutDimSetsHeadsAndOutputWidthAgainstDiffusers() throws {
        let fixture = try LayerFixture("attn_out_dim")
        let attention = try Attention(fixture.weights, queryDim: 8, heads: 2, dimHead: 4, outDim: 12, bias: true,
                                      outBias: false)
        XCTAssertEqual(attention.heads, 3)   // out_dim / dim_head, as diffusers
        try fixture.assertOutput(attention(fixture.tensor("input")), tolerance: Self.tolerance)
    }

    func testCogVideoXJointAttentionWithRotaryAgainstDiffusers() throws {
        let fixture = try LayerFixture("attn_cogvideox_rotary")
        let attention = try Attention(fixture.weights, queryDim: 32, heads: 2, dimHead: 16, bias: true,
                                      qkNorm: .layerNorm, eps: 1e-6)
        let text = try fixture.tensor("context")                        // [B, T, D]
        let video = try fixture.tensor("input")                         // [B, F·H·W, D]
        let joint = Tensor.concatenate([text, video], axis: 1)          // -> [B, T + F·H·W, D]
        let rotary = try RotaryTable(cos: fixture.tensor("rotary_cos"), sin: fixture.tensor("rotary_sin"))
        let output = attention(joint, rotary: rotary, rotaryTokenOffset: text.shape[1])
        try fixture.assertOutput(output, tolerance: Self.tolerance)
    }

    func testCogVideoXRotaryTableEqualsDiffusers() throws {
        // The same grid through Get3DRotaryPosEmbed.swift (crop region = the whole grid, as the
        // fixture's `get_3d_rotary_pos_embed(…, ((0, 0), (2, 3)), (2, 3), 2)`).
        let fixture = try LayerFixture("attn_cogvideox_rotary")
        let positions = Rotary.cogVideoXLinspacePositions(frames: 2, height: 2, width: 3, crop: (0, 0, 2, 3))
        let table = Rotary.cogVideoXTable(framePositions: positions.frames, rowPositions: positions.rows,
                                          columnPositions: positions.columns, headDim: 16)
        // float32 angles of positions ≤ 2: libm vs torch cos/sin ≤ 2 ulp of values ≤ 1.
        assertClose(table.cos, try fixture.tensor("rotary_cos"), tolerance: 1e-6, "rotary_cos")
        assertClose(table.sin, try fixture.tensor("rotary_sin"), tolerance: 1e-6, "rotary_sin")
    }

    func testQKNormNamesAreDiffusers() {
        XCTAssertEqual(Attention.QKNorm.allCases.map(\.rawValue), ["layer_norm", "rms_norm", "rms_norm_across_heads"])
    }
}
