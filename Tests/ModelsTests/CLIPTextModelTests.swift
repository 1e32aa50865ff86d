import Foundation
import Models
import TensorCore
import WeightsIO
import XCTest

/// `CLIPTextModel` against transformers 5.24.0 (`tools/reference/clip_fixtures.py`): every case
/// of both encoders, `text_encoder` (`quick_gelu`) and `text_encoder_gelu` (exact `gelu`).
///
/// Tolerance: max |Δ| / max |expected| ≤ 1e-4. Both sides compute in float32; they differ only in
/// accumulation order (OpenBLAS vs torch GEMMs, the tiled online softmax, LayerNorm's mean and
/// variance). The measured worst case is 5.0e-7 (gelu, 77 tokens; quick_gelu 3.4e-7; short cases
/// 2.9e-7 / 4.5e-7), so 1e-4 leaves a wide margin for other BLAS builds while a wrong
/// activation, a dropped bias, a missing causal mask or an unscaled attention fails (≥ 1e-2).
final class CLIPTextModelTests: XCTestCase {
    static let tolerance: Float = 1e-4
    static let encoders = ["text_encoder", "text_encoder_gelu"]

    private func model(_ name: String) throws -> CLIPTextModel {
        try CLIPTextModel.load(folder: Fixtures.url("clip/\(name)"))
    }

    private func cases(_ name: String) throws -> SafetensorsFile { try Fixtures.cases("clip/\(name)_cases.safetensors") }

    func testShortMasked() throws {
        for name in Self.encoders {
            let cases = try cases(name), model = try model(name)
            let ids = try intRows(cases.tensor("short.input_ids"))
            let mask = try intRows(cases.tensor("short.attention_mask"))
            let out = try model(inputIDs: ids, attentionMask: mask)
            try report(out, cases.tensor("short.last_hidden_state_masked"), "\(name) short masked")
            // Only the padded rows differ from the unmasked run, and they must.
            let unmasked = try cases.tensor("short.last_hidden_state_unmasked")
            XCTAssertGreaterThan(maxRelativeError(out, unmasked), 100 * Self.tolerance, name)
        }
    }

    func testShortUnmasked() throws {
        for name in Self.encoders {
            let cases = try cases(name), model = try model(name)
            let ids = try intRows(cases.tensor("short.input_ids"))
            let out = try model.encode(inputIDs: ids)
            try report(out, cases.tensor("short.last_hidden_state_unmasked"), "\(name) short unmasked")
        }
    }

    func testAll77Positions() throws {
        for name in Self.encoders {
            let cases = try cases(name), model = try model(name)
            let ids = try intRows(cases.tensor("full.input_ids"))
            XCTAssertEqual(ids[0].count, 77)
            let out = try model(inputIDs: ids)
            try report(out, cases.tensor("full.last_hidden_state"), "\(name) full 77")
        }
    }

    func testActivationsFollowConfig() throws {
        XCTAssertEqual(try model("text_encoder").config.activation(), .quickGELU)
        XCTAssertEqual(try model("text_encoder_gelu").config.activation(), .gelu)
    }

    /// `pooler_output` is the hidden state at each row's first EOS (999): row 0 position 11,
    /// row 1 position 6; with a pre-#24773 config (`eos_token_id` 2) at the largest id, here the same.
    func testPooledOutputTakesTheEOSRow() throws {
        let cases = try cases("text_encoder"), model = try model("text_encoder")
        let ids = try intRows(cases.tensor("short.input_ids"))
        XCTAssertEqual(model.config.poolingRule, .firstEOS(999))
        let output = try model.encodeWithPooling(inputIDs: ids)
        XCTAssertEqual(output.pooledOutput.shape, [2, 32])
        XCTAssertEqual(output.pooledOutput.selecting(axis: 0, index: 0),
                       output.lastHiddenState.selecting(axis: 0, index: 0).selecting(axis: 0, index: 11))
        XCTAssertEqual(output.pooledOutput.selecting(axis: 0, index: 1),
                       output.lastHiddenState.selecting(axis: 0, index: 1).selecting(axis: 0, index: 6))

        var config = model.config
        config.eosTokenID = 2
        XCTAssertEqual(config.poolingRule, .largestTokenID)
        let legacy = try CLIPTextModel(config: config, weights: Fixtures.weights("clip/text_encoder"))
        XCTAssertEqual(try legacy.encodeWithPooling(inputIDs: ids).pooledOutput, output.pooledOutput)
    }

    func testTextEncoderProtocol() throws {
        let encoder: any TextEncoder = try model("text_encoder")
        XCTAssertEqual(encoder.hiddenSize, 32)
        XCTAssertEqual(encoder.maxPositions, 77)
    }

    // MARK: Key spellings

