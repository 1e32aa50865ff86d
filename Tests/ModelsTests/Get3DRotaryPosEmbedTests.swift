import Reference
import TensorCore
import XCTest
@testable import Models

// The 3-D rotary table of CogVideoX 5B / 1.5 and EasyAnimate (diffusers 0.42.1
// models/embeddings.py `get_3d_rotary_pos_embed` with the CogVideoX pipeline's
// `get_resize_crop_region_for_grid`, Sources/Models/Layers/Get3DRotaryPosEmbed.swift) against
// torch (Tests/Fixtures/ops/tensor_ops.json).
final class Get3DRotaryPosEmbedTests: XCTestCase {
    func testCogVideoXAxisSplit() {
        XCTAssertTrue(Rotary.cogVideoXAxisDims(headDim: 64) == (16, 24, 24))
    }

    func testCogVideoXRotaryAgainstTorch() throws {
        let fixture = try OpsFixture.load()
        let crop = Rotary.resizeCropRegion(height: 3, width: 5, baseHeight: 4, baseWidth: 6)
        XCTAssertEqual([crop.top, crop.left, crop.bottom, crop.right].map(Float.init), try fixture("cog_crops").data)
        let positions = Rotary.cogVideoXLinspacePositions(frames: 1, height: 3, width: 5, crop: crop)
        XCTAssertEqual(positions.rows.map(Float.init), [0, Float(4.0 / 3), Float(8.0 / 3)])   // fractional positions
        let table = Rotary.cogVideoXTable(framePositions: positions.frames, rowPositions: positions.rows,
                                          columnPositions: positions.columns, headDim: 16)
        // Float32 angles (pos ≤ 5): libm vs torch pow/cos differ by ≤ 1–2 ulp → 1e-6.
        assertClose(table.cos, try fixture("cog_rope_cos").doubles, tolerance: 1e-6)
        assertClose(table.sin, try fixture("cog_rope_sin").doubles, tolerance: 1e-6)
        // [B, Nh, 2 text + 15 video tokens, dh]: the text tokens stay unchanged.
        let k = try fixture("cog_k")
        let rotated = k.applyingRotary(table, layout: .headsSequence, tokenOffset: 2)
        assertClose(rotated, try fixture("cog_k_rotated").doubles, tolerance: 2e-6)
        XCTAssertEqual(Array(rotated.data[0..<32]), Array(k.data[0..<32]))
    }
}
