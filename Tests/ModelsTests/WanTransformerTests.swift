import Foundation
@testable import Models
import TensorCore
import WeightsIO
import XCTest

// WanTransformer3DModel (diffusers 0.42.1 transformer_wan.py) against the fixtures of
// tools/reference/wan_fixtures.py `write_transformer`: a tiny random model (2 heads × 12,
// ffn 32, 2 layers, text_dim 16, patch 1×2×2) and four forward cases, plus the internals of
// `int_timestep` (rope, patch embedding, condition embedder, each block's output).
//
// Tolerance: max relative error ≤ 1e-4 (|Δ|max / |expected|max). Our sums run in float32
// like torch's, but in a different order (OpenBLAS GEMM blocking, conv3d by im2col, tiled
// online-softmax attention, LayerNorm/RMSNorm statistics in Double), so results differ by
// a few float32 ulps per op. Measured (printed by the tests): full outputs ≤ 9.6e-7
// (int 5.1e-7, non-square 4.9e-7, batch-2 9.6e-7, float timestep 7.1e-7); internals ≤ 1.9e-6
// (temb; rope and patch embedding are bit-exact). 1e-4 leaves headroom for other BLAS builds
// while still catching any real mistake (a wrong order or sign gives errors ≥ 1e-2).
final class WanTransformerTests: XCTestCase {
    static let tolerance: Float = 1e-4
    static let caseNames = ["int_timestep", "nonsquare_3f", "batch2", "float_timestep"]

    private func model() throws -> WanTransformer3DModel {
        try WanTransformer3DModel.load(folder: Fixtures.url("wan/transformer"))
    }

    private func cases() throws -> SafetensorsFile {
        try Fixtures.cases("wan/transformer_cases.safetensors")
    }

    /// Runs fixture case `name` through `model`.
    private func run(_ model: WanTransformer3DModel, _ file: SafetensorsFile, _ name: String,
                     hiddenStates: Tensor? = nil) throws -> Tensor {
        try model(hiddenStates ?? file.tensor("\(name).hidden_states"),
                  timestep: file.tensor("\(name).timestep").data,
                  encoderHiddenStates: file.tensor("\(name).encoder_hidden_states"))
    }

    // MARK: Parity

    func testParityEveryCase() throws {
        let model = try model()
        let file = try cases()
        for name in Self.caseNames {
            let output = try run(model, file, name)
            let expected = try file.tensor("\(name).output")
            print("WanTransformer \(name): max relative error \(maxRelativeError(output, expected))")
            assertClose(output, expected, tolerance: Self.tolerance, name)
        }
    }

    /// The text encoded once (`encodeText`, what the denoising loop reuses at every step) gives
    /// the numbers of passing the embeddings each call, and a batch of two prompts (guidance's
    /// batched call) gives each prompt's own output.
    func testEncodedTextAndBatchedPromptsGiveEachPromptsOutput() throws {
        let model = try model()
        let file = try cases()
        let x = try file.tensor("int_timestep.hidden_states")
        let t = try file.tensor("int_timestep.timestep").data
        let text = try file.tensor("int_timestep.encoder_hidden_states")
        let other = text * -0.5
        XCTAssertEqual(x.shape[0], 1)
        let direct = try model(x, timestep: t, encoderHiddenStates: text)
        let encoded = try model(x, timestep: t, text: model.encodeText(text))
        XCTAssertEqual(encoded.data, direct.data, "same ops in the same order")
        let otherDirect = try model(x, timestep: t, encoderHiddenStates: other)
        let both = try model(Tensor.concatenate([x, x], axis: 0), timestep: t + t,
                             text: model.encodeText(Tensor.concatenate([text, other], axis: 0)))
            .chunked(2, axis: 0)
        // Each sample's rows are computed alone; only the GEMMs' blocking differs with twice
        // the rows (OpenBLAS picks kernels by size): measured 1.7e-7 and 2.3e-7. 1e-6 is a few
        // ulps; a sample reading the other's rows would be off by the prompts' difference (> 1e-3).
        print("WanTransformer batched prompts: max relative error \(maxRelativeError(both[0], direct)), \(maxRelativeError(both[1], otherDirect))")
        assertClose(both[0], direct, tolerance: 1e-6, "first prompt of the batch")
        assertClose(both[1], otherDirect, tolerance: 1e-6, "second prompt of the batch")
        XCTAssertGreaterThan(maxRelativeError(direct, otherDirect), 1e-3, "the two prompts must differ")
        // Encoded for another batch size: a clear error, not a crash.
        XCTAssertThrowsError(try model(Tensor.concatenate([x, x], axis: 0), timestep: t, text: model.encodeText(text)))
    }

