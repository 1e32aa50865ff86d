import XCTest
import Reference
@testable import TensorCore

// Norm outputs are O(1–3) after normalisation. Statistics are Double in both the kernel and
// the reference; the kernel's Float output pass ((x − μ)·rstd·w + b) adds ≤ 4 roundings,
// i.e. ≤ 4 ulp(4) ≈ 2e-6 — tolerances below are 4e-6 unless stated.

final class NormTests: XCTestCase {
    func testLayerNormWithAndWithoutAffine() {
        let x = randomTensor([2, 5, 48], seed: 21)
        let w = randomTensor([48], seed: 22)
        let b = randomTensor([48], seed: 23)
        assertClose(x.layerNorm(weight: w, bias: b, eps: 1e-5),
                    Reference.layerNorm(x.data, width: 48, weight: w.data, bias: b.data, eps: 1e-5), tolerance: 4e-6)
        assertClose(x.layerNorm(eps: 1e-6),
                    Reference.layerNorm(x.data, width: 48, weight: nil, bias: nil, eps: 1e-6), tolerance: 4e-6)
    }

    func testLayerNormWithLargeMeanKeepsPrecision() {
        // Values 1000 ± 1: a one-pass Float E[x²] − E[x]² would lose every digit here.
        let x = randomTensor([3, 256], seed: 24, in: -1...1) + 1000
        // x itself carries Float rounding at 1000 (ulp 6e-5), relative to a spread of ~0.6:
        // the normalised value inherits ≤ 6e-5/0.6 ≈ 1e-4 from (x − μ) in Float.
        assertClose(x.layerNorm(eps: 1e-5),
                    Reference.layerNorm(x.data, width: 256, weight: nil, bias: nil, eps: 1e-5), tolerance: 2e-4)
    }

    func testRMSNorm() {
        let x = randomTensor([2, 3, 40], seed: 25)
        let w = randomTensor([40], seed: 26)
        assertClose(x.rmsNorm(weight: w, eps: 1e-6),
                    Reference.rmsNorm(x.data, width: 40, weight: w.data, eps: 1e-6), tolerance: 4e-6)
        assertClose(x.rmsNorm(eps: 1e-5),
                    Reference.rmsNorm(x.data, width: 40, weight: nil, eps: 1e-5), tolerance: 4e-6)
    }

    func testGroupNorm4DAnd5D() {
        for shape in [[2, 8, 5, 6], [2, 8, 3, 4, 5]] {
            let x = randomTensor(shape, seed: 27) * 3 + 0.5
            let w = randomTensor([8], seed: 28)
            let b = randomTensor([8], seed: 29)
            assertClose(x.groupNorm(groups: 4, weight: w, bias: b, eps: 1e-6),
                        Reference.groupNorm(x.data, shape: shape, groups: 4, weight: w.data, bias: b.data, eps: 1e-6),
                        tolerance: 4e-6, "\(shape)")
            assertClose(x.groupNorm(groups: 2, eps: 1e-5),
                        Reference.groupNorm(x.data, shape: shape, groups: 2, weight: nil, bias: nil, eps: 1e-5),
                        tolerance: 4e-6, "\(shape) no affine")
        }
    }

    func testGroupNorm5DNormalisesOverTime() {
        // One group per channel: each channel's F·H·W block must have mean 0 and variance 1.
        let x = randomTensor([1, 2, 4, 3, 3], seed: 30) * 5 + 2
        let y = x.groupNorm(groups: 2, eps: 0)
        for c in 0..<2 {
            let block = y.data[(c * 36)..<((c + 1) * 36)].map(Double.init)
            let mean = block.reduce(0, +) / 36
            let variance = block.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 36
            XCTAssertEqual(mean, 0, accuracy: 1e-6)
            XCTAssertEqual(variance, 1, accuracy: 1e-5)
        }
    }
}
