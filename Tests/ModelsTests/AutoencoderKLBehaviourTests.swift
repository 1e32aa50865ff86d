// AutoencoderKL (diffusers 0.42.1): slicing, tiling, frame-by-frame video, config refusal, strict
// loading, cancellation and options, on the tiny fixture model in Tests/Fixtures/autoencoder-kl/vae.
import Foundation
import Models
import TensorCore
import WeightsIO
import XCTest

final class AutoencoderKLBehaviourTests: XCTestCase {
    // MARK: Slicing and frames

    /// Slices of 1, 2 or all images give the same numbers. Each image runs the same ops in
    /// both cases; only the GEMM sizes differ, which could change OpenBLAS's blocking, so the
    /// bound is float rounding rather than bit equality (measured here: 0, bit-identical).
    func testSlicingMatchesBatchedDecodeAndEncode() throws {
        let vae = try AutoencoderKLFixtures.model()
        let cases = try AutoencoderKLFixtures.cases()
        let latents = try cases.tensor("decode.latents")                            // [3, 4, 6, 10]
        let batched = try vae.decode(latents, options: AutoencoderKLOptions(sliceSize: nil))
        for size in [1, 2] {
            let sliced = try vae.decode(latents, options: AutoencoderKLOptions(sliceSize: size))
            let error = maxRelativeError(sliced, batched)
            print("AutoencoderKL decode slice \(size) vs batched: max relative error \(error)")
            XCTAssertLessThanOrEqual(error, 1e-6)
        }
        let images = try cases.tensor("encode.images")
        let (batchedMean, _) = try vae.encode(images, options: AutoencoderKLOptions(sliceSize: nil))
        let (slicedMean, _) = try vae.encode(images, options: AutoencoderKLOptions(sliceSize: 1))
        let error = maxRelativeError(slicedMean, batchedMean)
        print("AutoencoderKL encode slice 1 vs batched: max relative error \(error)")
        XCTAssertLessThanOrEqual(error, 1e-6)
    }

    /// A video is its frames decoded one by one: frame f of sample b is image b·F + f.
    func testVideoDecodeIsPerFrameDecode() throws {
        let vae = try AutoencoderKLFixtures.model()
        let latents = try AutoencoderKLFixtures.cases().tensor("video_2f_batch2.latents")   // [2, 4, 2, 5, 7]
        let video = try vae.decodeVideo(latents)                                        // [2, 3, 2, 10, 14]
        XCTAssertEqual(video.shape, [2, 3, 2, 10, 14])
        for b in 0..<2 {
            for f in 0..<2 {
                let frame = latents.narrowed(axis: 0, start: b, length: 1).selecting(axis: 2, index: f)   // [1, 4, 5, 7]
                let image = try vae.decode(frame)                                       // [1, 3, 10, 14]
                XCTAssertEqual(video.narrowed(axis: 0, start: b, length: 1).selecting(axis: 2, index: f), image,
                               "sample \(b) frame \(f)")
            }
        }
    }

    /// One frame through the video helpers equals the image call, and a 3-frame clip's frames
    /// do not depend on each other (the VAE has no cross-frame op).
    func testOneAndSeveralFrames() throws {
        let vae = try AutoencoderKLFixtures.model()
        let cases = try AutoencoderKLFixtures.cases()
        let one = try cases.tensor("video_1f.latents")                                  // [1, 4, 1, 6, 10]
        XCTAssertEqual(try vae.decodeVideo(one).squeezed(axis: 2), try vae.decode(one.squeezed(axis: 2)))

        let three = try cases.tensor("video_3f.latents")                                // [1, 4, 3, 6, 10]
        let video = try vae.decodeVideo(three)
        var changed = three
        for i in 0..<(4 * 6 * 10) { changed.data[(i / 60 * 3 + 2) * 60 + i % 60] = 0.5 }   // frame 2 of every channel
        let changedVideo = try vae.decodeVideo(changed)
        XCTAssertEqual(video.narrowed(axis: 2, start: 0, length: 2), changedVideo.narrowed(axis: 2, start: 0, length: 2))
        XCTAssertNotEqual(video.narrowed(axis: 2, start: 2, length: 1), changedVideo.narrowed(axis: 2, start: 2, length: 1))
    }

