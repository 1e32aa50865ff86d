// AutoencoderKLWan in the Wan 2.2 layout (diffusers 0.42.1, `is_residual: true`,
// `patch_size: 2`, 16× spatial) against the fixtures of tools/reference/wan22_fixtures.py
// (`write_vae_cases`), plus its config, input checks, causality and strict loading. The model
// is Tests/Fixtures/wan22/pipeline/vae: base_dim 4, decoder_base_dim 3, z_dim 8,
// dim_mult [1,2,2,2], num_res_blocks 2, in/out_channels 12.
import Foundation
import Models
import TensorCore
import WeightsIO
import XCTest

/// Tolerance on `maxRelativeError` for the residual VAE's parity cases.
///
/// Same arithmetic as Wan 2.1 (`wanVAETolerance`, 1e-4): float32 on both sides, differing only
/// in summation order over ~25 chained causal convs, RMS norms and the mid attention. The
/// residual layout adds only exact data movement (patchify, DupUp3D, the AvgDown3D fold) and
/// group means of 4 or 8 values (a power-of-two scale, one rounding per add). Measured in debug
/// on this machine (printed below): encode mean ≤ 6.3e-7, logvar ≤ 6.0e-7, normalised latents
/// ≤ 1.6e-7; decode video 1.4e-6 … 9.9e-6 (the decoder is deeper and its output spans [-1, 1],
/// as for Wan 2.1). 1e-4 keeps 10× headroom while a wrong channel order in patchify, a dropped
/// shortcut or a missed first-chunk crop gives errors of order 0.1–1.
let wanResidualVAETolerance: Float = 1e-4

enum WanResidualVAEFixtures {
    static func model() throws -> AutoencoderKLWan {
        try AutoencoderKLWan.load(folder: Fixtures.url("wan22/pipeline/vae"))
    }

    static func cases() throws -> SafetensorsFile {
        try Fixtures.cases("wan22/vae_cases.safetensors")
    }
}

final class WanVAEResidualTests: XCTestCase {
    // MARK: Parity

    func testEncodeMatchesDiffusers() throws {
        let vae = try WanResidualVAEFixtures.model()
        let cases = try WanResidualVAEFixtures.cases()
        for name in ["encode_9f", "encode_1f", "encode_5f_nonsquare", "encode_5f_batch2"] {
            let video = try cases.tensor("\(name).video")
            let (mean, logvar) = try vae.encode(video)
            let normalized = try vae.normalize(mean: mean)
            for (what, actual) in [("mean", mean), ("logvar", logvar), ("latents_normalized", normalized)] {
                let expected = try cases.tensor("\(name).\(what)")
                if actual.shape == expected.shape {
                    print("WanVAE 2.2 \(name).\(what): max relative error \(maxRelativeError(actual, expected))")
                }
                assertClose(actual, expected, tolerance: wanResidualVAETolerance, "\(name).\(what)")
            }
        }
    }

    func testDecodeMatchesDiffusers() throws {
        let vae = try WanResidualVAEFixtures.model()
        let cases = try WanResidualVAEFixtures.cases()
        for name in ["decode_1f", "decode_2f_tall", "decode_3f", "decode_3f_batch2"] {
            let latents = try cases.tensor("\(name).latents")
            let expected = try cases.tensor("\(name).video")
            var reports: [Int] = []
            let video = try vae.decode(latents) { done, _ in reports.append(done) }
            if video.shape == expected.shape {
                print("WanVAE 2.2 \(name).video: max relative error \(maxRelativeError(video, expected))")
            }
            assertClose(video, expected, tolerance: wanResidualVAETolerance, "\(name).video")
            XCTAssertEqual(reports, Array(1...latents.shape[2]), name)
        }
    }

    // MARK: Shapes and causality

