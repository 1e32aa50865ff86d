// The generic 2-D blocks of Sources/Models/Layers (`ResnetBlock2D`, `Transformer2DModel` with
// `BasicTransformerBlock`, `Downsample2D`, `Upsample2D`; diffusers 0.42.1) against the inputs and
// outputs diffusers' own modules had inside the fixture UNet3DConditionModel
// (tools/reference/unet3d_fixtures.py, `frames3` and `odd` runs), loaded from that model's weights.
import Foundation
import Models
import TensorCore
import WeightsIO
import XCTest

final class Layers2DBlocksTests: XCTestCase {
    func weights() throws -> WeightStore {
        try WeightStore(folder: Fixtures.url(UNet3DFixtures.folder))
    }

    /// Tolerance: `unet3DTolerance` (1e-4, derived in UNet3DParityTests.swift); each block is a
    /// few float32 ops, measured ≤ 5e-7 (printed).
    func check(_ actual: Tensor, _ key: String, _ cases: SafetensorsFile) throws {
        assertUNet3DParity(actual, try cases.tensor(key), key)
    }

    /// `down_blocks.0.resnets.0`: 4 → 4 channels, time embedding 16 → 4, GroupNorm(4, eps 1e-5).
    func testResnetBlock2DMatchesDiffusers() throws {
        let cases = try UNet3DFixtures.cases()
        let resnet = try ResnetBlock2D(weights().scoped("down_blocks.0.resnets.0."), inChannels: 4, outChannels: 4,
                                       tembChannels: 16, groups: 4, eps: 1e-5)
        let prefix = "frames3.down_blocks.0.resnets.0"
        try check(try resnet(cases.tensor("\(prefix).input"), temb: cases.tensor("\(prefix).temb")), "\(prefix).output", cases)
    }

    /// `down_blocks.0.attentions.0`: 2 heads of width 2 on C = 4, linear projections, text
    /// cross-attention on [3, 4, 8].
    func testTransformer2DModelMatchesDiffusers() throws {
        let cases = try UNet3DFixtures.cases()
        let model = try Transformer2DModel(weights().scoped("down_blocks.0.attentions.0."), numAttentionHeads: 2,
                                           attentionHeadDim: 2, inChannels: 4, crossAttentionDim: 8, normNumGroups: 4,
                                           useLinearProjection: true)
        let prefix = "frames3.down_blocks.0.attentions.0"
        try check(try model(cases.tensor("\(prefix).input"),
                            encoderHiddenStates: cases.tensor("\(prefix).encoder_hidden_states")),
                  "\(prefix).output", cases)
    }

    /// A 1×1-conv `proj_in` / `proj_out` (use_linear_projection false, SD 1.5) is the same map as
    /// the linear one: the weights of the fixture, reshaped to [O, C, 1, 1], give the same output.
    func testTransformer2DModelConvProjectionsEqualLinear() throws {
        let store = try weights()
        let prefix = "down_blocks.0.attentions.0."
        var tensors: [String: Tensor] = [:]
        for key in store.keys where key.hasPrefix(prefix) {
            let tensor = try store.tensor(key)
            let isProjection = key.hasSuffix("proj_in.weight") || key.hasSuffix("proj_out.weight")
            tensors[key] = isProjection && !key.contains("transformer_blocks")
                ? tensor.reshaped(tensor.shape + [1, 1]) : tensor
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("layers2d-\(UUID().uuidString).safetensors")
        try SafetensorsWriter.write(tensors, to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let convStore = try WeightStore(file: url)
        let conv = try convStore.load {
            try Transformer2DModel($0.scoped(prefix), numAttentionHeads: 2, attentionHeadDim: 2, inChannels: 4,
                                   crossAttentionDim: 8, normNumGroups: 4, useLinearProjection: false)
        }
        let linear = try Transformer2DModel(store.scoped(prefix), numAttentionHeads: 2, attentionHeadDim: 2, inChannels: 4,
                                            crossAttentionDim: 8, normNumGroups: 4, useLinearProjection: true)
        let cases = try UNet3DFixtures.cases()
        let x = try cases.tensor("frames3.down_blocks.0.attentions.0.input")
        let text = try cases.tensor("frames3.down_blocks.0.attentions.0.encoder_hidden_states")
        XCTAssertEqual(try conv(x, encoderHiddenStates: text), try linear(x, encoderHiddenStates: text))
    }

    func testDownsample2DMatchesDiffusers() throws {
        let cases = try UNet3DFixtures.cases()
        let down = try Downsample2D(weights().scoped("down_blocks.0.downsamplers.0."), channels: 4, padding: 1)
        let prefix = "frames3.down_blocks.0.downsamplers.0"
        try check(down(cases.tensor("\(prefix).input")), "\(prefix).output", cases)            // 16 × 16 → 8 × 8
    }

    /// ×2, and a forced output size (4 × 5 → 7 × 10) as the UNets pass for odd latent sides.
    func testUpsample2DMatchesDiffusers() throws {
        let cases = try UNet3DFixtures.cases()
        let up = try Upsample2D(weights().scoped("up_blocks.0.upsamplers.0."), channels: 8)
        let prefix = "frames3.up_blocks.0.upsamplers.0"
        try check(up(cases.tensor("\(prefix).input")), "\(prefix).output", cases)
        let odd = "odd.up_blocks.0.upsamplers.0"
        try check(up(cases.tensor("\(odd).input"), outputSize: (height: 7, width: 10)), "\(odd).output", cases)
    }
}