    func testParityInternals() throws {
        let model = try model()
        let file = try cases()
        func expect(_ key: String) throws -> Tensor { try file.tensor("int_timestep.\(key)") }
        func check(_ actual: Tensor, _ key: String) throws {
            let expected = try expect(key)
            print("WanTransformer int_timestep.\(key): max relative error \(maxRelativeError(actual, expected))")
            assertClose(actual, expected, tolerance: Self.tolerance, key)
        }
        let hidden = try expect("hidden_states")
        let grid = try model.patchGrid(hidden)
        XCTAssertEqual([grid.frames, grid.height, grid.width], [2, 8, 8])

        let rope = model.rotaryTable(grid)
        let S = rope.sequenceLength, dh = rope.headDim
        try check(rope.cos.reshaped([1, S, 1, dh]), "rope_cos")
        try check(rope.sin.reshaped([1, S, 1, dh]), "rope_sin")
        try check(model.patchEmbedding(hidden), "patch_embedding")

        let (temb, projection) = model.conditionEmbedder.time(try expect("timestep").data)
        try check(temb, "temb")
        try check(projection, "timestep_proj")
        try check(model.conditionEmbedder.text(try expect("encoder_hidden_states")), "text_context")

        // Each block on diffusers' own inputs, so a block error is not hidden by earlier ones.
        let D = model.config.innerDim
        let tproj = try expect("timestep_proj").reshaped([1, 6, D])
        let context = try expect("text_context")
        var x = try expect("patch_embedding")
        for (index, block) in model.blocks.enumerated() {
            let output = try block(x, text: block.crossAttention.keysValues(context: context), timestepProjection: tproj, rotary: rope)
            try check(output, "block\(index)_output")
            x = try expect("block\(index)_output")
        }
    }

    // MARK: Behaviour

    /// Full 3-D attention: a change in latent frame 0 reaches the last output frame, and a
    /// change at one spatial position of frame 0 reaches a different position of that frame.
    func testFullAttentionMixesFrames() throws {
        let model = try model()
        let file = try cases()
        let name = "nonsquare_3f"                              // [1, 4, 3, 8, 12]
        let hidden = try file.tensor("\(name).hidden_states")
        let base = try run(model, file, name)
        let (C, F, H, W) = (hidden.shape[1], hidden.shape[2], hidden.shape[3], hidden.shape[4])

        // Perturb only the first 2×2 patch (h, w < 2) of frame 0, every channel.
        var perturbed = hidden
        for c in 0..<C { for h in 0..<2 { for w in 0..<2 {
            perturbed.data[hidden.flatIndex([0, c, 0, h, w])] += 1
        } } }
        let output = try run(model, file, name, hiddenStates: perturbed)

        func frameDifference(_ f: Int, hRange: Range<Int>, wRange: Range<Int>) -> Float {
            var d: Float = 0
            for c in 0..<C { for h in hRange { for w in wRange {
                let i = base.flatIndex([0, c, f, h, w])
                d = max(d, abs(output.data[i] - base.data[i]))
            } } }
            return d
        }
        // The last frame, at the far corner patch (no token overlap with the perturbed patch).
        XCTAssertGreaterThan(frameDifference(F - 1, hRange: (H - 2)..<H, wRange: (W - 2)..<W), 1e-4,
                             "frame 0 must influence the last frame through attention")
        XCTAssertGreaterThan(frameDifference(F - 1, hRange: 0..<H, wRange: 0..<W), 1e-3)
    }

    func testBatchOfTwoEqualsTwoSingleRuns() throws {
        let model = try model()
        let file = try cases()
        let hidden = try file.tensor("batch2.hidden_states")        // [2, 4, 2, 8, 8]
        let text = try file.tensor("batch2.encoder_hidden_states")   // [2, 7, 16]
        let timesteps = try file.tensor("batch2.timestep").data      // [999, 3]
        let batched = try model(hidden, timestep: timesteps, encoderHiddenStates: text)
        for b in 0..<2 {
            let single = try model(hidden.narrowed(axis: 0, start: b, length: 1), timestep: [timesteps[b]],
                                   encoderHiddenStates: text.narrowed(axis: 0, start: b, length: 1))
            // Only GEMM blocking over a different row count differs: a few ulps.
            assertClose(single, batched.narrowed(axis: 0, start: b, length: 1), tolerance: 1e-6, "item \(b)")
        }
    }

