import Foundation
@testable import Models
import TensorCore
import WeightsIO
import XCTest

// WanTransformer3DModel with per-token timesteps (diffusers 0.42.1 transformer_wan.py, the 2-D
// `timestep` [B, S] of WanPipeline's `expand_timesteps` path, Wan 2.2 TI2V) against the
// fixtures of tools/reference/wan22_fixtures.py: the transformer of Tests/Fixtures/wan22/pipeline
// (2 heads × 12, ffn 32, 2 layers, in/out 8, text_dim 32, patch 1×2×2) on four cases, the
// per-token internals of `first_frame_zero`, and every transformer call of the two
// end-to-end pipeline runs, whose final latents are also decoded by the residual VAE.
//
// Tolerance: max relative error ≤ 1e-4, derived as for Wan 2.1 (WanTransformerTests): float32
// on both sides, different summation order (GEMM blocking, im2col conv, tiled attention,
// norm statistics in Double), a few ulps per op over two blocks. Per-token modulation adds no
// arithmetic of its own: each token's shift/scale/gate row is the one diffusers computes for
// its t (diffusers itself differs by 3.6e-7 between its 1-D and 2-D paths for the same t,
// GEMM over 18 rows instead of 1). Measured in debug on this machine (printed): outputs
// 5.8e-7 … 1.4e-6, internals ≤ 1.5e-6 (temb), pipeline noise predictions ≤ 1.02e-6, the
// decoded pipeline video ≤ 1.7e-6. Giving every token one t instead of its own gives errors
// ≥ 1e-2 (testTokensUseTheirOwnTimestep), so 1e-4 separates a right port from a wrong one
// with room for other BLAS builds.
final class WanTransformerTokenTimestepTests: XCTestCase {
    static let tolerance: Float = 1e-4

    private func model() throws -> WanTransformer3DModel {
        try WanTransformer3DModel.load(folder: Fixtures.url("wan22/pipeline/transformer"))
    }

    private func cases() throws -> SafetensorsFile {
        try Fixtures.cases("wan22/transformer_cases.safetensors")
    }

    /// The rows of a `[B, S]` fixture timestep tensor.
    private func tokenRows(_ tensor: Tensor) throws -> [[Float]] {
        guard tensor.rank == 2 else { throw FixtureShapeError(shape: tensor.shape, expected: "[B, S]") }
        let S = tensor.shape[1]
        return (0..<tensor.shape[0]).map { Array(tensor.data[($0 * S)..<(($0 + 1) * S)]) }
    }

    /// Runs fixture case `name`: 2-D timesteps through the per-token API, 1-D through the per-sample one.
    private func run(_ model: WanTransformer3DModel, _ file: SafetensorsFile, _ name: String) throws -> Tensor {
        let hidden = try file.tensor("\(name).hidden_states")
        let text = try file.tensor("\(name).encoder_hidden_states")
        let timestep = try file.tensor("\(name).timestep")
        if timestep.rank == 2 {
            return try model(hidden, tokenTimesteps: tokenRows(timestep), encoderHiddenStates: text)
        }
        return try model(hidden, timestep: timestep.data, encoderHiddenStates: text)
    }

    // MARK: Parity

    func testParityEveryCase() throws {
        let model = try model()
        let file = try cases()
        for name in ["uniform", "uniform_1d", "first_frame_zero", "random_batch2"] {
            let output = try run(model, file, name)
            let expected = try file.tensor("\(name).output")
            print("WanTransformer per-token \(name): max relative error \(maxRelativeError(output, expected))")
            assertClose(output, expected, tolerance: Self.tolerance, name)
        }
    }

    func testParityInternals() throws {
        let model = try model()
        let file = try cases()
        func expect(_ key: String) throws -> Tensor { try file.tensor("first_frame_zero.\(key)") }
        func check(_ actual: Tensor, _ key: String) throws {
            let expected = try expect(key)
            print("WanTransformer first_frame_zero.\(key): max relative error \(maxRelativeError(actual, expected))")
            assertClose(actual, expected, tolerance: Self.tolerance, key)
        }
        let D = model.config.innerDim
        let hidden = try expect("hidden_states")                                   // [1, 8, 3, 4, 6]
        let times = try tokenRows(expect("timestep"))                              // 18 tokens: 6 at 0, 12 at 600
        let S = times[0].count
        let time = WanTimeConditioning(perToken: times, embedder: model.conditionEmbedder, dim: D)
        // Two distinct values, so two embedding rows; tokens keep their own.
        XCTAssertEqual(time.temb.shape, [2, D])
        XCTAssertEqual(time.tokenRows, Array(repeating: 0, count: 6) + Array(repeating: 1, count: 12))
        let rows = try XCTUnwrap(time.tokenRows)
        try check(time.temb.gatheringRows(rows).reshaped([1, S, D]), "temb")
        try check(time.projection.reshaped([2, 6 * D]).gatheringRows(rows).reshaped([1, S, 6 * D]), "timestep_proj")

        // Each block on diffusers' own inputs: its per-token projection as 18 rows, one per token.
        let grid = try model.patchGrid(hidden)
        let rope = model.rotaryTable(grid)
        let context = model.conditionEmbedder.text(try expect("encoder_hidden_states"))
        let projection = try expect("timestep_proj").reshaped([S, 6, D])
        var x = model.patchEmbedding(hidden)
        for (index, block) in model.blocks.enumerated() {
            let output = try block(x, text: block.crossAttention.keysValues(context: context), timestepProjection: projection, tokenRows: Array(0..<S),
                                   rotary: rope)
            try check(output, "block\(index)_output")
            x = try expect("block\(index)_output")
        }
    }

