// The text encoders' share of a run's memory (see Core/MemoryEstimate.swift), for every family
// that encodes prompts with UMT5 / T5 or CLIP.
import Foundation
import Models
import WeightsIO

/// The working set of the text encoders these pipelines use, per token of one prompt.
enum TextEncoderMemory {
    /// Bytes per token and per token pair, and the encoder's position limit (CLIP's absolute
    /// positions), from the text encoder's config. Per token, UMT5 / T5: the stream, its norm,
    /// the output, q, k, v, the attention output and the gated feed-forward's two projections
    /// and their product; CLIP: the same without the gate. Per pair: every head's scores and
    /// softmax (and UMT5's position bias).
    static func bytesPerToken(_ folder: DiffusersModelFolder) throws
        -> (bytesPerToken: Int, bytesPerTokenPair: Int, positions: Int?) {
        let className = folder.modelIndex.components["text_encoder"]?.className ?? ""
        let url = try folder.configURL(component: "text_encoder")
        if className.hasPrefix("CLIP") {
            let config = try ConfigDecoding.decode(CLIPTextConfig.self, from: url)
            let D = config.hiddenSize
            return (4 * (7 * D + 2 * config.intermediateSize), 4 * 2 * config.headCount, config.maxPositionEmbeddings)
        }
        let config = try ConfigDecoding.decode(UMT5Config.self, from: url)
        let D = config.modelDim, inner = config.headDim * config.headCount
        return (4 * (3 * D + 4 * inner + 3 * config.feedForwardDim), 4 * 3 * config.headCount, nil)
    }
}
