import Foundation
import XCTest
import TensorCore
@testable import WeightsIO

/// A config struct in the style model code will use: Swift names, diffusers spellings in CodingKeys.
private struct TinyTransformerConfig: Decodable, Equatable {
    enum QKNorm: String, Decodable { case rmsNormAcrossHeads = "rms_norm_across_heads" }
    let numLayers: Int
    let patchSize: [Int]
    let qkNorm: QKNorm
    let eps: Double

    enum CodingKeys: String, CodingKey {
        case numLayers = "num_layers", patchSize = "patch_size", qkNorm = "qk_norm", eps
    }
}

private struct TinySchedulerConfig: Decodable {
    let numTrainTimesteps: Int
    enum CodingKeys: String, CodingKey { case numTrainTimesteps = "num_train_timesteps" }
}

final class DiffusersModelFolderTests: XCTestCase {
    private var root: URL!

    private let modelIndex = """
    {"_class_name": "WanPipeline", "_diffusers_version": "0.42.1",
     "scheduler": ["diffusers", "UniPCMultistepScheduler"],
     "text_encoder": ["transformers", "UMT5EncoderModel"],
     "tokenizer": ["transformers", "T5TokenizerFast"],
     "transformer": ["diffusers", "WanTransformer3DModel"],
     "transformer_2": [null, null],
     "vae": ["diffusers", "AutoencoderKLWan"],
     "boundary_ratio": null, "expand_timesteps": false}
    """

    private let transformerConfig = """
    {"_class_name": "WanTransformer3DModel", "_diffusers_version": "0.42.1",
     "num_layers": 2, "patch_size": [1, 2, 2], "qk_norm": "rms_norm_across_heads", "eps": 1e-06}
    """

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory(self)
        try put("model_index.json", modelIndex)
        try put("transformer/config.json", transformerConfig)
        try put("scheduler/scheduler_config.json", #"{"_class_name": "UniPCMultistepScheduler", "num_train_timesteps": 1000}"#)
        try put("tokenizer/tokenizer.json", "{}")
        try put("tokenizer/tokenizer_config.json", "{}")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("vae"), withIntermediateDirectories: true)
        try SafetensorsWriter.write(["proj_out.weight": Tensor(zeros: [4, 2])],
                                    to: root.appendingPathComponent("transformer/diffusion_pytorch_model.safetensors"))
    }

    private func put(_ relativePath: String, _ text: String) throws {
        let url = root.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func testModelIndexParsing() throws {
        let folder = try DiffusersModelFolder(url: root)
        XCTAssertEqual(folder.pipelineClassName, "WanPipeline")
        let index = folder.modelIndex
        XCTAssertEqual(index.diffusersVersion, "0.42.1")
        XCTAssertEqual(index.components["transformer"], .init(library: "diffusers", className: "WanTransformer3DModel"))
        XCTAssertEqual(index.components["text_encoder"]?.library, "transformers")
        XCTAssertEqual(index.components["transformer_2"], .init(library: nil, className: nil))
        XCTAssertEqual(index.presentComponents, ["scheduler", "text_encoder", "tokenizer", "transformer", "vae"])
        XCTAssertEqual(index.options, ["boundary_ratio": .null, "expand_timesteps": .bool(false)])
    }

    func testDecodeConfigs() throws {
        let folder = try DiffusersModelFolder(url: root)
        let config = try folder.decodeConfig(TinyTransformerConfig.self, component: "transformer")
        XCTAssertEqual(config, TinyTransformerConfig(numLayers: 2, patchSize: [1, 2, 2], qkNorm: .rmsNormAcrossHeads, eps: 1e-6))
        XCTAssertEqual(try folder.decodeSchedulerConfig(TinySchedulerConfig.self).numTrainTimesteps, 1000)
        XCTAssertEqual(try folder.decodeConfig(TinySchedulerConfig.self, component: "scheduler").numTrainTimesteps, 1000)
        XCTAssertEqual(try folder.weights(component: "transformer").keys, ["proj_out.weight"])
        let tokenizer = try folder.tokenizerFiles()
        XCTAssertEqual(tokenizer.tokenizerJSON?.lastPathComponent, "tokenizer.json")
        XCTAssertNil(tokenizer.sentencePieceModel)
    }

    private func assertConfigError(_ json: String, contains fragments: [String], line: UInt = #line) throws {
        try put("transformer/config.json", json)
        let folder = try DiffusersModelFolder(url: root)
        assertThrowsMessage(try folder.decodeConfig(TinyTransformerConfig.self, component: "transformer"),
                            contains: ["transformer/config.json"] + fragments, line: line)
    }

    func testConfigErrorsNameTheKey() throws {
        try assertConfigError(#"{"patch_size": [1, 2, 2], "qk_norm": "rms_norm_across_heads", "eps": 1e-6}"#,
                              contains: ["key 'num_layers'", "missing required key"])
        try assertConfigError(#"{"num_layers": "30", "patch_size": [1, 2, 2], "qk_norm": "rms_norm_across_heads", "eps": 1e-6}"#,
                              contains: ["key 'num_layers'", "expected an integer", "found a string \"30\""])
        try assertConfigError(#"{"num_layers": 2, "patch_size": [1, "2", 2], "qk_norm": "rms_norm_across_heads", "eps": 1e-6}"#,
                              contains: ["key 'patch_size[1]'", "expected an integer", "\"2\""])
        try assertConfigError(#"{"num_layers": 2, "patch_size": [1, 2, 2], "qk_norm": "rms_norm", "eps": 1e-6}"#,
                              contains: ["key 'qk_norm'", "rms_norm"])
        try assertConfigError(#"{"num_layers": 2, "patch_size": [1, 2, 2], "qk_norm": "rms_norm_across_heads", "eps": null}"#,
                              contains: ["key 'eps'", "found null"])
        try assertConfigError(#"{"num_layers": 2,"#, contains: ["cannot read", "not valid JSON"])
    }

    func testFolderErrors() throws {
        assertThrowsMessage(try DiffusersModelFolder(url: root.appendingPathComponent("nope")), contains: ["nope", "does not exist"])
        assertThrowsMessage(try DiffusersModelFolder(url: root.appendingPathComponent("transformer")),
                            contains: ["transformer", "no model_index.json", "config.json"])
        let folder = try DiffusersModelFolder(url: root)
        assertThrowsMessage(try folder.componentFolder("text_encoder"), contains: ["'text_encoder'", "incomplete download"])
        assertThrowsMessage(try folder.componentFolder("transformer_2"), contains: ["'transformer_2'", "as null"])
        assertThrowsMessage(try folder.componentFolder("unet"), contains: ["'unet'", "does not list it", "transformer, vae"])
        assertThrowsMessage(try folder.decodeConfig(TinyTransformerConfig.self, component: "vae"),
                            contains: ["vae/config.json", "does not exist"])
        assertThrowsMessage(try folder.tokenizerFiles(component: "vae"), contains: ["vae", "spiece.model"])
        assertThrowsMessage(try folder.weights(component: "vae"), contains: ["vae", "no safetensors weights"])
    }

    func testInvalidModelIndex() throws {
        try put("model_index.json", #"{"_diffusers_version": "0.42.1"}"#)
        assertThrowsMessage(try DiffusersModelFolder(url: root), contains: ["model_index.json", "_class_name"])
        try put("model_index.json", "not json")
        assertThrowsMessage(try DiffusersModelFolder(url: root), contains: ["model_index.json", "not valid JSON"])
    }
}