    func testShapesFollowTheSixteenfoldScale() throws {
        let vae = try WanResidualVAEFixtures.model()
        XCTAssertEqual(vae.config.scaleFactorSpatial, 16)
        XCTAssertEqual((1...3).map { vae.videoFrameCount(forLatentFrames: $0) }, [1, 5, 9])
        let video = try vae.decode(Tensor(repeating: 0.3, shape: [1, 8, 2, 1, 3]))
        XCTAssertEqual(video.shape, [1, 3, 5, 16, 48])
        XCTAssertTrue(video.data.allSatisfy { $0 >= -1 && $0 <= 1 })
        let (mean, logvar) = try vae.encode(Tensor(repeating: 0.1, shape: [1, 3, 5, 32, 16]))
        XCTAssertEqual(mean.shape, [1, 8, 2, 2, 1])
        XCTAssertEqual(logvar.shape, [1, 8, 2, 2, 1])
    }

    /// The first chunk's DupUp3D crop and the skipped time conv keep the decoder causal:
    /// latent 2 changes only frames 5…8.
    func testDecodedFramesDoNotSeeLaterLatents() throws {
        let vae = try WanResidualVAEFixtures.model()
        let latents = try WanResidualVAEFixtures.cases().tensor("decode_3f.latents")   // [1, 8, 3, 1, 2]
        let video = try vae.decode(latents)                                          // [1, 3, 9, 16, 32]
        let changed = try vae.decode(latents.replacingFrame(2, with: 1.5))
        XCTAssertEqual(video.narrowed(axis: 2, start: 0, length: 5), changed.narrowed(axis: 2, start: 0, length: 5))
        XCTAssertNotEqual(video.narrowed(axis: 2, start: 5, length: 4), changed.narrowed(axis: 2, start: 5, length: 4))
    }

    /// AvgDown3D pads each chunk on its own, so latent 1 sees frames 0…4 and no later ones.
    func testEncodedLatentsDoNotSeeLaterFrames() throws {
        let vae = try WanResidualVAEFixtures.model()
        let video = try WanResidualVAEFixtures.cases().tensor("encode_9f.video")     // [1, 3, 9, 16, 32]
        let (mean, _) = try vae.encode(video)
        let (changed, _) = try vae.encode(video.replacingFrame(7, with: -0.25))
        XCTAssertEqual(mean.narrowed(axis: 2, start: 0, length: 2), changed.narrowed(axis: 2, start: 0, length: 2))
        XCTAssertNotEqual(mean.narrowed(axis: 2, start: 2, length: 1), changed.narrowed(axis: 2, start: 2, length: 1))
    }

    func testEncodeRejectsSizesTheResidualBlocksCannotFold() throws {
        let vae = try WanResidualVAEFixtures.model()
        // 24 is a multiple of the patch (2) but not of 16: AvgDown3D would fold an odd size.
        XCTAssertThrowsError(try vae.encode(Tensor(zeros: [1, 3, 1, 16, 24]))) { error in
            guard case let .badShape(what, shape, expected)? = error as? WanVAEInputError else { return XCTFail("\(error)") }
            XCTAssertEqual(what, "video")
            XCTAssertEqual(shape, [1, 3, 1, 16, 24])
            XCTAssertTrue(expected.contains("multiples of 16"), expected)
        }
        // The video has 3 channels, not the patchified 12.
        XCTAssertThrowsError(try vae.encode(Tensor(zeros: [1, 12, 1, 16, 16]))) { error in
            guard case .badShape? = error as? WanVAEInputError else { return XCTFail("\(error)") }
        }
    }

    // MARK: Config

    func testFixtureConfigDecodes() throws {
        let config = try ConfigDecoding.decode(WanVAEConfig.self, from: Fixtures.url("wan22/pipeline/vae/config.json"))
        XCTAssertTrue(config.isResidual)
        XCTAssertEqual(config.patchSize, 2)
        XCTAssertEqual(config.patch, 2)
        XCTAssertEqual([config.inChannels, config.outChannels], [12, 12])
        XCTAssertEqual([config.videoInChannels, config.videoOutChannels], [3, 3])
        XCTAssertEqual(config.baseDim, 4)
        XCTAssertEqual(config.decoderBaseDim, 3)
        XCTAssertEqual(config.resolvedDecoderBaseDim, 3)
        XCTAssertEqual(config.zDim, 8)
        XCTAssertEqual(config.scaleFactorSpatial, 16)
        XCTAssertEqual(config.scaleFactorTemporal, 4)
        XCTAssertEqual(config.latentsMean.count, 8)
    }

