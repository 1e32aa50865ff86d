// UNetMotionModel (diffusers 0.42.1 `UNetMotionModel.from_unet2d`, AnimateDiff): what the motion modules
// do, the positional table, input checks, cancellation, config refusal by key path, UNet / adapter
// mismatches, strict loading of both files and the fp16 variant, on the fixture models of
// tools/reference/unet_motion_fixtures.py.
import Foundation
@testable import Models
import TensorCore
import WeightsIO
import XCTest

final class UNetMotionBehaviourTests: XCTestCase {
    // MARK: What the motion modules do

    /// With every motion module's `proj_out` zeroed each motion module is exactly the identity (x + 0),
    /// so frame f of a 3-frame clip comes out as the plain UNet2DConditionModel (no adapter) on frame f
    /// alone.
    ///
    /// Tolerance 1e-5 relative: the per-frame computation is the same sequence of ops on the same
    /// numbers, so only rounding can differ — OpenBLAS blocks the GEMMs (over B·F·H·W rows) differently
    /// for 3× as many rows (measured 4.5e-7 … 5.4e-7, printed; not bit-identical). 1e-5 is 4 orders of
    /// magnitude below what live motion modules do (`testRealMotionModulesMixFrames`: 0.48 … 0.80).
    func testZeroedMotionModulesMakeEachFrameTheUNet2DAlone() throws {
        let zeroed = try UNetMotionFixtures.zeroedMotionModel()
        let unet2D = try UNetMotionFixtures.unet2D()
        let cases = try UNetMotionFixtures.cases()
        let (clip, timestep, text) = try UNetMotionFixtures.inputs("zeroed_frames3", in: cases)   // [1, 4, 3, 8, 12]
        let together = try zeroed(clip, timestep: timestep, encoderHiddenStates: text)
        for f in 0..<3 {
            let frame = clip.narrowed(axis: 2, start: f, length: 1)                              // [1, 4, 1, 8, 12]
            let alone = try unet2D(frame, timestep: timestep,
                                   encoderHiddenStates: text.narrowed(axis: 0, start: f, length: 1))
            let inClip = together.narrowed(axis: 2, start: f, length: 1)
            print("UNetMotion zeroed motion, frame \(f) by the UNet2D alone vs in the clip: max relative error "
                  + "\(maxRelativeError(alone, inClip))")
            assertClose(alone, inClip, tolerance: 1e-5, "zeroed motion modules: frame \(f) alone vs in the clip")
        }
    }

    /// With the real motion weights frame f's output depends on the other frames: it differs from frame
    /// f run alone, and changing only frame 2 of the input changes frame 0 of the output.
    func testRealMotionModulesMixFrames() throws {
        let unet = try UNetMotionFixtures.model()
        let cases = try UNetMotionFixtures.cases()
        let (clip, timestep, text) = try UNetMotionFixtures.inputs("frames3", in: cases)
        let together = try unet(clip, timestep: timestep, encoderHiddenStates: text)
        for f in 0..<3 {
            let alone = try unet(clip.narrowed(axis: 2, start: f, length: 1), timestep: timestep,
                                 encoderHiddenStates: text.narrowed(axis: 0, start: f, length: 1))
            let difference = maxRelativeError(alone, together.narrowed(axis: 2, start: f, length: 1))
            print("UNetMotion real motion modules, frame \(f) alone vs in the clip: max relative difference \(difference)")
            XCTAssertGreaterThan(difference, 1e-2, "frame \(f) should depend on the other frames")
        }
        let edited = Tensor.concatenate([clip.narrowed(axis: 2, start: 0, length: 2), clip.narrowed(axis: 2, start: 1, length: 1)],
                                        axis: 2)
        let moved = try unet(edited, timestep: timestep, encoderHiddenStates: text)
        XCTAssertGreaterThan(maxRelativeError(moved.narrowed(axis: 2, start: 0, length: 1),
                                              together.narrowed(axis: 2, start: 0, length: 1)), 1e-3)
    }

