// Errors of the text encoders (UMT5 / T5 and CLIP), each naming the offending value.
import Foundation

/// Why a text encoder could not be built or could not encode a batch of token ids.
public enum TextEncoderError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The config's `feed_forward_proj` is not `"{act}"` or `"gated-{act}"` with a known activation.
    case unsupportedFeedForward(String)
    /// The config's `hidden_act` is not an activation we implement.
    case unsupportedActivation(String)
    /// A config value makes no sense (`field` = the config.json key).
    case invalidConfig(field: String, value: String, reason: String)
    /// A token id is negative or not below the vocabulary size.
    case tokenOutOfRange(id: Int, vocabSize: Int, row: Int, position: Int)
    /// The batch has no rows or a row has no tokens.
    case emptyInput
    /// The rows of `inputIDs` differ in length.
    case raggedBatch(rowLengths: [Int])
    /// `attentionMask` does not have the shape of `inputIDs`.
    case attentionMaskShape(expected: [Int], actual: [Int])
    /// The sequence is longer than the encoder's learned positions (CLIP: 77).
    case sequenceTooLong(length: Int, maxPositions: Int)
    /// `clip_skip` asks for a layer the encoder does not have.
    case invalidClipSkip(skip: Int, layerCount: Int)

    public var description: String {
        switch self {
        case let .unsupportedFeedForward(value):
            return "unsupported feed_forward_proj '\(value)': expected \"{act}\" or \"gated-{act}\""
                + " with act one of relu, gelu, gelu_new, silu, … (e.g. \"gated-gelu\", \"relu\")"
        case let .unsupportedActivation(value):
            return "unsupported hidden_act '\(value)': expected quick_gelu, gelu, gelu_new, relu, silu, …"
        case let .invalidConfig(field, value, reason):
            return "invalid config value \(field) = \(value): \(reason)"
        case let .tokenOutOfRange(id, vocabSize, row, position):
            return "token id \(id) (row \(row), position \(position)) is outside the vocabulary of size \(vocabSize)"
                + " (valid ids are 0..<\(vocabSize)); was the text tokenized with another model's tokenizer?"
        case .emptyInput:
            return "no token ids to encode: the batch is empty or a row has no tokens"
        case let .raggedBatch(rowLengths):
            return "token id rows differ in length (\(rowLengths.map(String.init).joined(separator: ", "))): pad them to one length"
        case let .attentionMaskShape(expected, actual):
            return "attention mask has shape \(actual) but the token ids have shape \(expected)"
        case let .sequenceTooLong(length, maxPositions):
            return "sequence of \(length) tokens is longer than the encoder's \(maxPositions) positions:"
                + " truncate to \(maxPositions) tokens (max_sequence_length ≤ \(maxPositions))"
        case let .invalidClipSkip(skip, layerCount):
            return "clip_skip \(skip) cannot be used: the text encoder has \(layerCount) layers, so it must be from 0 to \(layerCount - 1)"
        }
    }

    public var errorDescription: String? { description }
}
