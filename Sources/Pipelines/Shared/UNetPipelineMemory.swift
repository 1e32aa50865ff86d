// The memory a UNet pipeline run needs (TextToVideoSDPipeline, AnimateDiffPipeline; see
// Core/MemoryEstimate.swift): a pseudo-3D UNet over every frame at once, CLIP text, and the
// image VAE (AutoencoderKL) decoding one frame at a time. The counts are of the tensors alive
// at once in Zoetrope's own blocks (UNet3DBlocks, UNetMotionModel, AutoencoderKLBlocks).
import Foundation
import Models
import WeightsIO

enum UNetPipelineMemory {
    /// The memory model of a UNet pipeline folder (and extra weight folders such as a motion
    /// adapter), from configs and weight headers only.
    static func model(_ folder: DiffusersModelFolder, unetChannels: [Int], layersPerBlock: [Int],
                      extraWeights: [URL] = []) throws -> MemoryModel {
        let vae = try ConfigDecoding.decode(AutoencoderKLConfig.self, from: try folder.configURL(component: "vae"))
        let text = try TextEncoderMemory.bytesPerToken(folder)
        return MemoryModel(
            componentWeightBytes: try MemoryModel.componentWeightBytes(folder, components: ["text_encoder", "unet", "vae"],
                                                                       extra: extraWeights),
            textBytesPerToken: text.bytesPerToken, textBytesPerTokenPair: text.bytesPerTokenPair,
            defaultTextLength: text.positions ?? 77, tokenSide: vae.spatialScale,
            denoiserBytesPerToken: 4 * denoiserFloatsPerToken(channels: unetChannels, layersPerBlock: layersPerBlock),
            denoiserBytesPerTextToken: 0, guidanceBatchTokenLimit: nil,
            decoderBytesPerPixel: 4 * decoderFloatsPerPixel(vae))
    }

    /// Floats alive per latent position (of one frame) in one UNet pass. The down path keeps
    /// every output for the up path's skips: conv_in's, one per resnet and one per downsampler,
    /// each at its level's width and a quarter of the positions per level down. The level being
    /// computed at full size holds 48 of its widths: a resnet's input, norms, activations,
    /// convolutions and shortcut over the concatenated skip, a transformer's permuted copies,
    /// norm, q, k, v, attention output and GEGLU feed-forward (8 widths in, 4 out), the temporal
    /// transformer's the same. 48 is measured, not counted: the process's peak (VmHWM) over
    /// its resident memory between steps was 46 top widths per token on `unet3d-medium`
    /// (16 × 256², top width 64, guidance batch of 2) and ~54 on the test fixture (4 × 128²,
    /// width 8, its 9 MB im2col buffer taken out).
    static func denoiserFloatsPerToken(channels: [Int], layersPerBlock: [Int]) -> Int {
        guard let top = channels.first else { return 0 }
        var skips = Double(top)  // conv_in
        for (level, width) in channels.enumerated() {
            let layers = level < layersPerBlock.count ? layersPerBlock[level] : layersPerBlock.last ?? 1
            let outputs = layers + (level < channels.count - 1 ? 1 : 0)
            skips += Double(outputs * width) / pow(4, Double(level))
        }
        return Int(skips.rounded(.up)) + 48 * top
    }

    /// Floats alive per output pixel while the VAE decodes one frame: at each up level the
    /// upsampled input, its convolution, a resnet's norm, convolutions and shortcut (about
    /// 3 widths of the level above and 3 of its own), at that level's share of the pixels.
    static func decoderFloatsPerPixel(_ config: AutoencoderKLConfig) -> Int {
        let widths = Array(config.blockOutChannels.reversed())  // up blocks, deepest first
        var peak = 0.0
        for (level, width) in widths.enumerated() {
            let fraction = 1 / pow(4, Double(widths.count - 1 - level))
            let above = level > 0 ? widths[level - 1] : width
            peak = max(peak, Double(3 * above + 3 * width) * fraction)
        }
        return Int(peak.rounded(.up)) + 2 * config.outChannels
    }
}