    /// The stored `pos_embed.pe` is diffusers' interleaved table: pe[p, 2i] = sin(p·d_i), pe[p, 2i+1] =
    /// cos(p·d_i), d_i = exp(2i · −ln 10000 / C). Tolerance 1e-5 absolute: torch computes it in float32
    /// (arguments up to 31 rad carry ~2e-6 of rounding).
    func testPositionalTableIsInterleavedSinCos() throws {
        let unet = try UNetMotionFixtures.model()
        guard let pe = unet.downBlocks[1].layers[0].motion?.transformerBlocks[0].posEmbed?.pe else {
            return XCTFail("no positional table")
        }
        let (P, C) = (pe.shape[1], pe.shape[2])
        XCTAssertEqual(pe.shape, [1, 32, 16])
        var worst: Double = 0
        for p in 0..<P {
            for i in 0..<(C / 2) {
                let angle = Double(p) * exp(Double(2 * i) * -log(10000.0) / Double(C))
                worst = max(worst, abs(Double(pe.data[p * C + 2 * i]) - sin(angle)),
                            abs(Double(pe.data[p * C + 2 * i + 1]) - cos(angle)))
            }
        }
        XCTAssertLessThan(worst, 1e-5)
    }

    // MARK: Inputs and cancellation

    func testBadInputsAreRefused() throws {
        let unet = try UNetMotionFixtures.model()
        let (sample, timestep, text) = try UNetMotionFixtures.inputs("frames3", in: UNetMotionFixtures.cases())
        // One prompt row for the clip instead of one per frame.
        XCTAssertThrowsError(try unet(sample, timestep: timestep, encoderHiddenStates: text.narrowed(axis: 0, start: 0, length: 1))) {
            XCTAssertEqual($0 as? UNetMotionInputError, .textShape(shape: [1, 5, 16], rows: 3, crossAttentionDim: 16))
        }
        XCTAssertThrowsError(try unet(Tensor(zeros: [1, 3, 3, 8, 8]), timestep: timestep, encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? UNetMotionInputError, .sampleShape(shape: [1, 3, 3, 8, 8], inChannels: 4))
        }
        XCTAssertThrowsError(try unet(sample, timestep: [1, 2], encoderHiddenStates: text)) {
            XCTAssertEqual($0 as? UNetMotionInputError, .timestepCount(count: 2, batch: 1))
        }
        XCTAssertThrowsError(try unet(Tensor(zeros: [1, 4, 33, 2, 2]), timestep: [1],
                                      encoderHiddenStates: Tensor(zeros: [33, 5, 16]))) {
            XCTAssertEqual($0 as? UNetMotionInputError, .tooManyFrames(frames: 33, maxSeqLength: 32))
            XCTAssertTrue("\($0)".contains("motion_max_seq_length"), "\($0)")
        }
    }

    func testCancellationStopsTheForwardPass() throws {
        let unet = try UNetMotionFixtures.model()
        let (sample, timestep, text) = try UNetMotionFixtures.inputs("frames1", in: UNetMotionFixtures.cases())
        let flag = CancellationFlag()
        flag.cancel()
        XCTAssertThrowsError(try unet(sample, timestep: timestep, encoderHiddenStates: text, cancellation: flag)) {
            XCTAssertTrue($0 is CancelledError, "\($0)")
        }
    }

    // MARK: Configs

    func testFixtureConfigsDecode() throws {
        let unet = try UNetMotionFixtures.unetConfig()
        XCTAssertEqual(unet, try UNet2DConditionConfig(
            sampleSize: 16, downBlockCrossAttention: [true, false], upBlockCrossAttention: [false, true],
            blockOutChannels: [8, 16], layersPerBlock: [2, 2], normNumGroups: 4, crossAttentionDim: 16,
            attentionHeads: [2, 2], useLinearProjection: false, transformerLayersPerBlock: [1, 1]))
        let motion = try UNetMotionFixtures.adapterConfig().motionModules(for: unet)
        XCTAssertEqual(motion, MotionModuleConfig(numAttentionHeads: [2, 2], maxSeqLength: 32, layersPerBlock: [2, 2],
                                                  transformerLayersPerBlock: [1, 1], midBlockTransformerLayers: 1))
    }

