// WanPipeline `_get_t5_prompt_embeds` / `encode_prompt` (diffusers 0.42.1).
import Models
import TensorCore
import Tokenizers

extension WanPipeline {
    /// The prompt embeddings WanPipeline hands the transformer: `[1, L, D]`, rows past the
    /// prompt's tokens set to 0 (`prompt_clean`, tokenise with padding to `L`, encode with the
    /// attention mask, cut each row to its length and zero-pad back to `L`).
    ///
    /// Only the real tokens are run through the encoder: with the padding masked out, the
    /// encoder's outputs at real positions do not depend on the padded ones (relative-position
    /// T5/UMT5 and causal CLIP alike), so this gives the same rows with less work. Checks `cancellation` once per encoder layer.
    public func encodePrompt(_ text: String, maxSequenceLength length: Int,
                             cancellation: CancellationFlag = .never) throws -> Tensor {
        let encoding = tokenizer.encode(PromptCleaning.clean(text), maxLength: length, padding: true, truncation: true)
        let realCount = encoding.attentionMask.reduce(0, +)
        let hidden = textHiddenSize
        guard realCount > 0 else { return Tensor(zeros: [1, length, hidden]) }
        let ids = Array(encoding.ids.prefix(realCount))
        // encoded: [1, realCount, D]
        let encoded = try textEncoder().encode(inputIDs: [ids], attentionMask: [Array(repeating: 1, count: realCount)],
                                               cancellation: cancellation)
        guard realCount < length else { return encoded }
        // -> [1, L, D], zero rows after the prompt
        return encoded.padded(before: [0, 0, 0], after: [0, length - realCount, 0])
    }
}
