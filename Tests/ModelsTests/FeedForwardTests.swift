import TensorCore
import XCTest
@testable import Models

// `FeedForward` (diffusers 0.42.1 models/attention.py `FeedForward`) against diffusers on tiny
// random weights (Tests/Fixtures/layers, tools/reference/layers_fixtures.py): "geglu" (what the
// SD / UNet3D / AnimateDiff transformer blocks use), exact "gelu" with dim_out, and
// "gelu-approximate" without biases. Wan's "gelu-approximate" with biases is checked by the
// Wan transformer tests.
//
// Tolerance 1e-5 relative to the largest output: each output is two dot products of ≤ 16 terms of
// O(1) values in float32, summed in another order than torch's (≤ 16 · 6e-8 ≈ 1e-6 of the largest
// term each), and erf / tanh of libm vs torch differ by ≤ 2 ulp. Measured ≤ 2e-7 (printed).
final class FeedForwardTests: XCTestCase {
    static let tolerance: Float = 1e-5

    func testGEGLUAgainstDiffusers() throws {
        let fixture = try LayerFixture("ff_geglu")
        let ff = try FeedForward(fixture.weights, dim: 8, mult: 2, activation: .geglu)
        XCTAssertEqual(ff.proj.outFeatures, 32)   // 2 · inner: value rows, then gate rows
        try fixture.assertOutput(ff(fixture.tensor("input")), tolerance: Self.tolerance)
    }

    func testExactGELUWithOutputWidthAgainstDiffusers() throws {
        let fixture = try LayerFixture("ff_gelu")
        let ff = try FeedForward(fixture.weights, dim: 8, dimOut: 6, innerDim: 12, activation: .gelu)
        try fixture.assertOutput(ff(fixture.tensor("input")), tolerance: Self.tolerance)
    }

    func testApproximateGELUWithoutBiasAgainstDiffusers() throws {
        let fixture = try LayerFixture("ff_gelu_approximate_no_bias")
        let ff = try FeedForward(fixture.weights, dim: 8, innerDim: 12, activation: .geluApproximate, bias: false)
        XCTAssertNil(ff.proj.bias)
        try fixture.assertOutput(ff(fixture.tensor("input")), tolerance: Self.tolerance)
    }

    func testActivationNamesAreDiffusers() {
        XCTAssertEqual(FeedForward.ActivationFunction(rawValue: "gelu-approximate"), .geluApproximate)
        XCTAssertEqual(FeedForward.ActivationFunction.allCases.map(\.rawValue), ["gelu", "gelu-approximate", "geglu"])
    }
}