    /// Values this port does not implement are refused with their key path.
    func testRefusedConfigValuesAreNamedByKeyPath() throws {
        let unetEdits: [(String, Any, String)] = [
            ("down_block_types", ["CrossAttnDownBlock2D", "AttnDownBlock2D"], "down_block_types[1]"),
            ("time_cond_proj_dim", 256, "time_cond_proj_dim"),
            ("num_attention_heads", 8, "num_attention_heads"),
            ("class_embed_type", "timestep", "class_embed_type"),
            ("addition_embed_type", "text_time", "addition_embed_type"),
            ("mid_block_type", "UNetMidBlock2DSimpleCrossAttn", "mid_block_type"),
            ("resnet_time_scale_shift", "scale_shift", "resnet_time_scale_shift"),
            ("cross_attention_dim", [16, 16], "cross_attention_dim"),
            ("act_fn", "mish", "act_fn"),
            ("norm_num_groups", 3, "norm_num_groups"),
        ]
        for (key, value, path) in unetEdits {
            let data = try Self.config(UNetMotionFixtures.unetFolder) { $0[key] = value }
            XCTAssertThrowsError(try ConfigDecoding.decode(UNet2DConditionConfig.self, from: data, path: "config.json")) {
                guard case let DiffusersFolderError.configInvalid(_, keyPath, _)? = $0 as? DiffusersFolderError else {
                    return XCTFail("\(key): \($0)")
                }
                XCTAssertEqual(keyPath, path, "\($0)")
            }
        }
        // Inert values of known keys, and keys diffusers does not know (EMA bookkeeping), are accepted.
        let accepted = try Self.config(UNetMotionFixtures.unetFolder) {
            $0["resnet_out_scale_factor"] = 1
            $0["decay"] = 0.9999
        }
        XCTAssertNoThrow(try ConfigDecoding.decode(UNet2DConditionConfig.self, from: accepted, path: "config.json"))
        for (key, value) in [("conv_in_channels", 9 as Any), ("motion_mid_block_layers_per_block", 2),
                             ("motion_num_attention_heads", [2, 2, 2])] {
            let data = try Self.config(UNetMotionFixtures.adapterFolder) { $0[key] = value }
            XCTAssertThrowsError(try ConfigDecoding.decode(MotionAdapterConfig.self, from: data, path: "config.json")
                .motionModules(for: UNetMotionFixtures.unetConfig())) {
                XCTAssertTrue("\($0)".contains(key), "\(key): \($0)")
            }
        }
    }

    /// An adapter made for another UNet layout is refused, naming both values.
    func testAdapterMismatchesAreNamedWithBothValues() throws {
        let unet = try UNetMotionFixtures.unetConfig()
        let wider = try Self.config(UNetMotionFixtures.adapterFolder) { $0["block_out_channels"] = [8, 8] }
        XCTAssertThrowsError(try ConfigDecoding.decode(MotionAdapterConfig.self, from: wider, path: "config.json")
            .motionModules(for: unet)) {
            XCTAssertEqual($0 as? UNetMotionConfigError,
                           .adapterMismatch(adapterKey: "block_out_channels", adapterValue: "[8, 8]",
                                            unetKey: "block_out_channels", unetValue: "[8, 16]"))
            XCTAssertTrue("\($0)".contains("[8, 8]") && "\($0)".contains("[8, 16]"), "\($0)")
        }
        let deeper = try Self.config(UNetMotionFixtures.adapterFolder) { $0["motion_layers_per_block"] = 3 }
        XCTAssertThrowsError(try ConfigDecoding.decode(MotionAdapterConfig.self, from: deeper, path: "config.json")
            .motionModules(for: unet)) {
            XCTAssertEqual($0 as? UNetMotionConfigError,
                           .adapterMismatch(adapterKey: "motion_layers_per_block", adapterValue: "[3, 3]",
                                            unetKey: "layers_per_block", unetValue: "[2, 2]"))
        }
    }

    // MARK: Strict loading

