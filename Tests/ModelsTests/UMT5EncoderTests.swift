import Foundation
import Models
import TensorCore
import WeightsIO
import XCTest

/// `UMT5EncoderModel` against transformers 5.24.0 (`tools/reference/wan_fixtures.py`,
/// `write_text_encoder` and `write_prompt_fixture`).
///
/// Tolerance: max |Δ| / max |expected| ≤ 1e-4. Both sides compute in float32; the only
/// differences are the order of accumulation in the GEMMs (OpenBLAS vs torch's MKL-DNN/
/// OpenMP kernels), the online (tiled) softmax versus torch's two-pass softmax, and the RMS
/// norm's mean. Each is a few ulps (~1e-7 relative) per op; through 2 layers and a final norm
/// the measured worst case is 5.6e-7 (pipeline prompt; 4.6e-7 short, 4.2e-7 long,
/// 3.4e-7 per layer), so 1e-4 leaves a wide margin for other BLAS builds and thread counts while
/// still failing on a wrong bucket, a dropped bias table or a 1/√d scaling (errors ≥ 1e-2).
final class UMT5EncoderTests: XCTestCase {
    static let tolerance: Float = 1e-4

    private func model(_ folder: String = "wan/text_encoder") throws -> UMT5EncoderModel {
        try UMT5EncoderModel.load(folder: Fixtures.url(folder))
    }

    private func cases() throws -> SafetensorsFile { try Fixtures.cases("wan/text_encoder_cases.safetensors") }

    func testMaskedShortBatch() throws {
        let cases = try cases(), model = try model()
        let ids = try intRows(cases.tensor("short.input_ids"))
        let mask = try intRows(cases.tensor("short.attention_mask"))
        let out = try model(inputIDs: ids, attentionMask: mask)
        try report(out, cases.tensor("short.last_hidden_state_masked"), "short masked")
        // The padded row must actually differ from the unmasked run, or the mask was ignored.
        let unmasked = try cases.tensor("short.last_hidden_state_unmasked")
        XCTAssertGreaterThan(maxRelativeError(out, unmasked), 100 * Self.tolerance)
    }

    func testUnmaskedShortBatch() throws {
        let cases = try cases(), model = try model()
        let ids = try intRows(cases.tensor("short.input_ids"))
        let out = try model(inputIDs: ids)
        try report(out, cases.tensor("short.last_hidden_state_unmasked"), "short unmasked")
    }

    func testLayerOutputs() throws {
        let cases = try cases(), model = try model()
        let ids = try intRows(cases.tensor("short.input_ids"))
        let mask = try intRows(cases.tensor("short.attention_mask"))
        let layers = try model.layerOutputs(inputIDs: ids, attentionMask: mask)
        XCTAssertEqual(layers.count, 2)
        for (index, layer) in layers.enumerated() {
            try report(layer, cases.tensor("short.layer_output_masked.\(index)"), "layer \(index) masked")
        }
    }

    /// 140 tokens: relative distances up to 139 reach every bucket, including the boundaries
    /// at 16, 32, 64 and 128 where the float32 log rounding decides the bucket.
    func testLongSequenceUsesEveryBucket() throws {
        let cases = try cases(), model = try model()
        let ids = try intRows(cases.tensor("long.input_ids"))
        XCTAssertEqual(ids[0].count, 140)
        let out = try model(inputIDs: ids)
        try report(out, cases.tensor("long.last_hidden_state"), "long (140 tokens)")
    }

    func testPipelinePromptEncodings() throws {
        let cases = try Fixtures.cases("wan/pipeline_prompt.safetensors")
        let model = try model("wan/pipeline/text_encoder")
        XCTAssertEqual(model.config.vocabSize, 256)
        for name in ["prompt", "negative_prompt"] {
            let ids = try intRows(cases.tensor("\(name).input_ids"))
            let mask = try intRows(cases.tensor("\(name).attention_mask"))
            let out = try model.encode(inputIDs: ids, attentionMask: mask)
            try report(out, cases.tensor("\(name).last_hidden_state"), "pipeline \(name)")
        }
    }

    func testBatchRowsAreIndependent() throws {
        let cases = try cases(), model = try model()
        let ids = try intRows(cases.tensor("short.input_ids"))
        let mask = try intRows(cases.tensor("short.attention_mask"))
        let both = try model(inputIDs: ids, attentionMask: mask)
        let second = try model(inputIDs: [ids[1]], attentionMask: [mask[1]])
        XCTAssertLessThanOrEqual(second.maxAbsDifference(both.sliced(axis: 0, 1..<2)), 1e-5)
    }