    /// The `vae/config.json` of Wan-AI/Wan2.2-TI2V-5B-Diffusers (architecture keys; 48 latent
    /// statistics) decodes and validates.
    func testWan22TI2VConfigValidates() throws {
        let json: [String: Any] = [
            "_class_name": "AutoencoderKLWan", "attn_scales": [Double](), "base_dim": 160, "decoder_base_dim": 256,
            "dim_mult": [1, 2, 4, 4], "dropout": 0.0, "in_channels": 12, "is_residual": true,
            "latents_mean": [Double](repeating: 0.1, count: 48), "latents_std": [Double](repeating: 0.9, count: 48),
            "num_res_blocks": 2, "out_channels": 12, "patch_size": 2, "scale_factor_spatial": 16,
            "scale_factor_temporal": 4, "temperal_downsample": [false, true, true], "z_dim": 48,
        ]
        let config = try ConfigDecoding.decode(WanVAEConfig.self, from: JSONSerialization.data(withJSONObject: json),
                                               path: "config.json")
        XCTAssertEqual(config.zDim, 48)
        XCTAssertEqual(config.resolvedDecoderBaseDim, 256)
        XCTAssertEqual(config.videoInChannels, 3)
        XCTAssertNoThrow(try config.validate())
    }

    func testInconsistentResidualConfigsNameTheKey() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("in_channels", { $0["in_channels"] = 3 }),                 // 3 pixels · 2 · 2 do not fold into 3 channels
            ("out_channels", { $0["out_channels"] = 6 }),
            ("scale_factor_spatial", { $0["scale_factor_spatial"] = 8 }),  // patch 2 · 2³ = 16
            ("dim_mult", { $0["dim_mult"] = [1, 3, 3, 3] }),            // AvgDown3D 4·8 = 32 is no multiple of 12
            ("patch_size", { $0["patch_size"] = 0 }),
        ]
        let url = Fixtures.url("wan22/pipeline/vae/config.json")
        let base = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        for (key, edit) in cases {
            var json = base
            edit(&json)
            let data = try JSONSerialization.data(withJSONObject: json)
            XCTAssertThrowsError(try ConfigDecoding.decode(WanVAEConfig.self, from: data, path: "config.json"), key) { error in
                guard case .invalid(let errorKey, _, _)? = error as? WanVAEConfigError else { return XCTFail("\(key): \(error)") }
                XCTAssertEqual(errorKey, key)
            }
        }
    }

    // MARK: Strict loading

    func testMissingResidualWeightIsNamed() throws {
        let folder = try temporaryModelCopy("wan22/pipeline/vae", weights: "diffusion_pytorch_model.safetensors",
                                            dtype: .float32, dropping: "decoder.up_blocks.0.upsampler.time_conv.bias")
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertThrowsError(try AutoencoderKLWan.load(folder: folder)) { error in
            guard let error = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.missing.map(\.key), ["decoder.up_blocks.0.upsampler.time_conv.bias"])
            XCTAssertEqual(error.missing.first?.expectedShape, [12])
            XCTAssertTrue(error.unused.isEmpty)
        }
    }
}

extension Tensor {
    /// A copy of `[B, C, F, H, W]` with every value of frame `f` set to `value`.
    fileprivate func replacingFrame(_ f: Int, with value: Float) -> Tensor {
        var out = self
        let (B, C, F, plane) = (shape[0], shape[1], shape[2], shape[3] * shape[4])
        for b in 0..<B { for c in 0..<C {
            let start = ((b * C + c) * F + f) * plane
            for i in start..<(start + plane) { out.data[i] = value }
        } }
        return out
    }
}
