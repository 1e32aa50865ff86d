import XCTest
import Reference
@testable import TensorCore

final class RotaryTests: XCTestCase {
    // The tables of a family (Wan's `WanRotaryPosEmbed`, `get_3d_rotary_pos_embed` of CogVideoX /
    // EasyAnimate) are tested with the family in Tests/ModelsTests; here the generic builders.

    func testFractionalPositionsAndLayoutsAgainstComplexReference() {
        let frames: [Double] = [0, 1], rows: [Double] = [0, 0.75, 1.5], cols: [Double] = [0.2, 2.9]
        let dh = 32
        let dims = (time: 8, height: 12, width: 12)   // the t | h | w split of CogVideoX for dh 32
        let table = Rotary.table3D(framePositions: frames, rowPositions: rows, columnPositions: cols,
                                   dims: dims, precision: .float32)
        let s = 12
        let x = randomTensor([1, s, 2, dh], seed: 62)
        let want = Reference.rotateHeads(x.data, shape: x.shape) { token in
            [(frames[token / 6], dims.time), (rows[token / 2 % 3], dims.height), (cols[token % 2], dims.width)]
        }
        // Float32 angles: |pos·ω| ≤ 3 carries ≤ 2 ulp(4) ≈ 1e-6 of angle error, plus output rounding.
        assertClose(x.applyingRotary(table), want, tolerance: 3e-6)
        // The same values in [B, Nh, S, dh] layout.
        let heads = x.permuted([0, 2, 1, 3]).applyingRotary(table, layout: .headsSequence).permuted([0, 2, 1, 3])
        XCTAssertEqual(heads, x.applyingRotary(table))
    }

    func testOneDimensionalTableIsRepeatInterleaved() {
        let t = Rotary.table(positions: [0, 3], dim: 8, precision: .float64)
        XCTAssertEqual(Array(t.cos.data[0..<8]), [Float](repeating: 1, count: 8))
        for i in 0..<4 {
            let angle = 3 / Foundation.pow(10_000.0, Double(2 * i) / 8)
            XCTAssertEqual(t.cos[1, 2 * i], Float(Foundation.cos(angle)))
            XCTAssertEqual(t.cos[1, 2 * i + 1], Float(Foundation.cos(angle)))
            XCTAssertEqual(t.sin[1, 2 * i + 1], Float(Foundation.sin(angle)))
        }
    }

    func testTimestepEmbeddingAgainstDouble() {
        let ts: [Float] = [0, 1, 17, 250.5, 999]
        for (dim, flip, shift, scale) in [(256, true, 0.0, 1.0), (33, false, 1.0, 2.0), (6, true, 0.0, 1.0)] {
            let got = SinusoidalEmbedding.timesteps(ts, dim: dim, flipSinToCos: flip,
                                                    downscaleFreqShift: Float(shift), scale: Float(scale))
            XCTAssertEqual(got.shape, [5, dim])
            let want = ts.flatMap {
                Reference.timestepEmbedding(Double($0), dim: dim, flipSinToCos: flip, shift: shift, scale: scale, maxPeriod: 10_000)
            }
            // Float32 arguments (as torch computes them): the frequency carries ≤ ~3e-7·|exponent|
            // relative error and t·freq one more rounding, so for t·scale ≤ 2000 the angle is off by
            // ≤ 2000·(0.37·3e-7 + 6e-8) ≈ 3.4e-4; sin/cos inherit that.
            assertClose(got, want, tolerance: 4e-4, "dim \(dim)")
        }
    }

    func testTimestepEmbeddingAgainstTorch() throws {
        let fixture = try OpsFixture.load()
        let ts = try fixture("timesteps").data
        // Same float32 steps as torch; torch's vectorised exp may differ by 1 ulp (6e-8 relative),
        // which moves an angle of up to 999 by ≤ 6e-5; 1e-4 allows that plus sin/cos rounding.
        assertClose(SinusoidalEmbedding.timesteps(ts, dim: 128),
                    try fixture("temb_128_flip_shift0").doubles, tolerance: 1e-4)
        let odd = SinusoidalEmbedding.timesteps(ts, dim: 33, flipSinToCos: false, downscaleFreqShift: 1, scale: 2)
        assertClose(odd, try fixture("temb_33_noflip_shift1_scale2").doubles, tolerance: 1e-4)
        XCTAssertEqual(odd[0, 32], 0)   // odd dim: zero column at the end
    }

    func testSinCosPositionEmbeddings() throws {
        let fixture = try OpsFixture.load()
        // Double angles rounded once to Float, as torch: ≤ 1 ulp of values ≤ 1.
        assertClose(SinusoidalEmbedding.positions2D(dim: 8, height: 3, width: 4, baseSize: 2),
                    try fixture("sincos2d_8_3x4_base2").doubles, tolerance: 1.2e-7)
        let e = SinusoidalEmbedding.positions1D([0, 2], dim: 4)
        XCTAssertEqual(e.data, [0, 0, 1, 1, Float(Foundation.sin(2.0)), Float(Foundation.sin(0.02)),
                                Float(Foundation.cos(2.0)), Float(Foundation.cos(0.02))])
    }
}
