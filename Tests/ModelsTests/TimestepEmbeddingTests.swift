import TensorCore
import XCTest
@testable import Models

// `TimestepEmbedding` and `PixArtAlphaTextProjection` (diffusers 0.42.1 models/embeddings.py)
// against diffusers on tiny random weights (Tests/Fixtures/layers, tools/reference/layers_fixtures.py),
// with the options Wan does not use (out_dim; silu and out_features for the text projection).
//
// Tolerance 1e-5 relative to the largest output: two dot products of ≤ 10 O(1) terms in float32
// in another order than torch's (≤ 10 · 6e-8 each) and silu / tanh of libm vs torch (≤ 2 ulp).
// Measured ≤ 1.4e-7 (printed).
final class TimestepEmbeddingTests: XCTestCase {
    static let tolerance: Float = 1e-5

    func testTimestepEmbeddingWithOutDimAgainstDiffusers() throws {
        let fixture = try LayerFixture("timestep_embedding")
        let embedding = try TimestepEmbedding(fixture.weights, inChannels: 6, timeEmbedDim: 10, activation: .silu,
                                              outDim: 7)
        try fixture.assertOutput(embedding(fixture.tensor("input")), tolerance: Self.tolerance)
    }

    func testTextProjectionGELUTanhAgainstDiffusers() throws {
        let fixture = try LayerFixture("text_projection_gelu_tanh")
        let projection = try PixArtAlphaTextProjection(fixture.weights, inFeatures: 5, hiddenSize: 8)
        try fixture.assertOutput(projection(fixture.tensor("input")), tolerance: Self.tolerance)
    }

    func testTextProjectionSiLUWithOutFeaturesAgainstDiffusers() throws {
        let fixture = try LayerFixture("text_projection_silu")
        let projection = try PixArtAlphaTextProjection(fixture.weights, inFeatures: 5, hiddenSize: 8, outFeatures: 6,
                                                       activation: .silu)
        try fixture.assertOutput(projection(fixture.tensor("input")), tolerance: Self.tolerance)
    }
}
