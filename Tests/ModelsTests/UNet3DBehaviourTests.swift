// UNet3DConditionModel (diffusers 0.42.1): what the temporal layers do, cancellation, input
// checks, config refusal, strict loading and the fp16 variant, on the fixture model of
// tools/reference/unet3d_fixtures.py.
import Foundation
@testable import Models
import TensorCore
import WeightsIO
import XCTest

final class UNet3DBehaviourTests: XCTestCase {
    // MARK: What the temporal parts do

    /// With every temporal layer's output projection zeroed (TemporalConvLayer `conv4`,
    /// TransformerTemporalModel `proj_out`, `transformer_in` included) each temporal layer is
    /// exactly the identity (x + 0), so the UNet is the 2-D UNet applied to each frame: frame i of a
    /// 3-frame clip comes out as frame i run alone (F = 1).
    ///
    /// Tolerance 1e-5 relative: the per-frame computation is the same sequence of ops on the same
    /// numbers, so only rounding can differ — OpenBLAS blocks the GEMMs of the linears (over
    /// B·F·H·W tokens) differently for 3× as many rows. Measured 3.1e-7 … 3.8e-7 (printed), not
    /// bit-identical. 1e-5 is 4 orders of magnitude below what one live frame-mixing layer does:
    /// with the real weights a frame alone differs from the same frame in the clip by 0.47 … 0.82
    /// (`testRealTemporalLayersMixFrames`).
    func testZeroedTemporalLayersMakeFramesIndependent() throws {
        let unet = try UNet3DFixtures.zeroedTemporalModel()
        let cases = try UNet3DFixtures.cases()
        let (clip, timestep, text) = try UNet3DFixtures.inputs("zeroed_frames3", in: cases)     // [1, 4, 3, 16, 16]
        let together = try unet(clip, timestep: timestep, encoderHiddenStates: text)
        for f in 0..<3 {
            let frame = clip.narrowed(axis: 2, start: f, length: 1)                          // [1, 4, 1, 16, 16]
            let alone = try unet(frame, timestep: timestep, encoderHiddenStates: text)
            let inClip = together.narrowed(axis: 2, start: f, length: 1)
            print("UNet3D zeroed temporal, frame \(f) alone vs in the clip: max relative error \(maxRelativeError(alone, inClip))")
            assertClose(alone, inClip, tolerance: 1e-5, "zeroed temporal layers: frame \(f) alone vs in the clip")
        }
    }

    /// With the real weights frame i's output depends on the other frames: it differs from frame i
    /// run alone, and changing only frame 2 of the input changes frame 0 of the output.
    func testRealTemporalLayersMixFrames() throws {
        let unet = try UNet3DFixtures.model()
        let cases = try UNet3DFixtures.cases()
        let (clip, timestep, text) = try UNet3DFixtures.inputs("frames3", in: cases)
        let together = try unet(clip, timestep: timestep, encoderHiddenStates: text)
        for f in 0..<3 {
            let alone = try unet(clip.narrowed(axis: 2, start: f, length: 1), timestep: timestep, encoderHiddenStates: text)
            let error = maxRelativeError(alone, together.narrowed(axis: 2, start: f, length: 1))
            print("UNet3D real temporal layers, frame \(f) alone vs in the clip: max relative difference \(error)")
            XCTAssertGreaterThan(error, 1e-2, "frame \(f) should depend on the other frames")
        }
        // Replace frame 2 by frame 1: output frame 0 moves.
        let edited = Tensor.concatenate([clip.narrowed(axis: 2, start: 0, length: 2), clip.narrowed(axis: 2, start: 1, length: 1)],
                                        axis: 2)
        let moved = try unet(edited, timestep: timestep, encoderHiddenStates: text)
        XCTAssertGreaterThan(maxRelativeError(moved.narrowed(axis: 2, start: 0, length: 1),
                                              together.narrowed(axis: 2, start: 0, length: 1)), 1e-3)
    }

    // MARK: Inputs and cancellation

