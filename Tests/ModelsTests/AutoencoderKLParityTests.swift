// AutoencoderKL (diffusers 0.42.1) against the committed fixtures written by
// tools/reference/autoencoder_kl_fixtures.py (tiny config: block_out_channels [8, 16],
// layers_per_block 1, norm_num_groups 4, latent_channels 4; cases listed in
// Tests/Fixtures/autoencoder-kl/README.md).
import Foundation
import Models
import TensorCore
import WeightsIO
import XCTest

/// Tolerance on `maxRelativeError` (max |Δ| / max |expected|) for every AutoencoderKL parity case.
///
/// Both sides compute in float32 from the same weights; they differ only in summation order:
/// im2col + OpenBLAS sgemm here against torch's convolution kernels, GroupNorm statistics
/// accumulated in Double here against torch's float reductions, and a blocked online softmax
/// against torch's SDPA. One float32 rounding is 6e-8 relative; the decoder chains ~20 such
/// ops (each 3×3 conv sums up to 16·9 = 144 products, and each GroupNorm divides by σ, which
/// amplifies the absolute error of a low-variance group), so errors of a few 1e-7 … 1e-6 are
/// expected. Measured (debug build, this machine; the tests print each case): encode mean /
/// logvar 6.8e-7 … 1.05e-6 (plain variant included), decode 1.05e-6 … 1.85e-6 (odd sides the
/// largest), tiled encode 1.25e-6 … 1.34e-6, tiled decode 9.2e-7 … 1.02e-6, pipeline video
/// decodes 4.6e-7 … 6.6e-7. 1e-4 leaves > 50× headroom, while any wrong op lands far above it:
/// a skipped norm weight (1 ± 0.1) or bias (± 0.1), symmetric instead of right/bottom padding,
/// a missing `1 / scaling_factor` or a blend that is not diffusers' each move the output by
/// 1e-2 … 1 (tiled vs untiled alone differ by > 1e-2, AutoencoderKLBehaviourTests).
let autoencoderKLTolerance: Float = 1e-4

enum AutoencoderKLFixtures {
    static func model() throws -> AutoencoderKL {
        try AutoencoderKL.load(folder: Fixtures.url("autoencoder-kl/vae"))
    }

    static func plainModel() throws -> AutoencoderKL {
        try AutoencoderKL.load(folder: Fixtures.url("autoencoder-kl/vae_plain"))
    }

    static func cases() throws -> SafetensorsFile {
        try Fixtures.cases("autoencoder-kl/vae_cases.safetensors")
    }

    static func plainCases() throws -> SafetensorsFile {
        try Fixtures.cases("autoencoder-kl/vae_plain_cases.safetensors")
    }

    /// The tile sizes the fixture script set on the diffusers model.
    static let tiling = AutoencoderKLTiling(sampleTileSize: 16, latentTileSize: 8)
}

/// Asserts parity and prints the measured error (the numbers quoted beside the tolerance).
func assertKLParity(_ actual: Tensor, _ expected: Tensor, _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    if actual.shape == expected.shape {
        print("AutoencoderKL \(what): max relative error \(maxRelativeError(actual, expected))")
    }
    assertClose(actual, expected, tolerance: autoencoderKLTolerance, what, file: file, line: line)
}

final class AutoencoderKLParityTests: XCTestCase {
    func testEncodeMatchesDiffusers() throws {
        let vae = try AutoencoderKLFixtures.model()
        let cases = try AutoencoderKLFixtures.cases()
        for name in ["encode", "encode_odd"] {
            let (mean, logvar) = try vae.encode(try cases.tensor("\(name).images"))
            assertKLParity(mean, try cases.tensor("\(name).mean"), "\(name).mean")
            assertKLParity(logvar, try cases.tensor("\(name).logvar"), "\(name).logvar")
        }
    }

    func testDecodeMatchesDiffusers() throws {
        let vae = try AutoencoderKLFixtures.model()
        let cases = try AutoencoderKLFixtures.cases()
        for name in ["decode", "decode_odd"] {
            let latents = try cases.tensor("\(name).latents")
            var reports: [(Int, Int)] = []
            let images = try vae.decode(latents) { reports.append(($0, $1)) }
            assertKLParity(images, try cases.tensor("\(name).images"), "\(name).images")
            // One image per slice by default: one report per image.
            let N = latents.shape[0]
            XCTAssertEqual(reports.map(\.0), Array(1...N), name)
            XCTAssertTrue(reports.allSatisfy { $0.1 == N }, name)
        }
    }

