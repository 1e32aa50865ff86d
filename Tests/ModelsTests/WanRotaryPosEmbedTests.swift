import Reference
import TensorCore
import XCTest
@testable import Models

// Wan's 3-D rotary table (diffusers 0.42.1 models/transformers/transformer_wan.py
// `WanRotaryPosEmbed`, Sources/Models/WanTransformer/WanRotaryPosEmbed.swift) against the
// complex-number reference and torch (Tests/Fixtures/ops/tensor_ops.json).
final class WanRotaryPosEmbedTests: XCTestCase {
    func testWanAxisSplit() {
        XCTAssertTrue(Rotary.wanAxisDims(headDim: 128) == (44, 42, 42))
        XCTAssertTrue(Rotary.wanAxisDims(headDim: 12) == (4, 4, 4))
    }

    func testWanRotaryAgainstComplexReference() {
        let (f, h, w, dh) = (2, 3, 4, 20)
        let table = Rotary.wanTable(frames: f, height: h, width: w, headDim: dh)
        XCTAssertEqual(table.cos.shape, [f * h * w, dh])
        let x = randomTensor([2, f * h * w, 3, dh], seed: 61)
        let dims = Rotary.wanAxisDims(headDim: dh)
        let want = Reference.rotateHeads(x.data, shape: x.shape) { token in
            [(Double(token / (h * w)), dims.time), (Double(token / w % h), dims.height), (Double(token % w), dims.width)]
        }
        // cos/sin rounded to Float (≤ 6e-8 each) and two Float roundings on |out| ≤ 2√2: ≤ 4 ulp(4) ≈ 2e-6.
        assertClose(x.applyingRotary(table), want, tolerance: 2e-6)
    }

    func testWanRotaryAgainstTorch() throws {
        let fixture = try OpsFixture.load()
        let table = Rotary.wanTable(frames: 2, height: 3, width: 2, headDim: 20)
        // Float64 angles rounded once to Float: equal to torch's up to 1 ulp of values ≤ 1 (1.2e-7).
        assertClose(table.cos, try fixture("wan_rope_cos_dh20").doubles, tolerance: 1.2e-7)
        assertClose(table.sin, try fixture("wan_rope_sin_dh20").doubles, tolerance: 1.2e-7)
        // Same two products and one sum per element as diffusers: a couple of ulp of values ≤ 4.
        let q = try fixture("wan_q")
        assertClose(q.applyingRotary(table), try fixture("wan_q_rotated").doubles, tolerance: 1e-6)
    }
}