    func testCancellationStopsTheForwardPass() throws {
        let unet = try UNet3DFixtures.model()
        let (sample, timestep, text) = try UNet3DFixtures.inputs("frames1", in: UNet3DFixtures.cases())
        let flag = CancellationFlag()
        flag.cancel()
        XCTAssertThrowsError(try unet(sample, timestep: timestep, encoderHiddenStates: text, cancellation: flag)) {
            XCTAssertTrue($0 is CancelledError, "\($0)")
        }
    }

    func testOneTimestepServesTheBatch() throws {
        let unet = try UNet3DFixtures.model()
        let (sample, _, text) = try UNet3DFixtures.inputs("batch2", in: UNet3DFixtures.cases())
        XCTAssertEqual(try unet(sample, timestep: [10], encoderHiddenStates: text),
                       try unet(sample, timestep: [10, 10], encoderHiddenStates: text))
    }

    func testBadInputsAreRefused() throws {
        let unet = try UNet3DFixtures.model()
        let (sample, timestep, text) = try UNet3DFixtures.inputs("frames3", in: UNet3DFixtures.cases())
        XCTAssertThrowsError(try unet(sample.reshaped([1, 4, 3, 256]), timestep: timestep, encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? UNet3DConditionInputError, .sampleShape(shape: [1, 4, 3, 256], inChannels: 4))
        }
        XCTAssertThrowsError(try unet(sample, timestep: timestep, encoderHiddenStates: text.reshaped([1, 8, 4]))) {
            XCTAssertEqual($0 as? UNet3DConditionInputError, .textShape(shape: [1, 8, 4], batch: 1, crossAttentionDim: 8))
        }
        XCTAssertThrowsError(try unet(sample, timestep: [1, 2], encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? UNet3DConditionInputError, .timestepCount(count: 2, batch: 1))
        }
    }

    // MARK: Config

    func testFixtureConfigDecodes() throws {
        let config = try UNet3DFixtures.config()
        XCTAssertEqual(config.blockOutChannels, [4, 8])
        XCTAssertEqual(config.downBlockTypes, [.crossAttnDownBlock3D, .downBlock3D])
        XCTAssertEqual(config.upBlockTypes, [.upBlock3D, .crossAttnUpBlock3D])
        XCTAssertEqual(config.attentionHeadDim, [2, 2])
        XCTAssertEqual(config.crossAttentionDim, 8)
        XCTAssertEqual(config.normNumGroups, 4)
        XCTAssertEqual(config.normEps, 1e-5)
        XCTAssertEqual(config.layersPerBlock, 1)
        XCTAssertEqual(config.sampleSize, 16)
        XCTAssertEqual(config.timeEmbedDim, 16)
        // The ModelScope defaults when keys are absent.
        let defaults = try ConfigDecoding.decode(UNet3DConditionConfig.self, from: Data("{}".utf8), path: "config.json")
        XCTAssertEqual(defaults, try UNet3DConditionConfig())
        XCTAssertEqual(defaults.blockOutChannels, [320, 640, 1280, 1280])
        XCTAssertEqual(defaults.attentionHeadDim, [64, 64, 64, 64])
    }

    func testRefusedConfigValuesAreNamedByKeyPath() throws {
        let cases: [(String, Any, String)] = [
            ("down_block_types", ["CrossAttnDownBlock3D", "DownBlockSpatioTemporal"], "down_block_types[1]"),
            ("up_block_types", ["UpBlockMotion", "CrossAttnUpBlock3D"], "up_block_types[0]"),
            ("num_attention_heads", 8, "num_attention_heads"),
            ("time_cond_proj_dim", 16, "time_cond_proj_dim"),
            ("act_fn", "mish", "act_fn"),
            ("norm_num_groups", NSNull(), "norm_num_groups"),
        ]
        for (key, value, keyPath) in cases {
            let data = try Self.fixtureConfig { $0[key] = value }
            XCTAssertThrowsError(try ConfigDecoding.decode(UNet3DConditionConfig.self, from: data, path: "config.json")) {
                guard case let .configInvalid(_, path, problem)? = $0 as? DiffusersFolderError else { return XCTFail("\($0)") }
                XCTAssertEqual(path, keyPath, problem)
            }
        }
        // null is what diffusers writes for both.
        let nulls = try Self.fixtureConfig { $0["num_attention_heads"] = NSNull(); $0["time_cond_proj_dim"] = NSNull() }
        XCTAssertNoThrow(try ConfigDecoding.decode(UNet3DConditionConfig.self, from: nulls, path: "config.json"))
    }

