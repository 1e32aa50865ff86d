// AutoencoderKLWan (diffusers 0.42.1) against the committed fixtures written by
// tools/reference/wan_fixtures.py `write_vae` (tiny config: base_dim 4, dim_mult [1,2,2,2]).
import Foundation
import Models
import TensorCore
import WeightsIO
import XCTest

/// Tolerance on `maxRelativeError` for every VAE parity case.
///
/// Both sides compute in float32; the difference is accumulation order (im2col + sgemm
/// blocks here, oneDNN / ATen convolution kernels in torch) over ~20 chained convs, norms
/// and attention. Measured in debug on this machine (the tests print each case): encode
/// mean 2.1e-7 … 1.2e-6, logvar 3.8e-7 … 1.6e-6, normalised latents 1.1e-7 … 5.3e-7; decode
/// video 6.3e-6 … 8.9e-6 (the decoder is deeper and its output spans [-1, 1]). 1e-4 leaves
/// over 10× headroom while still catching any wrong op, a skipped bias (±0.1) or norm
/// weight (1 ± 0.1), or a mis-ordered cache.
let wanVAETolerance: Float = 1e-4

enum WanVAEFixtures {
    static func model() throws -> AutoencoderKLWan {
        try AutoencoderKLWan.load(folder: Fixtures.url("wan/vae"))
    }

    static func cases() throws -> SafetensorsFile {
        try Fixtures.cases("wan/vae_cases.safetensors")
    }
}

final class WanVAEParityTests: XCTestCase {
    func testEncodeMatchesDiffusers() throws {
        let vae = try WanVAEFixtures.model()
        let cases = try WanVAEFixtures.cases()
        for name in ["encode_9f", "encode_1f", "encode_5f_nonsquare", "encode_9f_batch2"] {
            let video = try cases.tensor("\(name).video")
            let (mean, logvar) = try vae.encode(video)
            let normalized = try vae.normalize(mean: mean)
            for (what, actual) in [("mean", mean), ("logvar", logvar), ("latents_normalized", normalized)] {
                let expected = try cases.tensor("\(name).\(what)")
                if actual.shape == expected.shape {
                    print("WanVAE \(name).\(what): max relative error \(maxRelativeError(actual, expected))")
                }
                assertClose(actual, expected, tolerance: wanVAETolerance, "\(name).\(what)")
            }
        }
    }

    func testDecodeMatchesDiffusers() throws {
        let vae = try WanVAEFixtures.model()
        let cases = try WanVAEFixtures.cases()
        for name in ["decode_1f", "decode_2f_nonsquare", "decode_3f", "decode_3f_nonsquare_batch2"] {
            let latents = try cases.tensor("\(name).latents")
            let expected = try cases.tensor("\(name).video")
            var reports: [(Int, Int)] = []
            let video = try vae.decode(latents) { done, total in reports.append((done, total)) }
            if video.shape == expected.shape {
                print("WanVAE \(name).video: max relative error \(maxRelativeError(video, expected))")
            }
            assertClose(video, expected, tolerance: wanVAETolerance, "\(name).video")
            // One progress report per latent frame.
            let F = latents.shape[2]
            XCTAssertEqual(reports.map(\.0), Array(1...F), name)
            XCTAssertTrue(reports.allSatisfy { $0.1 == F }, name)
        }
    }

    func testOneFrameIsAnImage() throws {
        let vae = try WanVAEFixtures.model()
        let video = try WanVAEFixtures.cases().tensor("encode_1f.video")
        let (mean, logvar) = try vae.encode(video)
        XCTAssertEqual(mean.shape, [1, 16, 1, 2, 2])
        XCTAssertEqual(logvar.shape, [1, 16, 1, 2, 2])
        XCTAssertEqual(vae.latentFrameCount(forVideoFrames: 1), 1)
        // and decodes back to one frame
        XCTAssertEqual(try vae.decode(mean).shape, [1, 3, 1, 16, 16])
    }

    func testNormalizeAndDenormalizeAreInverse() throws {
        let vae = try WanVAEFixtures.model()
        let mean = try WanVAEFixtures.cases().tensor("encode_9f.mean")
        let roundTrip = try vae.denormalize(vae.normalize(mean: mean))
        XCTAssertLessThanOrEqual(maxRelativeError(roundTrip, mean), 1e-6)
        // channel c uses latents_mean[c] / latents_std[c]
        let ones = Tensor(repeating: 1, shape: [1, 16, 1, 1, 1])
        let denormalized = try vae.denormalize(ones)
        for c in 0..<16 {
            XCTAssertEqual(denormalized[0, c, 0, 0, 0], vae.config.latentsStd[c] + vae.config.latentsMean[c], accuracy: 1e-6)
        }
    }
}
