// UNet3DConditionModel (diffusers 0.42.1) against the committed fixtures written by
// tools/reference/unet3d_fixtures.py: the tiny config of diffusers' model test (MODELS.md §1.5,
// block_out_channels (4, 8), norm_num_groups 4, attention_head_dim 2, cross_attention_dim 8,
// layers_per_block 1); cases listed in Tests/Fixtures/unet3d/README.md.
import Foundation
@testable import Models
import TensorCore
import WeightsIO
import XCTest

/// Tolerance on `maxRelativeError` (max |Δ| / max |expected|) for every UNet3D parity case.
///
/// Both sides compute in float32 from the same weights and differ only in summation order:
/// im2col + OpenBLAS sgemm against torch's conv kernels, GroupNorm / LayerNorm statistics in
/// Double here against torch's float reductions, a blocked online softmax against torch's SDPA.
/// One rounding is 6e-8 relative; the tiny UNet chains ~70 such ops (17 GroupNorms — 8 of them
/// in TemporalConvLayers whose 4 stages each renormalise — 16 LayerNorms, 12 attentions, GEGLU,
/// ~40 convs and linears), and each norm divides by σ, amplifying the absolute error of a
/// low-variance group. Measured (debug build, this machine; the tests print each case): whole
/// model 5.7e-7 … 9.0e-7 over the seven cases (zeroed-temporal 8.1e-7), temporal checkpoints
/// (transformer_in, a TemporalConvLayer, a TransformerTemporalModel) 9.7e-8 … 1.8e-7, the 2-D
/// Layers blocks 1.5e-7 … 6.9e-7. 1e-4 leaves > 100× headroom, while a wrong op lands far above
/// it: zeroing the temporal output projections moves the 3-frame output by 0.55 relative, and
/// running a frame without its neighbours by 0.47 … 0.82 (UNet3DBehaviourTests); every parameter
/// is perturbed (norm weights 1 ± 0.1, biases ± 0.1), so a skipped weight or bias is visible too.
let unet3DTolerance: Float = 1e-4

enum UNet3DFixtures {
    static let folder = "unet3d/unet"

    static func model() throws -> UNet3DConditionModel {
        try UNet3DConditionModel.load(folder: Fixtures.url(folder))
    }

    static func cases() throws -> SafetensorsFile {
        try Fixtures.cases("unet3d/cases.safetensors")
    }

    /// The inputs of case `name`: sample [B, 4, F, H, W], timesteps (I64 widened), text [B, 4, 8].
    static func inputs(_ name: String, in cases: SafetensorsFile) throws -> (Tensor, [Float], Tensor) {
        (try cases.tensor("\(name).sample"), try cases.tensor("\(name).timestep").data,
         try cases.tensor("\(name).encoder_hidden_states"))
    }

    /// Whether `key` is the output projection of a temporal layer: a TemporalConvLayer's `conv4.3`
    /// or a TransformerTemporalModel's `proj_out` (`transformer_in` included) — the keys
    /// unet3d_fixtures.py zeroes for `zeroed_frames3`.
    static func isTemporalOutputProjection(_ key: String) -> Bool {
        (key.contains(".temp_convs.") && key.contains(".conv4.3."))
            || ((key.contains(".temp_attentions.") || key.hasPrefix("transformer_in.")) && key.contains(".proj_out."))
    }