    /// A checkpoint stored in F16 loads with half-size linear weights and gives nearly the
    /// F32 model's output. Tolerance 5e-3: every weight is rounded to F16 (relative step
    /// 2^-11 ≈ 4.9e-4); over ~20 dependent matmuls of two blocks those roundings add up to
    /// ≈5e-4 relative (measured 4.9e-4 int_timestep, 4.0e-4 batch2); a wrongly widened weight gives O(1).
    func testFloat16StorageLoadsAndRuns() throws {
        let folder = try temporaryCopy(dtype: .float16)
        defer { try? FileManager.default.removeItem(at: folder) }
        let half = try WanTransformer3DModel.load(folder: folder)
        XCTAssertTrue(half.holdsHalfPrecisionWeights)
        let full = try model()
        XCTAssertFalse(full.holdsHalfPrecisionWeights)
        let file = try cases()
        for name in ["int_timestep", "batch2"] {
            let output = try run(half, file, name)
            let reference = try run(full, file, name)
            print("WanTransformer F16 \(name): max relative error vs F32 \(maxRelativeError(output, reference))")
            assertClose(output, reference, tolerance: 5e-3, "F16 \(name)")
        }
    }

    func testStrictLoadingNamesAMissingKey() throws {
        let folder = try temporaryCopy(dtype: .float32, dropping: "blocks.1.attn2.norm_k.weight")
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertThrowsError(try WanTransformer3DModel.load(folder: folder)) { error in
            guard let strict = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(strict.missing.map(\.key), ["blocks.1.attn2.norm_k.weight"])
        }
    }

    // MARK: Errors

    func testUnsupportedConfigsThrowNamingKeyAndValue() throws {
        let url = Fixtures.url("wan/transformer/config.json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        for (key, value, shown) in [("qk_norm", "rms_norm" as Any, "\"rms_norm\""), ("image_dim", 1280 as Any, "1280"),
                                    ("added_kv_proj_dim", 64 as Any, "64")] {
            var edited = json
            edited[key] = value
            let data = try JSONSerialization.data(withJSONObject: edited)
            let config = try ConfigDecoding.decode(WanTransformerConfig.self, from: data, path: "config.json")
            XCTAssertThrowsError(try config.validate()) { error in
                guard case let .unsupportedConfig(k, v, _)? = error as? WanTransformerError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(k, key)
                XCTAssertEqual(v, shown)
            }
            XCTAssertThrowsError(try WanTransformer3DModel(config: config, weights: Fixtures.weights("wan/transformer")))
        }
    }

    func testInputErrors() throws {
        let model = try model()
        let text = Tensor(zeros: [1, 5, 16])
        XCTAssertThrowsError(try model(Tensor(zeros: [1, 4, 2, 15, 16]), timestep: [1], encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? WanTransformerError, .notDivisibleByPatch(axis: "height", size: 15, patch: 2))
        }
        XCTAssertThrowsError(try model(Tensor(zeros: [1, 4, 2, 16, 7]), timestep: [1], encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? WanTransformerError, .notDivisibleByPatch(axis: "width", size: 7, patch: 2))
        }
        let hidden = Tensor(zeros: [1, 4, 1, 4, 4])
        XCTAssertThrowsError(try model(hidden, timestep: [1], encoderHiddenStates: Tensor(zeros: [1, 5, 8]))) {
            XCTAssertEqual($0 as? WanTransformerError, .textShape(shape: [1, 5, 8], batch: 1, textDim: 16))
        }
        XCTAssertThrowsError(try model(Tensor(zeros: [1, 3, 1, 4, 4]), timestep: [1], encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? WanTransformerError, .hiddenStatesShape(shape: [1, 3, 1, 4, 4], inChannels: 4))
        }
        XCTAssertThrowsError(try model(hidden, timestep: [1, 2, 3], encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? WanTransformerError, .timestepCount(count: 3, batch: 1))
        }
        // rope_max_seq_len is 32 in the fixture config: 33 frames have no rotary position.
        XCTAssertThrowsError(try model(Tensor(zeros: [1, 4, 33, 2, 2]), timestep: [1], encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? WanTransformerError,
                           .gridTooLarge(axis: "frames", positions: 33, ropeMaxSequenceLength: 32))
        }
    }

    func testPreCancelledFlagThrowsCancelledError() throws {
        let model = try model()
        let flag = CancellationFlag()
        flag.cancel()
        XCTAssertThrowsError(try model(Tensor(zeros: [1, 4, 1, 4, 4]), timestep: [1],
                                       encoderHiddenStates: Tensor(zeros: [1, 5, 16]), cancellation: flag)) {
            XCTAssertEqual($0 as? CancelledError, CancelledError())
        }
    }

    // MARK: Helpers

    /// A copy of the fixture transformer folder with every tensor written as `dtype`,
    /// optionally without one key.
    private func temporaryCopy(dtype: SafetensorsDType, dropping dropped: String? = nil) throws -> URL {
        try temporaryModelCopy("wan/transformer", weights: "diffusion_pytorch_model.safetensors", dtype: dtype,
                               dropping: dropped)
    }
}
