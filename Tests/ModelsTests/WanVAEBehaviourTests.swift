// AutoencoderKLWan (diffusers 0.42.1): causality, config and input validation, strict
// loading and cancellation, on the tiny fixture model in Tests/Fixtures/wan/vae.
import Foundation
import Models
import TensorCore
import WeightsIO
import XCTest

final class WanVAEBehaviourTests: XCTestCase {
    // MARK: Causality

    func testEncodeLatentsDoNotSeeLaterFrames() throws {
        let vae = try WanVAEFixtures.model()
        let video = try WanVAEFixtures.cases().tensor("encode_9f.video")   // [1, 3, 9, 16, 16]
        var changed = video
        for f in 5..<9 { changed = changed.settingFrame(f, to: 0.9 - Float(f) * 0.1) }
        let (mean, logvar) = try vae.encode(video)
        let (mean2, logvar2) = try vae.encode(changed)
        // Latent 0 sees frame 0, latent 1 frames 0…4: both bit-identical.
        XCTAssertEqual(mean.narrowed(axis: 2, start: 0, length: 2), mean2.narrowed(axis: 2, start: 0, length: 2))
        XCTAssertEqual(logvar.narrowed(axis: 2, start: 0, length: 2), logvar2.narrowed(axis: 2, start: 0, length: 2))
        XCTAssertNotEqual(mean.narrowed(axis: 2, start: 2, length: 1), mean2.narrowed(axis: 2, start: 2, length: 1))

        // Changing frame 1 leaves latent 0 alone.
        let (mean3, _) = try vae.encode(video.settingFrame(1, to: -0.5))
        XCTAssertEqual(mean.narrowed(axis: 2, start: 0, length: 1), mean3.narrowed(axis: 2, start: 0, length: 1))
        XCTAssertNotEqual(mean.narrowed(axis: 2, start: 1, length: 1), mean3.narrowed(axis: 2, start: 1, length: 1))
    }

    func testDecodedFramesDoNotSeeLaterLatents() throws {
        let vae = try WanVAEFixtures.model()
        let latents = try WanVAEFixtures.cases().tensor("decode_3f.latents")   // [1, 16, 3, 2, 2]
        let video = try vae.decode(latents)                                    // [1, 3, 9, 16, 16]
        let changed = try vae.decode(latents.settingFrame(2, to: 1.5))
        // Latent 0 → frame 0, latent 1 → frames 1…4, latent 2 → frames 5…8.
        XCTAssertEqual(video.narrowed(axis: 2, start: 0, length: 5), changed.narrowed(axis: 2, start: 0, length: 5))
        XCTAssertNotEqual(video.narrowed(axis: 2, start: 5, length: 4), changed.narrowed(axis: 2, start: 5, length: 4))
    }