    /// encodeVideo is encode on each frame, and its mean decodes back to a video of the same shape.
    func testVideoEncodeIsPerFrameEncode() throws {
        let vae = try AutoencoderKLFixtures.model()
        let images = try AutoencoderKLFixtures.cases().tensor("encode.images")          // [3, 3, 12, 20]
        // [3, 3, 12, 20] as one sample of 3 frames: [1, 3, 3, 12, 20].
        let video = images.permuted([1, 0, 2, 3]).unsqueezed(axis: 0)
        let (mean, logvar) = try vae.encodeVideo(video, options: AutoencoderKLOptions(sliceSize: 2))
        XCTAssertEqual(mean.shape, [1, 4, 3, 6, 10])
        let (imageMean, imageLogvar) = try vae.encode(images, options: AutoencoderKLOptions(sliceSize: 2))
        XCTAssertEqual(mean.squeezed(axis: 0).permuted([1, 0, 2, 3]), imageMean)
        XCTAssertEqual(logvar.squeezed(axis: 0).permuted([1, 0, 2, 3]), imageLogvar)
        XCTAssertEqual(try vae.decodeVideo(mean).shape, [1, 3, 3, 12, 20])
    }

    // MARK: Tiling

    /// Tiling differs from the untiled pass where tiles meet, and is skipped (bit-identical) for
    /// inputs no larger than one tile, as in diffusers.
    func testTiledAgainstUntiled() throws {
        let vae = try AutoencoderKLFixtures.model()
        let cases = try AutoencoderKLFixtures.cases()
        let tiled = AutoencoderKLOptions(tiling: AutoencoderKLFixtures.tiling)

        // Latents [3, 4, 6, 8] fit one 8-latent tile; images [3, 3, 12, 16] one 16-pixel tile.
        let smaller = try cases.tensor("decode.latents").narrowed(axis: 3, start: 0, length: 8)
        XCTAssertEqual(try vae.decode(smaller, options: tiled), try vae.decode(smaller))
        let images = try cases.tensor("encode.images")                                  // [3, 3, 12, 20]
        let oneTile = images.narrowed(axis: 3, start: 0, length: 16)                    // [3, 3, 12, 16]
        XCTAssertEqual(try vae.encode(oneTile, options: tiled).mean, try vae.encode(oneTile).mean)

        let latents = try cases.tensor("tiled_decode.latents")                          // [2, 4, 14, 22]
        let untiled = try vae.decode(latents)
        let withTiles = try vae.decode(latents, options: tiled)
        XCTAssertEqual(untiled.shape, withTiles.shape)
        // Each tile sees only its own pixels, so a random VAE shows the seams; that the blend is
        // diffusers' own is checked by the tiled parity tests.
        XCTAssertGreaterThan(maxRelativeError(withTiles, untiled), 1e-2, "the tiled path did not run")
    }

    /// diffusers' enable_tiling defaults: sample_size pixels, sample_size / 2^(levels − 1) latents.
    func testTilingDefaultsFollowTheConfig() throws {
        let vae = try AutoencoderKLFixtures.model()
        let defaults = AutoencoderKLTiling(config: vae.config)
        XCTAssertEqual(defaults, AutoencoderKLTiling(sampleTileSize: 32, latentTileSize: 16, overlapFactor: 0.25))
        XCTAssertEqual(vae.config.spatialScale, 2)
    }

    // MARK: Scaling