    /// Missing, unused and mis-shaped keys are named with the file they came from, for either file.
    func testMissingUnusedAndMisShapedWeightsAreNamed() throws {
        let missing = "up_blocks.1.motion_modules.2.transformer_blocks.0.attn2.to_out.0.bias"
        let adapter = try UNetMotionFixtures.store(UNetMotionFixtures.adapterFolder) { tensors in
            tensors.removeValue(forKey: missing)
            tensors["mid_block.motion_modules.1.proj_out.weight"] = Tensor(zeros: [16, 16])
            tensors["down_blocks.0.motion_modules.0.transformer_blocks.0.pos_embed.pe"] = Tensor(zeros: [1, 24, 8])
        }
        XCTAssertThrowsError(try UNetMotionModel.load(
            unetConfig: UNetMotionFixtures.unetConfig(), unetStore: UNetMotionFixtures.store(UNetMotionFixtures.unetFolder),
            adapterConfig: UNetMotionFixtures.adapterConfig(), adapterStore: adapter)) { error in
            guard let error = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.missing.map(\.key), [missing])
            XCTAssertEqual(error.missing.first?.expectedShape, [8])
            XCTAssertEqual(error.unused.map(\.key), ["mid_block.motion_modules.1.proj_out.weight"])
            XCTAssertEqual(error.mismatched.map(\.key), ["down_blocks.0.motion_modules.0.transformer_blocks.0.pos_embed.pe"])
            XCTAssertEqual(error.mismatched.first?.expected, [1, 32, 8])
            XCTAssertEqual(error.source, adapter.source)
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
        let unet = try UNetMotionFixtures.store(UNetMotionFixtures.unetFolder) { tensors in
            tensors["down_blocks.0.attentions.0.proj_in.weight"] = Tensor(zeros: [8, 8])   // a linear, not [8, 8, 1, 1]
            tensors["down_blocks.0.motion_modules.0.proj_in.weight"] = Tensor(zeros: [8, 8])
        }
        XCTAssertThrowsError(try UNetMotionModel.load(unetConfig: UNetMotionFixtures.unetConfig(), unetStore: unet,
                                                      adapterConfig: nil, adapterStore: nil)) { error in
            guard let error = error as? StrictLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.unused.map(\.key), ["down_blocks.0.motion_modules.0.proj_in.weight"])
            XCTAssertEqual(error.mismatched.map(\.key), ["down_blocks.0.attentions.0.proj_in.weight"])
            XCTAssertEqual(error.mismatched.first?.expected, [8, 8, 1, 1])
            XCTAssertEqual(error.source, unet.source)
        }
    }

    /// `variant: "fp16"` reads both folders' `diffusion_pytorch_model.fp16.safetensors`; the half weights
    /// give exactly the numbers of the same values widened to Float at load (widening is exact).
    func testFP16VariantLoads() throws {
        let weights = UNetMotionFixtures.weights
        var folders: [String: (half: URL, rounded: URL)] = [:]
        for folder in [UNetMotionFixtures.unetFolder, UNetMotionFixtures.adapterFolder] {
            let rounded = try temporaryModelCopy(folder, weights: weights, dtype: .float32, roundedThrough: .float16)
            let half = try temporaryModelCopy(folder, weights: weights, dtype: .float16)
            try FileManager.default.moveItem(at: half.appendingPathComponent(weights),
                                             to: half.appendingPathComponent("diffusion_pytorch_model.fp16.safetensors"))
            folders[folder] = (half, rounded)
        }
        defer {
            for (half, rounded) in folders.values {
                try? FileManager.default.removeItem(at: half)
                try? FileManager.default.removeItem(at: rounded)
            }
        }
        guard let unet = folders[UNetMotionFixtures.unetFolder], let adapter = folders[UNetMotionFixtures.adapterFolder] else {
            return XCTFail("copies")
        }
        let cases = try UNetMotionFixtures.cases()
        let (sample, timestep, text) = try UNetMotionFixtures.inputs("frames3", in: cases)
        let fromHalf = try UNetMotionModel.load(unetFolder: unet.half, motionAdapterFolder: adapter.half, variant: "fp16")(
            sample, timestep: timestep, encoderHiddenStates: text)
        let fromRounded = try UNetMotionModel.load(unetFolder: unet.rounded, motionAdapterFolder: adapter.rounded)(
            sample, timestep: timestep, encoderHiddenStates: text)
        XCTAssertEqual(fromHalf, fromRounded)
        let error = maxRelativeError(fromHalf, try cases.tensor("frames3.output"))
        print("UNetMotion fp16 variant vs float32 diffusers output: max relative difference \(error)")
        XCTAssertLessThan(error, 1e-2)
    }

    /// The fixture `config.json` of `folder`, edited.
    static func config(_ folder: String, _ edit: (inout [String: Any]) -> Void) throws -> Data {
        let data = try Data(contentsOf: Fixtures.url("\(folder)/config.json"))
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }
}
