// The Tokenizers module: text → token ids for the text encoders (T5/UMT5 Unigram, CLIP BPE).
//
// Matches transformers 5.24.0 (`T5Tokenizer`, `CLIPTokenizer`, both backed by the Rust
// `tokenizers` 0.23 library) token for token. The stages follow the `tokenizers` pipeline:
// added tokens → normalizer → pre-tokenizer → model → post-processor (special tokens),
// then truncation and padding as `PreTrainedTokenizerBase.__call__` does them.

/// Ids and attention mask of one encoded prompt, as transformers returns them in
/// `input_ids` / `attention_mask`.
public struct Encoding: Sendable, Equatable {
    /// Token ids, special tokens included, padding included.
    public var ids: [Int]
    /// 1 for a real token, 0 for padding; same length as `ids`.
    public var attentionMask: [Int]

    public init(ids: [Int], attentionMask: [Int]) {
        self.ids = ids
        self.attentionMask = attentionMask
    }
}

/// The ids of a tokenizer's special tokens, read from its files (`nil` when the tokenizer has none).
public struct SpecialTokenIDs: Sendable, Equatable {
    /// Beginning of sequence (CLIP `<|startoftext|>`); T5 has none.
    public var bos: Int?
    /// End of sequence (T5 `</s>`, CLIP `<|endoftext|>`).
    public var eos: Int?
    /// Padding id (T5 `<pad>` = 0; CLIP: from `special_tokens_map.json` / `tokenizer_config.json`).
    public var pad: Int?
    /// Unknown-token id.
    public var unk: Int?

    public init(bos: Int? = nil, eos: Int? = nil, pad: Int? = nil, unk: Int? = nil) {
        self.bos = bos
        self.eos = eos
        self.pad = pad
        self.unk = unk
    }
}

/// A text tokenizer that produces the ids a text encoder expects.
public protocol Tokenizer: Sendable {
    /// The special token ids read from the tokenizer files.
    var specialTokenIDs: SpecialTokenIDs { get }

    /// Ids of `text` with the model's special tokens (T5: `</s>` appended; CLIP: BOS … EOS),
    /// without truncation or padding. Same as transformers' `tokenizer(text)["input_ids"]`.
    func encode(_ text: String) -> [Int]

    /// Ids and attention mask of `text` with the special tokens, as transformers'
    /// `tokenizer(text, max_length: maxLength, padding: "max_length" if padding,
    /// truncation: truncation)`. Truncation keeps the special tokens (the content is cut to
    /// `maxLength` minus their count); padding appends the pad id on the right with mask 0.
    func encode(_ text: String, maxLength: Int, padding: Bool, truncation: Bool) -> Encoding

    /// The text of `ids`; special tokens are dropped when `skipSpecialTokens` is true.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String
}
