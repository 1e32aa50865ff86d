// Validation of a batch of token ids (and its attention mask) before it reaches an encoder.
import TensorCore

/// A rectangular batch of token ids, checked against a vocabulary, with its padding mask.
struct TokenBatch {
    /// Rows `B`.
    let batch: Int
    /// Tokens per row `L`.
    let length: Int
    /// The ids, row-major `[B * L]`.
    let ids: [Int]
    /// Per row, per position: attend to this key (nil: every key).
    let keep: [[Bool]]?

    /// Throws `TextEncoderError` for an empty or ragged batch, a mask of another shape, or an
    /// id outside `0..<vocabSize`.
    init(inputIDs: [[Int]], attentionMask: [[Int]]?, vocabSize: Int) throws {
        guard let first = inputIDs.first, !first.isEmpty else { throw TextEncoderError.emptyInput }
        guard inputIDs.allSatisfy({ $0.count == first.count }) else {
            throw TextEncoderError.raggedBatch(rowLengths: inputIDs.map(\.count))
        }
        let batch = inputIDs.count, length = first.count
        for (row, rowIDs) in inputIDs.enumerated() {
            if let position = rowIDs.firstIndex(where: { $0 < 0 || $0 >= vocabSize }) {
                throw TextEncoderError.tokenOutOfRange(id: rowIDs[position], vocabSize: vocabSize, row: row, position: position)
            }
        }
        self.batch = batch
        self.length = length
        ids = inputIDs.flatMap { $0 }
        if let attentionMask {
            guard attentionMask.count == batch, attentionMask.allSatisfy({ $0.count == length }) else {
                throw TextEncoderError.attentionMaskShape(
                    expected: [batch, length],
                    actual: [attentionMask.count, attentionMask.first(where: { $0.count != length })?.count ?? length])
            }
            keep = attentionMask.map { $0.map { $0 != 0 } }
        } else {
            keep = nil
        }
    }

    /// The additive key-padding mask `[B, 1, 1, L]`: 0 for real tokens, `-Float.greatestFiniteMagnitude`
    /// (torch's `finfo(float32).min`, as transformers builds it) for padding; nil without a mask.
    ///
    /// A finite minimum rather than −∞ keeps transformers' behaviour for a row whose keys are all
    /// padding: every logit becomes the same minimum and the softmax is uniform instead of empty.
    var additiveKeyMask: Tensor? {
        guard let keep else { return nil }
        return Tensor(shape: [batch, 1, 1, length],
                      data: keep.flatMap { $0.map { $0 ? 0 : -Float.greatestFiniteMagnitude } })
    }
}