    /// A transformers-4 style checkpoint (`text_model.` prefix, persisted `position_ids` buffer)
    /// loads strictly and gives the same output.
    func testTextModelPrefixedKeysLoad() throws {
        let source = Fixtures.url("clip/text_encoder")
        let original = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        XCTAssertFalse(original.names.contains { $0.hasPrefix("text_model.") })
        var stored: [String: StoredTensor] = [:]
        for name in original.names { stored["text_model." + name] = try original.stored(name) }
        let positionIDs = (0..<Int64(77)).flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        stored["text_model.embeddings.position_ids"] = try StoredTensor(dtype: .int64, shape: [1, 77], bytes: positionIDs)

        let folder = try temporaryFolder(copying: source.appendingPathComponent("config.json"))
        defer { try? FileManager.default.removeItem(at: folder) }
        try SafetensorsWriter.write(stored: stored, to: folder.appendingPathComponent("model.safetensors"))

        let cases = try cases("text_encoder")
        let ids = try intRows(cases.tensor("short.input_ids"))
        let mask = try intRows(cases.tensor("short.attention_mask"))
        let prefixed = try CLIPTextModel.load(folder: folder)
        XCTAssertEqual(try prefixed(inputIDs: ids, attentionMask: mask),
                       try model("text_encoder")(inputIDs: ids, attentionMask: mask))
    }

    func testUnexpectedKeyFailsStrictLoading() throws {
        let source = Fixtures.url("clip/text_encoder")
        let original = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var stored: [String: StoredTensor] = [:]
        for name in original.names { stored[name] = try original.stored(name) }
        stored["text_projection.weight"] = try StoredTensor(Tensor(zeros: [16, 32]), as: .float32)
        let folder = try temporaryFolder(copying: source.appendingPathComponent("config.json"))
        defer { try? FileManager.default.removeItem(at: folder) }
        try SafetensorsWriter.write(stored: stored, to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try CLIPTextModel.load(folder: folder)) { error in
            guard let strict = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(strict.unused.map(\.key), ["text_projection.weight"])
        }
    }

    // MARK: Errors

    func testSequenceLongerThanPositionsIsRejected() throws {
        let model = try model("text_encoder")
        let ids = [[998] + [Int](repeating: 5, count: 76) + [999]]  // 78 tokens
        XCTAssertThrowsError(try model(inputIDs: ids)) { error in
            XCTAssertEqual(error as? TextEncoderError, .sequenceTooLong(length: 78, maxPositions: 77))
            XCTAssertTrue("\(error)".contains("78") && "\(error)".contains("77"), "\(error)")
        }
    }

    func testTokenOutOfRangeIsRejected() throws {
        let model = try model("text_encoder")
        XCTAssertThrowsError(try model(inputIDs: [[998, 1000, 999]])) { error in
            XCTAssertEqual(error as? TextEncoderError, .tokenOutOfRange(id: 1000, vocabSize: 1000, row: 0, position: 1))
            XCTAssertTrue("\(error)".contains("1000"))
        }
    }

    func testUnsupportedActivationIsRejected() throws {
        let url = Fixtures.url("clip/text_encoder/config.json")
        let text = try String(contentsOf: url, encoding: .utf8)
            .replacingOccurrences(of: "\"quick_gelu\"", with: "\"gelu_fast\"")
        let config = try ConfigDecoding.decode(CLIPTextConfig.self, from: Data(text.utf8), path: url.path)
        XCTAssertThrowsError(try CLIPTextModel(config: config, weights: Fixtures.weights("clip/text_encoder"))) { error in
            XCTAssertEqual(error as? TextEncoderError, .unsupportedActivation("gelu_fast"))
        }
    }

    private func report(_ actual: Tensor, _ expected: Tensor, _ what: String) throws {
        print("[CLIP] \(what): max relative error \(maxRelativeError(actual, expected))")
        assertClose(actual, expected, tolerance: Self.tolerance, what)
    }
}

/// `clip_skip` as the SD-family pipelines apply it (`hidden_states[-(clip_skip + 1)]`, then
/// `final_layer_norm`), against TextToVideoSDPipeline.encode_prompt(clip_skip=1) on the tiny
/// text-to-video-sd pipeline's encoder (tools/reference/text_to_video_sd_fixtures.py).
final class CLIPSkipTests: XCTestCase {
    func testClipSkipMatchesThePipelinesEncodePrompt() throws {
        let model = try CLIPTextModel.load(folder: Fixtures.url("text-to-video-sd/pipeline/text_encoder"))
        let cases = try Fixtures.cases("text-to-video-sd/ddim_latents.safetensors")
        let ids = try intRows(cases.tensor("prompt_input_ids"))
        XCTAssertEqual(ids[0].count, 77)
        // Same tolerance and reason as the CLIP encoder tests above (float32 sums in another order).
        let skipped = try model.encode(inputIDs: ids, skippingLastLayers: 1)
        XCTAssertLessThanOrEqual(maxRelativeError(skipped, try cases.tensor("prompt_embeds_clip_skip1")),
                                 CLIPTextModelTests.tolerance)
        let last = try model.encode(inputIDs: ids, skippingLastLayers: 0)
        XCTAssertLessThanOrEqual(maxRelativeError(last, try cases.tensor("prompt_embeds")), CLIPTextModelTests.tolerance)
        XCTAssertGreaterThan(maxRelativeError(skipped, last), 100 * CLIPTextModelTests.tolerance, "skipping a layer changes the output")
        XCTAssertThrowsError(try model.encode(inputIDs: ids, skippingLastLayers: 2)) { error in
            XCTAssertTrue("\(error)".contains("must be from 0 to 1"), "\(error)")
        }
    }
}