    /// A checkpoint stored in F16 / BF16 keeps its linear weights half size, and gives exactly
    /// what the model gives when the same rounded weights are widened to F32 at load (widening is
    /// exact; only where it happens differs). Against the F32 original the rounding of each
    /// weight (F16 step 2^-11, BF16 2^-8) shows: measured 8.7e-4 (F16) and 8.2e-3 (BF16)
    /// relative through 2 layers, bounded by 5e-3 / 3e-2, far below what a wrongly widened
    /// weight gives (O(1)).
    func testHalfPrecisionStorageStaysHalfAndMatchesWidenedWeights() throws {
        let cases = try cases()
        let ids = try intRows(cases.tensor("short.input_ids"))
        let mask = try intRows(cases.tensor("short.attention_mask"))
        let full = try model()
        XCTAssertFalse(full.holdsHalfPrecisionWeights)
        let reference = try full(inputIDs: ids, attentionMask: mask)
        for (dtype, bound) in [(SafetensorsDType.float16, Float(5e-3)), (.bfloat16, 3e-2)] {
            let half = try temporaryModelCopy("wan/text_encoder", weights: "model.safetensors", dtype: dtype)
            let rounded = try temporaryModelCopy("wan/text_encoder", weights: "model.safetensors", dtype: .float32,
                                                 roundedThrough: dtype)
            defer { [half, rounded].forEach { try? FileManager.default.removeItem(at: $0) } }
            let halfModel = try UMT5EncoderModel.load(folder: half)
            XCTAssertTrue(halfModel.holdsHalfPrecisionWeights, "\(dtype)")
            let widened = try UMT5EncoderModel.load(folder: rounded)
            XCTAssertFalse(widened.holdsHalfPrecisionWeights)
            let out = try halfModel(inputIDs: ids, attentionMask: mask)
            XCTAssertEqual(out.data, try widened(inputIDs: ids, attentionMask: mask).data, "\(dtype)")
            let error = maxRelativeError(out, reference)
            print("UMT5 \(dtype) storage: max relative error vs F32 \(error)")
            XCTAssertLessThan(error, bound, "\(dtype)")
        }
    }

    func testTextEncoderProtocol() throws {
        let encoder: any TextEncoder = try model()
        XCTAssertEqual(encoder.hiddenSize, 32)
        XCTAssertNil(encoder.maxPositions)
    }

    // MARK: Key spellings

    /// A checkpoint with both `shared.weight` and `encoder.embed_tokens.weight` (tied copies)
    /// loads strictly and gives the same output; so does one with only `encoder.embed_tokens.weight`.
    func testTiedEmbeddingSpellings() throws {
        let source = Fixtures.url("wan/text_encoder")
        let original = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for name in original.names { tensors[name] = try original.tensor(name) }
        XCTAssertNotNil(tensors["shared.weight"])
        XCTAssertNil(tensors["encoder.embed_tokens.weight"])

        let cases = try cases()
        let ids = try intRows(cases.tensor("short.input_ids"))
        let expected = try model()(inputIDs: ids)

        var both = tensors
        both["encoder.embed_tokens.weight"] = tensors["shared.weight"]
        var onlyEncoder = tensors
        onlyEncoder["encoder.embed_tokens.weight"] = onlyEncoder.removeValue(forKey: "shared.weight")
        for (label, variant) in [("both", both), ("encoder.embed_tokens only", onlyEncoder)] {
            let folder = try temporaryFolder(copying: source.appendingPathComponent("config.json"))
            defer { try? FileManager.default.removeItem(at: folder) }
            try SafetensorsWriter.write(variant, to: folder.appendingPathComponent("model.safetensors"))
            let loaded = try UMT5EncoderModel.load(folder: folder)
            XCTAssertEqual(try loaded(inputIDs: ids), expected, label)
        }
    }