    func testDenormalizeIsTheReciprocalScaleOfThePipelines() throws {
        let vae = try AutoencoderKLFixtures.model()
        let latents = try AutoencoderKLFixtures.cases().tensor("video_3f.latents")
        let scale = Float(1 / 0.18215)
        XCTAssertEqual(vae.denormalize(latents).data, latents.data.map { $0 * scale })
        XCTAssertEqual(vae.normalize(mean: latents).data, latents.data.map { $0 * Float(0.18215) })
    }

    // MARK: Config

    func testFixtureConfigDecodes() throws {
        let config = try ConfigDecoding.decode(AutoencoderKLConfig.self, from: Fixtures.url("autoencoder-kl/vae/config.json"))
        XCTAssertEqual(config.blockOutChannels, [8, 16])
        XCTAssertEqual(config.downBlockTypes, [.downEncoderBlock2D, .downEncoderBlock2D])
        XCTAssertEqual(config.upBlockTypes, [.upDecoderBlock2D, .upDecoderBlock2D])
        XCTAssertEqual(config.layersPerBlock, 1)
        XCTAssertEqual(config.normNumGroups, 4)
        XCTAssertEqual(config.latentChannels, 4)
        XCTAssertEqual(config.sampleSize, 32)
        XCTAssertEqual(config.scalingFactor, 0.18215)
        XCTAssertNil(config.shiftFactor)
        XCTAssertEqual(config.activation, .silu)
        XCTAssertTrue(config.useQuantConv && config.usePostQuantConv && config.midBlockAddAttention && config.forceUpcast)
    }

    func testRefusedBlockTypeIsNamed() throws {
        let data = try Self.fixtureConfig { $0["down_block_types"] = ["DownEncoderBlock2D", "CrossAttnDownBlock2D"] }
        XCTAssertThrowsError(try ConfigDecoding.decode(AutoencoderKLConfig.self, from: data, path: "config.json")) { error in
            guard case let .configInvalid(_, keyPath, problem)? = error as? DiffusersFolderError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(keyPath, "down_block_types[1]")
            XCTAssertTrue(problem.contains("CrossAttnDownBlock2D") && problem.contains("DownEncoderBlock2D"), problem)
        }
        let up = try Self.fixtureConfig { $0["up_block_types"] = ["AttnUpDecoderBlock2D", "UpDecoderBlock2D"] }
        XCTAssertThrowsError(try ConfigDecoding.decode(AutoencoderKLConfig.self, from: up, path: "config.json")) { error in
            guard case let .configInvalid(_, keyPath, _)? = error as? DiffusersFolderError else { return XCTFail("\(error)") }
            XCTAssertEqual(keyPath, "up_block_types[0]")
        }
    }

    func testInvalidConfigValuesAreNamed() throws {
        for (key, value, expectedKey) in [("act_fn", "mish" as Any, "act_fn"), ("norm_num_groups", 3, "norm_num_groups"),
                                          ("up_block_types", ["UpDecoderBlock2D"], "up_block_types"),
                                          ("scaling_factor", 0, "scaling_factor")] {
            let data = try Self.fixtureConfig { $0[key] = value }
            XCTAssertThrowsError(try ConfigDecoding.decode(AutoencoderKLConfig.self, from: data, path: "config.json")) { error in
                XCTAssertEqual((error as? AutoencoderKLConfigError)?.key, expectedKey, "\(error)")
                XCTAssertTrue("\(error)".contains(expectedKey), "\(error)")
            }
        }
        for key in ["block_out_channels", "latent_channels"] {
            let data = try Self.fixtureConfig { $0.removeValue(forKey: key) }
            XCTAssertThrowsError(try ConfigDecoding.decode(AutoencoderKLConfig.self, from: data, path: "config.json")) { error in
                XCTAssertEqual(error as? DiffusersFolderError,
                               .configInvalid(path: "config.json", keyPath: key, problem: "missing required key"))
            }
        }
        // Keys older SD VAE configs omit take diffusers' defaults.
        let old = try Self.fixtureConfig { object in
            for key in ["scaling_factor", "force_upcast", "use_quant_conv", "use_post_quant_conv", "shift_factor",
                        "mid_block_add_attention", "latents_mean", "latents_std"] { object.removeValue(forKey: key) }
        }
        let config = try ConfigDecoding.decode(AutoencoderKLConfig.self, from: old, path: "config.json")
        XCTAssertEqual(config.scalingFactor, 0.18215)
        XCTAssertTrue(config.useQuantConv && config.midBlockAddAttention)
    }

