import Reference
import TensorCore
import XCTest
@testable import Models

// The Wan VAE's RMS norm kernel (diffusers 0.42.1 models/autoencoders/autoencoder_kl_wan.py
// `WanRMS_norm`, `Tensor.wanRMSNorm` in Sources/Models/WanVAE/WanRMSNorm.swift) against the
// Double reference. Statistics are Double in both; the kernel's Float output pass
// (x·factor·γ + b) adds ≤ 4 roundings.
final class WanRMSNormTests: XCTestCase {
    func testWanRMSNorm5DAnd4DAndLastAxis() {
        for shape in [[2, 6, 3, 4, 5], [3, 6, 4, 5]] {
            let x = randomTensor(shape, seed: 31)
            let gamma = randomTensor([6, 1, 1, 1], seed: 32)
            // Output magnitude ≤ √6·|γ| ≈ 5: ≤ 4 roundings of ulp(8) → 4e-6.
            assertClose(x.wanRMSNorm(gamma: gamma),
                        Reference.wanRMSNorm(x.data, shape: shape, gamma: gamma.data, axis: 1), tolerance: 4e-6, "\(shape)")
        }
        let x = randomTensor([2, 7, 6], seed: 33)
        let gamma = randomTensor([6], seed: 34)
        assertClose(x.wanRMSNorm(gamma: gamma, axis: -1),
                    Reference.wanRMSNorm(x.data, shape: [2, 7, 6], gamma: gamma.data, axis: 2), tolerance: 4e-6)
    }

    func testWanRMSNormOfZerosIsZeroNotNaN() {
        // max(‖x‖, 1e-12) guards the division: zeros stay zeros.
        let y = Tensor(zeros: [1, 4, 2, 2]).wanRMSNorm(gamma: Tensor(repeating: 1, shape: [4]))
        XCTAssertEqual(y.data, [Float](repeating: 0, count: 16))
    }

    func testWanRMSNormLargeSpatialUsesChunks() {
        // More than one 256-position chunk per sample, and a ragged last chunk.
        let shape = [1, 5, 2, 17, 19]
        let x = randomTensor(shape, seed: 35)
        let gamma = randomTensor([5], seed: 36)
        assertClose(x.wanRMSNorm(gamma: gamma),
                    Reference.wanRMSNorm(x.data, shape: shape, gamma: gamma.data, axis: 1), tolerance: 4e-6)
    }

    func testFusedActivationEqualsNormThenActivation() {
        // The residual blocks' `norm(x, activation: .silu)` applies the same SiLU kernel to the
        // same values as `norm(x).silu()`, only row by row: the results are identical. Shape with
        // several 256-position chunks and a ragged last one, for both axes.
        let x = randomTensor([2, 5, 2, 17, 19], seed: 37)
        let gamma = randomTensor([5, 1, 1, 1], seed: 38)
        for activation in [Activation.silu, .gelu, .relu] {
            XCTAssertEqual(x.wanRMSNorm(gamma: gamma, activation: activation).data,
                           x.wanRMSNorm(gamma: gamma).activated(activation).data, "\(activation)")
        }
        let rows = randomTensor([3, 9, 6], seed: 39)
        let g = randomTensor([6], seed: 40)
        XCTAssertEqual(rows.wanRMSNorm(gamma: g, axis: -1, activation: .silu).data,
                       rows.wanRMSNorm(gamma: g, axis: -1).silu().data)
    }
}