    /// The per-token rows matter: giving every token the first frame's t (or the others' t)
    /// moves the output far outside the tolerance.
    func testTokensUseTheirOwnTimestep() throws {
        let model = try model()
        let file = try cases()
        let expected = try file.tensor("first_frame_zero.output")
        let hidden = try file.tensor("first_frame_zero.hidden_states")
        let text = try file.tensor("first_frame_zero.encoder_hidden_states")
        for t: Float in [0, 600] {
            let output = try model(hidden, timestep: [t], encoderHiddenStates: text)
            XCTAssertGreaterThan(maxRelativeError(output, expected), 1e-2, "every token at t = \(t)")
        }
    }

    // MARK: One timestep for every token equals the per-sample path

    func testUniformTokenTimestepsEqualThePerSamplePathBitForBit() throws {
        let model = try model()
        let file = try cases()
        // B = 1: every token at 757.
        let hidden = try file.tensor("uniform.hidden_states")
        let text = try file.tensor("uniform.encoder_hidden_states")
        let S = try model.tokenCount(forLatentShape: hidden.shape)
        XCTAssertEqual(S, 18)
        let perToken = try model(hidden, tokenTimesteps: [Array(repeating: 757, count: S)], encoderHiddenStates: text)
        let perSample = try model(hidden, timestep: [757], encoderHiddenStates: text)
        XCTAssertEqual(perToken, perSample)

        // B = 2 with a different t per sample: rows [t0 …], [t1 …] against timestep [t0, t1].
        let hidden2 = try file.tensor("random_batch2.hidden_states")
        let text2 = try file.tensor("random_batch2.encoder_hidden_states")
        let S2 = try model.tokenCount(forLatentShape: hidden2.shape)
        let rows: [[Float]] = [Array(repeating: 999, count: S2), Array(repeating: 3, count: S2)]
        XCTAssertEqual(try model(hidden2, tokenTimesteps: rows, encoderHiddenStates: text2),
                       try model(hidden2, timestep: [999, 3], encoderHiddenStates: text2))

        // One row serves every sample, as one timestep does.
        let one = try model(hidden2, tokenTimesteps: [Array(repeating: 500, count: S2)], encoderHiddenStates: text2)
        let both = try model(hidden2, tokenTimesteps: Array(repeating: Array(repeating: 500, count: S2), count: 2),
                             encoderHiddenStates: text2)
        XCTAssertEqual(one, both)
        // B = 2 with the same t: one embedding row (a 1-row GEMM) instead of two. Measured
        // bit-identical here; the bound allows a BLAS that sums a 1-row product differently.
        let shared = try model(hidden2, timestep: [500], encoderHiddenStates: text2)
        print("WanTransformer per-token vs per-sample, B = 2, same t: max relative error \(maxRelativeError(one, shared))")
        assertClose(one, shared, tolerance: 1e-6, "same t, B = 2")
    }

    // MARK: The pipeline fixture's transformer calls and decode

    /// Every transformer call of both end-to-end runs (`WanPipeline(expand_timesteps=True)`), on
    /// diffusers' inputs: latents, the [1, S] timestep and the prompt embeddings.
    func testPipelineNoisePredictionsMatchDiffusers() throws {
        let model = try model()
        for run in ["unipc_latents", "unipc_generator"] {
            let file = try Fixtures.cases("wan22/pipeline_\(run).safetensors")
            let prompt = try file.tensor("prompt_embeds")
            let negative = try file.tensor("negative_prompt_embeds")
            for step in 0..<3 {
                let latents = try file.tensor("step\(step).latents_in")            // [1, 8, 2, 2, 4]
                let timestep = try file.tensor("step\(step).timestep")             // [1, 4], every token at t
                let rows = try tokenRows(timestep)
                XCTAssertEqual(rows[0].count, try model.tokenCount(forLatentShape: latents.shape))
                for (what, text) in [("cond", prompt), ("uncond", negative)] {
                    let output = try model(latents, tokenTimesteps: rows, encoderHiddenStates: text)
                    let expected = try file.tensor("step\(step).noise_pred_\(what)")
                    print("WanTransformer \(run) step \(step) \(what): max relative error \(maxRelativeError(output, expected))")
                    assertClose(output, expected, tolerance: Self.tolerance, "\(run) step \(step) \(what)")
                }
            }
        }
    }

