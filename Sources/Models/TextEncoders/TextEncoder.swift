// The common face of the text encoders a pipeline can hold (UMT5 / T5, CLIP).
import TensorCore

/// A text encoder: token ids in, one hidden state per token out.
///
/// Token ids come from a tokenizer (the Models target does not depend on Tokenizers).
/// `attentionMask` uses transformers' convention: 1 = real token, 0 = padding.
public protocol TextEncoder: Sendable {
    /// Width of the hidden states (`d_model` / `hidden_size`).
    var hiddenSize: Int { get }
    /// Number of learned positions (CLIP: 77), or nil when positions are relative (T5 / UMT5)
    /// and any length is accepted.
    var maxPositions: Int? { get }

    /// `inputIDs: [B][L]`, `attentionMask: [B][L]` or nil (attend to every token)
    /// -> `last_hidden_state` `[B, L, hiddenSize]`. Checks `cancellation` once per layer.
    func encode(inputIDs: [[Int]], attentionMask: [[Int]]?, cancellation: CancellationFlag) throws -> Tensor
}

extension TextEncoder {
    /// `encode(inputIDs:attentionMask:cancellation:)` that cannot be cancelled.
    public func encode(inputIDs: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
        try encode(inputIDs: inputIDs, attentionMask: attentionMask, cancellation: .never)
    }
}