    func testDecodeShapesFollowTheScaleFactors() throws {
        let vae = try WanVAEFixtures.model()
        XCTAssertEqual((1...4).map { vae.videoFrameCount(forLatentFrames: $0) }, [1, 5, 9, 13])
        XCTAssertEqual([1, 5, 9, 13].map { vae.latentFrameCount(forVideoFrames: $0) }, [1, 2, 3, 4])
        let video = try vae.decode(Tensor(repeating: 0.3, shape: [1, 16, 2, 1, 3]))
        XCTAssertEqual(video.shape, [1, 3, 5, 8, 24])
        XCTAssertTrue(video.data.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    // MARK: Input validation

    func testEncodeRejectsFrameCountsThatAreNotOnePlusFourK() throws {
        let vae = try WanVAEFixtures.model()
        for (frames, valid) in [(4, [1, 5]), (7, [5, 9]), (2, [1, 5])] {
            XCTAssertThrowsError(try vae.encode(Tensor(zeros: [1, 3, frames, 16, 16]))) { error in
                XCTAssertEqual(error as? WanVAEInputError, .invalidFrameCount(frames: frames, valid: valid))
                XCTAssertTrue("\(error)".contains("\(frames) frames"), "\(error)")
            }
        }
        XCTAssertThrowsError(try vae.encode(Tensor(zeros: [1, 4, 5, 16, 16]))) { error in
            guard case .badShape? = error as? WanVAEInputError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try vae.decode(Tensor(zeros: [1, 8, 1, 2, 2]))) { error in
            guard case .badShape? = error as? WanVAEInputError else { return XCTFail("\(error)") }
        }
    }

    // MARK: Config

    func testFixtureConfigDecodes() throws {
        let config = try ConfigDecoding.decode(WanVAEConfig.self, from: Fixtures.url("wan/vae/config.json"))
        XCTAssertEqual(config.baseDim, 4)
        XCTAssertNil(config.decoderBaseDim)
        XCTAssertEqual(config.dimMult, [1, 2, 2, 2])
        XCTAssertEqual(config.temporalDownsample, [false, true, true])
        XCTAssertEqual(config.temporalUpsample, [true, true, false])
        XCTAssertEqual(config.latentsStd.count, 16)
        XCTAssertEqual(config.scaleFactorTemporal, 4)
        XCTAssertEqual(config.scaleFactorSpatial, 8)
    }

    /// Wan 2.2's keys are supported since the residual layout landed (WanVAEResidualTests);
    /// `patch_size` alone on a 3-channel config is inconsistent and names `in_channels`.
    func testResidualConfigDecodesAndPatchOnThreeChannelsIsNamed() throws {
        let residual = try Self.fixtureConfig { $0["is_residual"] = true }
        XCTAssertTrue(try ConfigDecoding.decode(WanVAEConfig.self, from: residual, path: "config.json").isResidual)
        let patched = try Self.fixtureConfig { $0["patch_size"] = 2 }
        XCTAssertThrowsError(try ConfigDecoding.decode(WanVAEConfig.self, from: patched, path: "config.json")) { error in
            guard case let .invalid(errorKey, errorValue, _)? = error as? WanVAEConfigError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(errorKey, "in_channels")
            XCTAssertEqual(errorValue, "3")
            XCTAssertTrue("\(error)".contains("patch_size 2"))
        }
    }

    func testMissingRequiredKeyIsNamed() throws {
        for key in ["base_dim", "temperal_downsample", "latents_std"] {
            let data = try Self.fixtureConfig { $0.removeValue(forKey: key) }
            XCTAssertThrowsError(try ConfigDecoding.decode(WanVAEConfig.self, from: data, path: "config.json")) { error in
                XCTAssertEqual(error as? DiffusersFolderError,
                               .configInvalid(path: "config.json", keyPath: key, problem: "missing required key"))
            }
        }
    }

    func testInconsistentConfigIsRejected() throws {
        let data = try Self.fixtureConfig { $0["latents_mean"] = [0.0, 1.0] }
        XCTAssertThrowsError(try ConfigDecoding.decode(WanVAEConfig.self, from: data, path: "config.json")) { error in
            XCTAssertEqual((error as? WanVAEConfigError)?.key, "latents_mean")
        }
        XCTAssertThrowsError(try WanVAEConfig(scaleFactorSpatial: 16)) { error in
            XCTAssertEqual((error as? WanVAEConfigError)?.key, "scale_factor_spatial")
        }
    }

    // MARK: Strict loading

    func testMissingWeightIsNamed() throws {
        let store = try Self.fixtureStore(editing: { $0.removeValue(forKey: "decoder.up_blocks.1.upsamplers.0.time_conv.bias") })
        XCTAssertThrowsError(try AutoencoderKLWan.load(config: Self.fixtureConfigValue(), store: store)) { error in
            guard let error = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.missing.map(\.key), ["decoder.up_blocks.1.upsamplers.0.time_conv.bias"])
            XCTAssertEqual(error.missing.first?.expectedShape, [16])
            XCTAssertTrue(error.unused.isEmpty)
        }
    }

    func testExtraWeightIsNamed() throws {
        let store = try Self.fixtureStore(editing: { $0["encoder.down_blocks.2.time_conv.weight"] = Tensor(zeros: [4, 4, 3, 1, 1]) })
        XCTAssertThrowsError(try AutoencoderKLWan.load(config: Self.fixtureConfigValue(), store: store)) { error in
            guard let error = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.unused.map(\.key), ["encoder.down_blocks.2.time_conv.weight"])
            XCTAssertTrue(error.missing.isEmpty)
            XCTAssertTrue("\(error)".contains("encoder.down_blocks.2.time_conv.weight"))
        }
    }