    func testTiledEncodeMatchesDiffusers() throws {
        let vae = try AutoencoderKLFixtures.model()
        let cases = try AutoencoderKLFixtures.cases()
        let images = try cases.tensor("tiled_encode.images")                       // [2, 3, 28, 44]
        var reports: [(Int, Int)] = []
        let (mean, logvar) = try vae.encode(images, options: AutoencoderKLOptions(tiling: AutoencoderKLFixtures.tiling)) {
            reports.append(($0, $1))
        }
        assertKLParity(mean, try cases.tensor("tiled_encode.mean"), "tiled_encode.mean")
        assertKLParity(logvar, try cases.tensor("tiled_encode.logvar"), "tiled_encode.logvar")
        // 2 slices × (3 rows × 4 columns) tiles.
        XCTAssertEqual(reports.map(\.0), Array(1...24))
        XCTAssertTrue(reports.allSatisfy { $0.1 == 24 })
    }

    func testTiledDecodeMatchesDiffusers() throws {
        let vae = try AutoencoderKLFixtures.model()
        let cases = try AutoencoderKLFixtures.cases()
        let latents = try cases.tensor("tiled_decode.latents")                     // [2, 4, 14, 22]
        let expected = try cases.tensor("tiled_decode.images")
        for sliceSize in [1, nil] as [Int?] {
            var reports: [(Int, Int)] = []
            let options = AutoencoderKLOptions(sliceSize: sliceSize, tiling: AutoencoderKLFixtures.tiling)
            let images = try vae.decode(latents, options: options) { reports.append(($0, $1)) }
            assertKLParity(images, expected, "tiled_decode.images (slice \(sliceSize.map(String.init) ?? "all"))")
            let total = sliceSize == nil ? 12 : 24
            XCTAssertEqual(reports.map(\.0), Array(1...total))
        }
    }

    /// TextToVideoSDPipeline.decode_latents: `1 / scaling_factor · z`, frames folded into the batch.
    func testVideoDecodeMatchesTextToVideoSDPipeline() throws {
        let vae = try AutoencoderKLFixtures.model()
        let cases = try AutoencoderKLFixtures.cases()
        for name in ["video_3f", "video_1f", "video_2f_batch2"] {
            let latents = try cases.tensor("\(name).latents")                      // [B, 4, F, h, w]
            var reports: [(Int, Int)] = []
            let video = try vae.decodeVideo(vae.denormalize(latents)) { reports.append(($0, $1)) }
            assertKLParity(video, try cases.tensor("\(name).video"), "\(name).video")
            // One frame at a time by default: B·F reports.
            let frames = latents.shape[0] * latents.shape[2]
            XCTAssertEqual(reports.map(\.0), Array(1...frames), name)
        }
    }

    /// AnimateDiffPipeline.decode_latents with decode_chunk_size 2 = slices of 2 frames.
    func testVideoDecodeMatchesAnimateDiffChunks() throws {
        let vae = try AutoencoderKLFixtures.model()
        let cases = try AutoencoderKLFixtures.cases()
        let latents = try cases.tensor("video_3f.latents")
        var reports: [(Int, Int)] = []
        let video = try vae.decodeVideo(vae.denormalize(latents), options: AutoencoderKLOptions(sliceSize: 2)) {
            reports.append(($0, $1))
        }
        assertKLParity(video, try cases.tensor("video_3f.video_animatediff_chunk2"), "video_3f.video_animatediff_chunk2")
        XCTAssertEqual(reports.map(\.0), [1, 2])
        XCTAssertTrue(reports.allSatisfy { $0.1 == 2 })
    }

    /// No quant convs and no mid-block attention.
    func testPlainVariantMatchesDiffusers() throws {
        let vae = try AutoencoderKLFixtures.plainModel()
        let cases = try AutoencoderKLFixtures.plainCases()
        XCTAssertFalse(vae.config.useQuantConv)
        XCTAssertFalse(vae.config.midBlockAddAttention)
        let (mean, logvar) = try vae.encode(try cases.tensor("encode.images"))
        assertKLParity(mean, try cases.tensor("encode.mean"), "plain encode.mean")
        assertKLParity(logvar, try cases.tensor("encode.logvar"), "plain encode.logvar")
        assertKLParity(try vae.decode(try cases.tensor("decode.latents")), try cases.tensor("decode.images"),
                       "plain decode.images")
    }
}