    func testInconsistentConfigValuesAreNamed() throws {
        let cases: [(String, Any)] = [
            ("norm_num_groups", 3), ("up_block_types", ["UpBlock3D"]), ("attention_head_dim", [2, 2, 2]),
            ("attention_head_dim", 16), ("layers_per_block", 0), ("block_out_channels", [4, 8, 16]),
        ]
        for (key, value) in cases {
            let data = try Self.fixtureConfig { $0[key] = value }
            XCTAssertThrowsError(try ConfigDecoding.decode(UNet3DConditionConfig.self, from: data, path: "config.json")) {
                let named = ($0 as? UNet3DConditionConfigError)?.key
                XCTAssertTrue(named == key || (key == "block_out_channels" && named == "down_block_types"), "\($0)")
            }
        }
    }

    // MARK: Strict loading

    func testMissingUnusedAndMisShapedWeightsAreNamed() throws {
        let missing = "mid_block.temp_convs.1.conv4.3.bias"
        let store = try UNet3DFixtures.store { tensors in
            tensors.removeValue(forKey: missing)
            tensors["mid_block.temp_attentions.1.proj_out.weight"] = Tensor(zeros: [8, 8])
            tensors["transformer_in.proj_in.weight"] = Tensor(zeros: [8, 4])
        }
        XCTAssertThrowsError(try UNet3DConditionModel.load(config: UNet3DFixtures.config(), store: store)) { error in
            guard let error = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.missing.map(\.key), [missing])
            XCTAssertEqual(error.missing.first?.expectedShape, [8])
            XCTAssertEqual(error.unused.map(\.key), ["mid_block.temp_attentions.1.proj_out.weight"])
            XCTAssertEqual(error.mismatched.map(\.key), ["transformer_in.proj_in.weight"])
            // transformer_in: 8 heads × attention_head_dim 2 = 16 wide on C0 = 4.
            XCTAssertEqual(error.mismatched.first?.expected, [16, 4])
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
    }

    /// `variant: "fp16"` reads `diffusion_pytorch_model.fp16.safetensors`; its half weights give
    /// exactly the numbers of the same values widened to Float at load (widening is exact).
    func testFP16VariantLoads() throws {
        let weights = "diffusion_pytorch_model.safetensors"
        let rounded = try temporaryModelCopy(UNet3DFixtures.folder, weights: weights, dtype: .float32,
                                             roundedThrough: .float16)
        let half = try temporaryModelCopy(UNet3DFixtures.folder, weights: weights, dtype: .float16)
        defer {
            try? FileManager.default.removeItem(at: rounded)
            try? FileManager.default.removeItem(at: half)
        }
        try FileManager.default.moveItem(at: half.appendingPathComponent(weights),
                                         to: half.appendingPathComponent("diffusion_pytorch_model.fp16.safetensors"))
        let cases = try UNet3DFixtures.cases()
        let (sample, timestep, text) = try UNet3DFixtures.inputs("frames3", in: cases)
        let fromHalf = try UNet3DConditionModel.load(folder: half, variant: "fp16")(sample, timestep: timestep,
                                                                                   encoderHiddenStates: text)
        let fromRounded = try UNet3DConditionModel.load(folder: rounded)(sample, timestep: timestep,
                                                                         encoderHiddenStates: text)
        XCTAssertEqual(fromHalf, fromRounded)
        // fp16 weights move the output only by their rounding (2^-11 relative per weight).
        let error = maxRelativeError(fromHalf, try cases.tensor("frames3.output"))
        print("UNet3D fp16 variant vs float32 diffusers output: max relative difference \(error)")
        XCTAssertLessThan(error, 1e-2)
    }

    static func fixtureConfig(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let data = try Data(contentsOf: Fixtures.url("\(UNet3DFixtures.folder)/config.json"))
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }
}