    func testMisShapedWeightIsNamed() throws {
        let store = try Self.fixtureStore(editing: { $0["quant_conv.weight"] = Tensor(zeros: [32, 32, 1, 1]) })
        XCTAssertThrowsError(try AutoencoderKLWan.load(config: Self.fixtureConfigValue(), store: store)) { error in
            guard let error = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.mismatched.map(\.key), ["quant_conv.weight"])
        }
    }

    // MARK: Cancellation

    func testCancelledDecodeThrowsBeforeWork() throws {
        let vae = try WanVAEFixtures.model()
        let flag = CancellationFlag()
        flag.cancel()
        var reports = 0
        XCTAssertThrowsError(try vae.decode(Tensor(zeros: [1, 16, 3, 2, 2]), cancellation: flag) { _, _ in reports += 1 }) {
            XCTAssertEqual($0 as? CancelledError, CancelledError())
        }
        XCTAssertEqual(reports, 0)
        XCTAssertThrowsError(try vae.encode(Tensor(zeros: [1, 3, 5, 16, 16]), cancellation: flag)) {
            XCTAssertEqual($0 as? CancelledError, CancelledError())
        }
    }

    func testCancellingDuringDecodeStopsAtTheNextChunk() throws {
        let vae = try WanVAEFixtures.model()
        let flag = CancellationFlag()
        var reports: [Int] = []
        XCTAssertThrowsError(try vae.decode(Tensor(zeros: [1, 16, 3, 2, 2]), cancellation: flag) { done, _ in
            reports.append(done)
            flag.cancel()
        }) { XCTAssertEqual($0 as? CancelledError, CancelledError()) }
        XCTAssertEqual(reports, [1])
    }

    // MARK: Helpers

    /// The fixture config.json as a mutable JSON object, edited and re-encoded.
    static func fixtureConfig(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let data = try Data(contentsOf: Fixtures.url("wan/vae/config.json"))
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func fixtureConfigValue() throws -> WanVAEConfig {
        try ConfigDecoding.decode(WanVAEConfig.self, from: Fixtures.url("wan/vae/config.json"))
    }

    /// The fixture weights, edited, written to a temporary file and opened as a store.
    static func fixtureStore(editing edit: (inout [String: Tensor]) -> Void) throws -> WeightStore {
        let file = try SafetensorsFile(url: Fixtures.url("wan/vae/diffusion_pytorch_model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        edit(&tensors)
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("wan-vae-\(UUID().uuidString).safetensors")
        try SafetensorsWriter.write(tensors, to: url)
        // The store maps the file; unlinking it now keeps the mapping valid and leaves no litter.
        let store = try WeightStore(file: url)
        try? FileManager.default.removeItem(at: url)
        return store
    }
}

extension Tensor {
    /// A copy of `[B, C, F, H, W]` with every value of frame `f` set to `value`.
    func settingFrame(_ f: Int, to value: Float) -> Tensor {
        var copy = self
        let B = shape[0], C = shape[1], F = shape[2], plane = shape[3] * shape[4]
        for b in 0..<B {
            for c in 0..<C {
                let start = ((b * C + c) * F + f) * plane
                for i in start..<start + plane { copy.data[i] = value }
            }
        }
        return copy
    }
}
