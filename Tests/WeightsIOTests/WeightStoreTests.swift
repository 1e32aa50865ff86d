import Foundation
import XCTest
import TensorCore
@testable import WeightsIO

final class WeightStoreTests: XCTestCase {
    private func write(_ tensors: [String: Tensor], _ url: URL, dtype: SafetensorsDType = .float32) throws {
        try SafetensorsWriter.write(tensors, to: url, dtype: dtype)
    }

    private func writeIndex(_ map: [String: String], _ url: URL) throws {
        let object: [String: Any] = ["metadata": ["total_size": 0], "weight_map": map]
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    func testSingleDiffusersFile() throws {
        let folder = try makeTemporaryDirectory(self)
        try write(["a.weight": Tensor(shape: [2], data: [1, 2])], folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let store = try WeightStore(folder: folder)
        XCTAssertEqual(store.keys, ["a.weight"])
        XCTAssertEqual(try store.tensor("a.weight", shape: [2]).data, [1, 2])
        XCTAssertNoThrow(try store.checkAllUsed())
    }

    /// Issue #19: a hostile config (`in_channels: 1e9`, a dimension of 2^62) made strict loading
    /// allocate zeros of the asked shape for a missing or mis-shaped key and abort the process.
    /// Stand-ins larger than `placeholderLimit` (or overflowing, or negative) end the load with
    /// the key's error at once.
    func testAbsurdExpectedShapesFailNamingTheKeyWithoutAllocating() throws {
        let folder = try makeTemporaryDirectory(self)
        try write(["a.weight": Tensor(shape: [2], data: [1, 2])], folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let store = try WeightStore(folder: folder)
        for shape in [[1_000_000_000, 1_000_000_000], [1 << 62, 4], [-3, 2], [Int.max, Int.max]] {
            XCTAssertThrowsError(try store.load { try $0.tensor("a.weight", shape: shape) }, "\(shape)") { error in
                XCTAssertTrue("\(error)".contains("a.weight"), "\(error)")
            }
            XCTAssertThrowsError(try store.load { try $0.tensor("missing.weight", shape: shape) }, "\(shape)") { error in
                XCTAssertTrue("\(error)".contains("missing.weight"), "\(error)")
            }
        }
        // A small stand-in still lets one error list every problem.
        XCTAssertThrowsError(try store.load { store -> Int in
            _ = try store.tensor("a.weight", shape: [3])
            _ = try store.tensor("b.weight", shape: [4])
            return 0
        }) { error in
            XCTAssertTrue("\(error)".contains("a.weight") && "\(error)".contains("b.weight"), "\(error)")
        }
    }

    func testShardedFolderWithIndex() throws {
        let folder = try makeTemporaryDirectory(self)
        let shard1 = "model-00001-of-00002.safetensors", shard2 = "model-00002-of-00002.safetensors"
        try write(["embed.weight": Tensor(shape: [2, 2], data: [1, 2, 3, 4]), "layers.0.w": Tensor(scalar: 5)],
                  folder.appendingPathComponent(shard1))
        try write(["layers.1.w": Tensor(scalar: 6)], folder.appendingPathComponent(shard2), dtype: .bfloat16)
        try writeIndex(["embed.weight": shard1, "layers.0.w": shard1, "layers.1.w": shard2],
                       folder.appendingPathComponent("model.safetensors.index.json"))
        let store = try WeightStore(folder: folder)
        XCTAssertEqual(store.files.count, 2)
        XCTAssertEqual(store.keys, ["embed.weight", "layers.0.w", "layers.1.w"])
        XCTAssertEqual(store.info("layers.1.w")?.dtype, .bfloat16)
        XCTAssertEqual(try store.tensor("layers.1.w").data, [6])
        XCTAssertEqual(try store.scoped("layers.").scoped("0.").tensor("w").data, [5])
        XCTAssertEqual(store.scoped("layers.").keys, ["0.w", "1.w"])
        assertThrowsMessage(try store.checkAllUsed(), contains: ["1 unused", "embed.weight [2, 2] in \(shard1)"])
        XCTAssertNoThrow(try store.checkAllUsed(allowUnused: ["embed.*"]))
    }

    func testFP16VariantFilesAndIndex() throws {
        let folder = try makeTemporaryDirectory(self)
        try write(["w": Tensor(scalar: 1)], folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        try write(["w": Tensor(scalar: 2)], folder.appendingPathComponent("diffusion_pytorch_model.fp16.safetensors"), dtype: .float16)
        XCTAssertEqual(try WeightStore(folder: folder).tensor("w").data, [1])
        XCTAssertEqual(try WeightStore(folder: folder, variant: "fp16").tensor("w").data, [2])

        // Only a sharded fp16 variant present: used without asking (diffusers' index naming).
        let sharded = try makeTemporaryDirectory(self)
        let shard = "diffusion_pytorch_model.fp16-00001-of-00001.safetensors"
        try write(["w": Tensor(scalar: 3)], sharded.appendingPathComponent(shard), dtype: .float16)
        try writeIndex(["w": shard], sharded.appendingPathComponent("diffusion_pytorch_model.safetensors.index.fp16.json"))
        let store = try WeightStore(folder: sharded)
        XCTAssertEqual(try store.stored("w").dtype, .float16)
        XCTAssertEqual(try store.tensor("w").data, [3])
    }

    func testIndexProblems() throws {
        let folder = try makeTemporaryDirectory(self)
        try write(["a": Tensor(scalar: 1)], folder.appendingPathComponent("s1.safetensors"))
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        try writeIndex(["a": "s1.safetensors", "b": "s2.safetensors"], index)
        assertThrowsMessage(try WeightStore(folder: folder), contains: ["model.safetensors.index.json", "'s2.safetensors'"])
        try writeIndex(["a": "s1.safetensors", "b": "s1.safetensors"], index)
        assertThrowsMessage(try WeightStore(folder: folder), contains: ["model.safetensors.index.json", "'b'", "'s1.safetensors'"])
        try writeIndex(["a": "../s1.safetensors"], index)
        assertThrowsMessage(try WeightStore(folder: folder), contains: ["model.safetensors.index.json", "../s1.safetensors", "plain file name"])
        try Data("{\"weight_map\": [1]}".utf8).write(to: index)
        assertThrowsMessage(try WeightStore(folder: folder), contains: ["model.safetensors.index.json", "an array"])
    }

    func testNoWeightsNamesFolderAndPickleFiles() throws {
        let folder = try makeTemporaryDirectory(self)
        try Data([0]).write(to: folder.appendingPathComponent("diffusion_pytorch_model.bin"))
        assertThrowsMessage(try WeightStore(folder: folder),
                            contains: [folder.path, "diffusion_pytorch_model.safetensors", "Only safetensors", "diffusion_pytorch_model.bin"])
        assertThrowsMessage(try WeightStore(folder: folder.appendingPathComponent("missing")), contains: ["missing", "does not exist"])
    }

    func testRenameRulesAcceptBothSpellings() throws {
        let folder = try makeTemporaryDirectory(self)
        let old = folder.appendingPathComponent("old.safetensors"), new = folder.appendingPathComponent("new.safetensors")
        try write(["text_model.encoder.layers.0.w": Tensor(scalar: 1)], old)
        try write(["encoder.layers.0.w": Tensor(scalar: 1)], new)
        for url in [old, new] {
            let store = try WeightStore(file: url, renames: [.stripPrefix("text_model.")])
            XCTAssertEqual(store.keys, ["encoder.layers.0.w"], url.lastPathComponent)
        }
        XCTAssertEqual([KeyRenameRule.replaceSubstring(".to_out.0.", with: ".to_out."), .replaceSuffix(".gamma", with: ".weight"),
                        .replacePrefix("enc.", with: "encoder."), .addPrefix("m.")].apply(to: "enc.attn.to_out.0.gamma"),
                       "m.encoder.attn.to_out.weight")
    }

    func testRenameCollisionIsAnError() throws {
        let url = try makeTemporaryDirectory(self).appendingPathComponent("both.safetensors")
        try write(["text_model.w": Tensor(scalar: 1), "w": Tensor(scalar: 2)], url)
        assertThrowsMessage(try WeightStore(file: url, renames: [.stripPrefix("text_model.")]),
                            contains: ["'w'", "'text_model.w'", "both.safetensors"])
    }

    func testImmediateErrorsOutsideLoad() throws {
        let url = try makeTemporaryDirectory(self).appendingPathComponent("m.safetensors")
        try write(["proj.weight": Tensor(zeros: [4, 2])], url)
        let store = try WeightStore(file: url)
        assertThrowsMessage(try store.tensor("proj.weight", shape: [2, 4]),
                            contains: ["'proj.weight'", "m.safetensors", "[4, 2]", "expects [2, 4]"])
        assertThrowsMessage(try store.tensor("proj.weights"), contains: ["'proj.weights'", "did you mean 'proj.weight'"])
        XCTAssertNil(try store.optionalTensor("proj.bias", shape: [4]))
    }

    func testStrictLoadReportListsEveryProblem() throws {
        let url = try makeTemporaryDirectory(self).appendingPathComponent("diffusion_pytorch_model.safetensors")
        try write(["blocks.0.norm.weight": Tensor(zeros: [4]), "blocks.0.proj.weight": Tensor(zeros: [8, 4]),
                   "blocks.0.extra": Tensor(zeros: [1]), "pos_ids": Tensor(zeros: [3])], url)
        let store = try WeightStore(file: url)
        var built = false
        let error = assertThrowsMessage(try store.load(allowUnused: ["pos_ids"]) { weights -> Int in
            let block = weights.scoped("blocks.0.")
            let norm = try block.tensor("norm.weight", shape: [4])
            let proj = try block.tensor("proj.weight", shape: [4, 4])       // wrong shape: zeros returned
            let bias = try block.tensor("proj.bias", shape: [4])            // missing: zeros returned
            XCTAssertEqual(proj.shape, [4, 4])
            XCTAssertEqual(bias.data, [0, 0, 0, 0])
            built = true
            return norm.count
        }, contains: [
            "diffusion_pytorch_model.safetensors", "1 missing, 1 unused, 1 shape mismatch",
            "blocks.0.proj.weight: model expects [4, 4], diffusion_pytorch_model.safetensors has [8, 4]",
            "blocks.0.proj.bias (expected [4])",
            "blocks.0.extra [1] in diffusion_pytorch_model.safetensors",
        ])
        XCTAssertTrue(built)
        let report = try XCTUnwrap(error as? StrictLoadError)
        XCTAssertEqual(report.missing.map(\.key), ["blocks.0.proj.bias"])
        XCTAssertEqual(report.unused.map(\.key), ["blocks.0.extra"])
        XCTAssertEqual(report.mismatched, [.init(key: "blocks.0.proj.weight", file: "diffusion_pytorch_model.safetensors",
                                                 expected: [4, 4], actual: [8, 4])])
        XCTAssertFalse(String(describing: report).contains("pos_ids"), "allow-listed key is not reported")
    }

    func testStrictLoadSucceedsAndHintsAtPrefix() throws {
        let url = try makeTemporaryDirectory(self).appendingPathComponent("model.safetensors")
        try write(["text_model.final.weight": Tensor(zeros: [2])], url)
        assertThrowsMessage(try WeightStore(file: url).load { try $0.tensor("final.weight", shape: [2]) },
                            contains: ["missing keys", "final.weight", "stripPrefix(\"text_model.\")"])
        let result = try WeightStore(file: url, renames: [.stripPrefix("text_model.")]).load { try $0.tensor("final.weight", shape: [2]) }
        XCTAssertEqual(result.shape, [2])
    }
}
