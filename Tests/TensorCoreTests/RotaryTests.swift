import XCTest
import Reference
@testable import TensorCore

final class RotaryTests: XCTestCase {
    /// Applies the complex-number reference to every head vector of `[B, S, Nh, dh]`.
    private func referenceRotation(_ x: Tensor, tokenParts: (Int) -> [(position: Double, width: Int)]) -> [Double] {
        let (b, s, nh, dh) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out: [Double] = []
        for row in 0..<(b * s * nh) {
            let v = x.data[(row * dh)..<((row + 1) * dh)].map(Double.init)
            out += Reference.rotate(v, parts: tokenParts((row / nh) % s))
        }
        return out
    }

    func testWanAxisSplit() {
        XCTAssertTrue(Rotary.wanAxisDims(headDim: 128) == (44, 42, 42))
        XCTAssertTrue(Rotary.wanAxisDims(headDim: 12) == (4, 4, 4))
        XCTAssertTrue(Rotary.cogVideoXAxisDims(headDim: 64) == (16, 24, 24))
    }

    func testWanRotaryAgainstComplexReference() {
        let (f, h, w, dh) = (2, 3, 4, 20)
        let table = Rotary.wanTable(frames: f, height: h, width: w, headDim: dh)
        XCTAssertEqual(table.cos.shape, [f * h * w, dh])
        let x = randomTensor([2, f * h * w, 3, dh], seed: 61)
        let dims = Rotary.wanAxisDims(headDim: dh)
        let want = referenceRotation(x) { token in
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

    func testFractionalPositionsAndLayoutsAgainstComplexReference() {
        let frames: [Double] = [0, 1], rows: [Double] = [0, 0.75, 1.5], cols: [Double] = [0.2, 2.9]
        let dh = 32
        let table = Rotary.cogVideoXTable(framePositions: frames, rowPositions: rows, columnPositions: cols, headDim: dh)
        let dims = Rotary.cogVideoXAxisDims(headDim: dh)
        let s = 12
        let x = randomTensor([1, s, 2, dh], seed: 62)
        let want = referenceRotation(x) { token in
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