    /// The residual VAE decodes the pipeline's final latents to its video: diffusers'
    /// `postprocess_video` is `(x / 2 + 0.5).clamp(0, 1)` as `[F, H, W, 3]`.
    func testPipelineVideoDecodesFromTheFinalLatents() throws {
        let vae = try WanResidualVAEFixtures.model()
        for run in ["unipc_latents", "unipc_generator"] {
            let file = try Fixtures.cases("wan22/pipeline_\(run).safetensors")
            let final = try file.tensor("step2.latents_out")
            let denormalized = try file.tensor("latents_denormalized")
            // WanPipeline divides by 1/std; `denormalize` multiplies by std (≤ 5e-7 apart).
            assertClose(try vae.denormalize(final), denormalized, tolerance: 1e-6, "\(run) denormalize")
            let video = try vae.decode(denormalized)                               // [1, 3, 5, 32, 64]
            var frames = video.permuted([0, 2, 3, 4, 1]).squeezed(axis: 0)          // [F, H, W, 3]
            frames.mapInPlace { min(max($0 / 2 + 0.5, 0), 1) }
            let expected = try file.tensor("video")
            print("WanVAE 2.2 \(run) video: max relative error \(maxRelativeError(frames, expected))")
            assertClose(frames, expected, tolerance: wanResidualVAETolerance, "\(run) video")
        }
    }

    // MARK: Config and errors

    func testWan22ConfigsLoad() throws {
        let fixture = try WanTransformerConfig.load(folder: Fixtures.url("wan22/pipeline/transformer"))
        XCTAssertEqual([fixture.inChannels, fixture.outChannels, fixture.textDim], [8, 8, 32])
        // The transformer/config.json of Wan-AI/Wan2.2-TI2V-5B-Diffusers.
        let json: [String: Any] = [
            "_class_name": "WanTransformer3DModel", "added_kv_proj_dim": NSNull(), "attention_head_dim": 128,
            "cross_attn_norm": true, "eps": 1e-6, "ffn_dim": 14336, "freq_dim": 256, "image_dim": NSNull(),
            "in_channels": 48, "num_attention_heads": 24, "num_layers": 30, "out_channels": 48,
            "patch_size": [1, 2, 2], "pos_embed_seq_len": NSNull(), "qk_norm": "rms_norm_across_heads",
            "rope_max_seq_len": 1024, "text_dim": 4096,
        ]
        let config = try ConfigDecoding.decode(WanTransformerConfig.self, from: JSONSerialization.data(withJSONObject: json),
                                               path: "config.json")
        XCTAssertNoThrow(try config.validate())
        XCTAssertEqual([config.inChannels, config.outChannels, config.innerDim, config.layerCount], [48, 48, 3072, 30])
    }

    func testTokenTimestepShapeErrors() throws {
        let model = try model()
        let hidden = Tensor(zeros: [2, 8, 2, 4, 4])                                 // S = 2 · 2 · 2 = 8
        let text = Tensor(zeros: [2, 3, 32])
        XCTAssertThrowsError(try model(hidden, tokenTimesteps: [Array(repeating: 1, count: 7)], encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? WanTransformerError, .tokenTimestepShape(rowLengths: [7], batch: 2, tokens: 8))
            XCTAssertTrue("\($0)".contains("8 values"), "\($0)")
        }
        let three = Array(repeating: [Float](repeating: 1, count: 8), count: 3)
        XCTAssertThrowsError(try model(hidden, tokenTimesteps: three, encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? WanTransformerError, .tokenTimestepShape(rowLengths: [8, 8, 8], batch: 2, tokens: 8))
        }
        XCTAssertThrowsError(try model.tokenCount(forLatentShape: [1, 8, 2, 3, 4])) {
            XCTAssertEqual($0 as? WanTransformerError, .notDivisibleByPatch(axis: "height", size: 3, patch: 2))
        }
    }
}

extension Tensor {
    /// Rows `rows[i]` of a `[K, N]` tensor stacked into `[rows.count, N]`.
    fileprivate func gatheringRows(_ rows: [Int]) -> Tensor {
        Tensor.concatenate(rows.map { narrowed(axis: 0, start: $0, length: 1) }, axis: 0)
    }
}