    // MARK: Strict loading

    func testMissingWeightIsNamed() throws {
        let key = "decoder.up_blocks.1.resnets.0.conv_shortcut.bias"
        let store = try Self.fixtureStore { $0.removeValue(forKey: key) }
        XCTAssertThrowsError(try AutoencoderKL.load(config: Self.fixtureConfigValue(), store: store)) { error in
            guard let error = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.missing.map(\.key), [key])
            XCTAssertEqual(error.missing.first?.expectedShape, [8])
            XCTAssertTrue(error.unused.isEmpty && error.mismatched.isEmpty)
            XCTAssertTrue("\(error)".contains(key), "\(error)")
        }
    }

    func testUnusedAndMisShapedWeightsAreNamed() throws {
        let store = try Self.fixtureStore { tensors in
            tensors["encoder.mid_block.attentions.1.to_q.weight"] = Tensor(zeros: [16, 16])
            tensors["quant_conv.weight"] = Tensor(zeros: [8, 8, 3, 3])
        }
        XCTAssertThrowsError(try AutoencoderKL.load(config: Self.fixtureConfigValue(), store: store)) { error in
            guard let error = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.unused.map(\.key), ["encoder.mid_block.attentions.1.to_q.weight"])
            XCTAssertEqual(error.unused.first?.file.hasSuffix(".safetensors"), true)
            XCTAssertEqual(error.mismatched.map(\.key), ["quant_conv.weight"])
            XCTAssertEqual(error.mismatched.first?.expected, [8, 8, 1, 1])
            XCTAssertEqual(error.mismatched.first?.actual, [8, 8, 3, 3])
            XCTAssertTrue(error.missing.isEmpty)
        }
        // The plain config asks for no quant convs: the fixture's are unused.
        var plain = try Self.fixtureConfigValue()
        plain.useQuantConv = false
        XCTAssertThrowsError(try AutoencoderKL.load(config: plain, store: Self.fixtureStore { _ in })) { error in
            XCTAssertEqual((error as? StrictLoadError)?.unused.map(\.key), ["quant_conv.bias", "quant_conv.weight"])
        }
    }

    /// Old diffusers-format VAEs spell the mid attention `query/key/value/proj_attn`.
    func testLegacyAttentionKeysLoad() throws {
        let source = Fixtures.url("autoencoder-kl/vae")
        let folder = try temporaryFolder(copying: source.appendingPathComponent("config.json"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try SafetensorsFile(url: source.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        var tensors: [String: Tensor] = [:]
        let legacy = ["to_q.": "query.", "to_k.": "key.", "to_v.": "value.", "to_out.0.": "proj_attn."]
        for name in file.names {
            var renamed = name
            for (new, old) in legacy { renamed = renamed.replacingOccurrences(of: "attentions.0." + new, with: "attentions.0." + old) }
            tensors[renamed] = try file.tensor(name)
        }
        XCTAssertNotNil(tensors["decoder.mid_block.attentions.0.proj_attn.weight"])
        try SafetensorsWriter.write(tensors, to: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let vae = try AutoencoderKL.load(folder: folder)
        let latents = try AutoencoderKLFixtures.cases().tensor("decode.latents")
        XCTAssertEqual(try vae.decode(latents), try AutoencoderKLFixtures.model().decode(latents))
    }

    // MARK: Cancellation and options

    func testCancellationStopsBetweenFramesAndTiles() throws {
        let vae = try AutoencoderKLFixtures.model()
        let latents = try AutoencoderKLFixtures.cases().tensor("video_3f.latents")
        let cancelled = CancellationFlag()
        cancelled.cancel()
        var reports = 0
        XCTAssertThrowsError(try vae.decodeVideo(latents, cancellation: cancelled) { _, _ in reports += 1 }) {
            XCTAssertEqual($0 as? CancelledError, CancelledError())
        }
        XCTAssertEqual(reports, 0)

        // Cancelled after the first frame: no second frame starts.
        let flag = CancellationFlag()
        var done: [Int] = []
        XCTAssertThrowsError(try vae.decodeVideo(latents, cancellation: flag) { step, _ in
            done.append(step)
            flag.cancel()
        }) { XCTAssertEqual($0 as? CancelledError, CancelledError()) }
        XCTAssertEqual(done, [1])

        // Cancelled after the first tile of a tiled encode.
        let images = try AutoencoderKLFixtures.cases().tensor("tiled_encode.images")
        let tileFlag = CancellationFlag()
        var tiles: [(Int, Int)] = []
        XCTAssertThrowsError(try vae.encode(images, options: AutoencoderKLOptions(tiling: AutoencoderKLFixtures.tiling),
                                            cancellation: tileFlag) { step, total in
            tiles.append((step, total))
            tileFlag.cancel()
        }) { XCTAssertEqual($0 as? CancelledError, CancelledError()) }
        XCTAssertEqual(tiles.map(\.0), [1])
        XCTAssertEqual(tiles.first?.1, 24)
    }

    func testBadInputsAndOptionsAreRefused() throws {
        let vae = try AutoencoderKLFixtures.model()
        XCTAssertThrowsError(try vae.decode(Tensor(zeros: [1, 3, 4, 4]))) { error in
            guard case .badShape? = error as? AutoencoderKLInputError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try vae.decodeVideo(Tensor(zeros: [1, 4, 4, 4]))) { error in
            guard case .badShape? = error as? AutoencoderKLInputError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try vae.encode(Tensor(zeros: [1, 3, 0, 4]))) { error in
            guard case .badShape? = error as? AutoencoderKLInputError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try vae.decode(Tensor(zeros: [1, 4, 4, 4]), options: AutoencoderKLOptions(sliceSize: 0))) { error in
            guard case let .badOption(name, _, _)? = error as? AutoencoderKLInputError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "sliceSize")
        }
        let tooSmall = AutoencoderKLOptions(tiling: AutoencoderKLTiling(sampleTileSize: 2, latentTileSize: 1))
        XCTAssertThrowsError(try vae.decode(Tensor(zeros: [1, 4, 4, 4]), options: tooSmall)) { error in
            guard case let .badOption(name, _, _)? = error as? AutoencoderKLInputError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "tiling.latentTileSize")
        }
    }

    // MARK: Helpers

    /// The fixture config.json as a mutable JSON object, edited and re-encoded.
    static func fixtureConfig(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let data = try Data(contentsOf: Fixtures.url("autoencoder-kl/vae/config.json"))
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func fixtureConfigValue() throws -> AutoencoderKLConfig {
        try ConfigDecoding.decode(AutoencoderKLConfig.self, from: Fixtures.url("autoencoder-kl/vae/config.json"))
    }

    /// The fixture weights, edited, written to a temporary file and opened as a store.
    static func fixtureStore(editing edit: (inout [String: Tensor]) -> Void) throws -> WeightStore {
        let file = try SafetensorsFile(url: Fixtures.url("autoencoder-kl/vae/diffusion_pytorch_model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        edit(&tensors)
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("autoencoder-kl-\(UUID().uuidString).safetensors")
        try SafetensorsWriter.write(tensors, to: url)
        // The store maps the file; unlinking it now keeps the mapping valid and leaves no litter.
        let store = try WeightStore(file: url)
        try? FileManager.default.removeItem(at: url)
        return store
    }
}