    /// The fixture weights, edited, written to a temporary file and opened as a store.
    static func store(editing edit: (inout [String: Tensor]) -> Void) throws -> WeightStore {
        let file = try SafetensorsFile(url: Fixtures.url("\(folder)/diffusion_pytorch_model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        edit(&tensors)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("unet3d-\(UUID().uuidString).safetensors")
        try SafetensorsWriter.write(tensors, to: url)
        // The store maps the file; unlinking it now keeps the mapping valid and leaves no litter.
        let store = try WeightStore(file: url)
        try? FileManager.default.removeItem(at: url)
        return store
    }

    static func config() throws -> UNet3DConditionConfig {
        try ConfigDecoding.decode(UNet3DConditionConfig.self, from: Fixtures.url("\(folder)/config.json"))
    }

    /// The fixture model with every temporal output projection zeroed (26 tensors).
    static func zeroedTemporalModel() throws -> UNet3DConditionModel {
        var zeroed = 0
        let store = try store { tensors in
            for key in tensors.keys where isTemporalOutputProjection(key) {
                tensors[key] = Tensor(zeros: tensors[key]!.shape)
                zeroed += 1
            }
        }
        XCTAssertEqual(zeroed, 26, "temporal output projections of the tiny UNet")
        return try UNet3DConditionModel.load(config: config(), store: store)
    }
}

/// Asserts parity and prints the measured error (the numbers quoted beside the tolerance).
func assertUNet3DParity(_ actual: Tensor, _ expected: Tensor, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    if actual.shape == expected.shape {
        print("UNet3D \(what): max relative error \(maxRelativeError(actual, expected))")
    }
    assertClose(actual, expected, tolerance: unet3DTolerance, what, file: file, line: line)
}

final class UNet3DParityTests: XCTestCase {
    /// 4, 3 and 1 frames; 8 × 12 and 7 × 10 latents (the latter with diffusers' forced upsample
    /// size); batch 2 with different text and timesteps per sample.
    func testModelMatchesDiffusers() throws {
        let unet = try UNet3DFixtures.model()
        let cases = try UNet3DFixtures.cases()
        for name in ["frames4", "frames3", "frames1", "nonsquare", "odd", "batch2"] {
            let (sample, timestep, text) = try UNet3DFixtures.inputs(name, in: cases)
            let output = try unet(sample, timestep: timestep, encoderHiddenStates: text)
            assertUNet3DParity(output, try cases.tensor("\(name).output"), "\(name).output")
        }
    }

    func testZeroedTemporalModelMatchesDiffusers() throws {
        let unet = try UNet3DFixtures.zeroedTemporalModel()
        let cases = try UNet3DFixtures.cases()
        let (sample, timestep, text) = try UNet3DFixtures.inputs("zeroed_frames3", in: cases)
        assertUNet3DParity(try unet(sample, timestep: timestep, encoderHiddenStates: text),
                           try cases.tensor("zeroed_frames3.output"), "zeroed_frames3.output")
    }

    /// The batch-2 case sample by sample: each sample's output is that of a batch of one.
    func testBatchItemsAreIndependent() throws {
        let unet = try UNet3DFixtures.model()
        let cases = try UNet3DFixtures.cases()
        let (sample, timestep, text) = try UNet3DFixtures.inputs("batch2", in: cases)
        let both = try unet(sample, timestep: timestep, encoderHiddenStates: text)
        for b in 0..<2 {
            let one = try unet(sample.narrowed(axis: 0, start: b, length: 1), timestep: [timestep[b]],
                               encoderHiddenStates: text.narrowed(axis: 0, start: b, length: 1))
            // Same ops on the same numbers; only OpenBLAS's GEMM blocking for twice the rows differs
            // (float rounding, measured ≤ 4e-7 in the like frame test), 1e-5 is far below the ~1
            // a wrong per-sample timestep or text row would cause.
            assertClose(one, both.narrowed(axis: 0, start: b, length: 1), tolerance: 1e-5, "batch2 sample \(b) alone")
        }
    }

    /// The temporal layers alone, on the inputs diffusers gave them in the `frames3` run.
    func testTemporalCheckpointsMatchDiffusers() throws {
        let unet = try UNet3DFixtures.model()
        let cases = try UNet3DFixtures.cases()
        func check(_ module: String, _ run: (Tensor) throws -> Tensor) throws {
            let input = try cases.tensor("frames3.\(module).input")                 // [3, C, H, W]
            assertUNet3DParity(try run(input), try cases.tensor("frames3.\(module).output"), module)
        }
        try check("transformer_in") { try unet.transformerIn($0, frames: 3) }
        try check("down_blocks.0.temp_convs.0") { try unet.downBlocks[0].layers[0].tempConv($0, frames: 3) }
        try check("down_blocks.0.temp_attentions.0") {
            guard let layer = unet.downBlocks[0].layers[0].tempAttention else { throw CocoaError(.featureUnsupported) }
            return try layer($0, frames: 3)
        }
    }
}