    func testMissingEmbeddingFailsStrictLoading() throws {
        let source = Fixtures.url("wan/text_encoder")
        let original = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for name in original.names where name != "shared.weight" { tensors[name] = try original.tensor(name) }
        let folder = try temporaryFolder(copying: source.appendingPathComponent("config.json"))
        defer { try? FileManager.default.removeItem(at: folder) }
        try SafetensorsWriter.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try UMT5EncoderModel.load(folder: folder)) { error in
            guard let strict = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(strict.missing.map(\.key), ["shared.weight"])
        }
    }

    // MARK: Errors

    func testTokenOutOfRangeNamesIDAndVocabulary() throws {
        let model = try model()
        XCTAssertThrowsError(try model(inputIDs: [[5, 512, 1]])) { error in
            XCTAssertEqual(error as? TextEncoderError, .tokenOutOfRange(id: 512, vocabSize: 512, row: 0, position: 1))
            XCTAssertTrue("\(error)".contains("512"))
        }
        XCTAssertThrowsError(try model(inputIDs: [[5, 6], [-1, 1]])) { error in
            XCTAssertEqual(error as? TextEncoderError, .tokenOutOfRange(id: -1, vocabSize: 512, row: 1, position: 0))
        }
        XCTAssertThrowsError(try model(inputIDs: [[5, 6], [1]])) { error in
            XCTAssertEqual(error as? TextEncoderError, .raggedBatch(rowLengths: [2, 1]))
        }
        XCTAssertThrowsError(try model(inputIDs: [[5, 6]], attentionMask: [[1]])) { error in
            XCTAssertEqual(error as? TextEncoderError, .attentionMaskShape(expected: [1, 2], actual: [1, 1]))
        }
        XCTAssertThrowsError(try model(inputIDs: [])) { error in
            XCTAssertEqual(error as? TextEncoderError, .emptyInput)
        }
    }

    func testUnsupportedFeedForwardIsRejected() throws {
        for value in ["gated-foo", "swiglu-gated-gelu", "bogus", "gelu-gated"] {
            let config = try umt5Config(replacing: "\"feed_forward_proj\": \"gated-gelu\"",
                                        with: "\"feed_forward_proj\": \"\(value)\"")
            XCTAssertThrowsError(try config.feedForward()) { error in
                XCTAssertEqual(error as? TextEncoderError, .unsupportedFeedForward(value))
                XCTAssertTrue("\(error)".contains(value))
            }
            let weights = try Fixtures.weights("wan/text_encoder")
            XCTAssertThrowsError(try UMT5EncoderModel(config: config, weights: weights)) { error in
                XCTAssertEqual(error as? TextEncoderError, .unsupportedFeedForward(value))
            }
        }
    }

    func testFeedForwardKinds() throws {
        let cases: [(String, UMT5FeedForwardKind)] = [
            ("gated-gelu", .gated(.geluTanh)), ("relu", .dense(.relu)), ("gated-silu", .gated(.silu)),
            ("gelu", .dense(.gelu)), ("gated-gelu_new", .gated(.geluTanh)),
        ]
        for (value, kind) in cases {
            let config = try umt5Config(replacing: "\"feed_forward_proj\": \"gated-gelu\"",
                                        with: "\"feed_forward_proj\": \"\(value)\"")
            XCTAssertEqual(try config.feedForward(), kind, value)
        }
    }

    /// The T5 v1.1 variant (`model_type` "t5") reads only layer 0's bias table, so the UMT5
    /// checkpoint's layer-1 table goes unused and strict loading names it.
    func testT5VariantSharesLayerZeroBias() throws {
        let config = try umt5Config(replacing: "\"model_type\": \"umt5\"", with: "\"model_type\": \"t5\"")
        XCTAssertEqual(try config.variant(), .t5)
        let store = try Fixtures.weights("wan/text_encoder")
        XCTAssertThrowsError(try store.load { try UMT5EncoderModel(config: config, weights: $0) }) { error in
            guard let strict = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(strict.unused.map(\.key),
                           ["encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"])
        }
    }

    // MARK: Helpers

    private func umt5Config(replacing old: String, with new: String) throws -> UMT5Config {
        let url = Fixtures.url("wan/text_encoder/config.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.contains(old), "fixture config lacks \(old)")
        return try ConfigDecoding.decode(UMT5Config.self, from: Data(text.replacingOccurrences(of: old, with: new).utf8),
                                         path: url.path)
    }

    private func report(_ actual: Tensor, _ expected: Tensor, _ what: String) throws {
        print("[UMT5] \(what): max relative error \(maxRelativeError(actual, expected))")
        assertClose(actual, expected, tolerance: Self.tolerance, what)
    }
}
