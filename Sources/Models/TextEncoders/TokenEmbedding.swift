// torch.nn.Embedding, kept in the checkpoint's dtype: only the looked-up rows are widened
// (UMT5-XXL's 256384 × 4096 table is 2 GB in bf16 and would be 4 GB widened).
import TensorCore
import WeightsIO

/// A token embedding table `[vocab, dim]` in its stored dtype.
struct TokenEmbedding: Sendable {
    let table: StoredTensor

    var vocabSize: Int { table.shape[0] }
    var dim: Int { table.shape[1] }

    /// Loads `key` `[vocabSize, dim]` from `source`.
    init(_ source: some WeightSource, key: String, vocabSize: Int, dim: Int) throws {
        table = try source.stored(key, shape: [vocabSize, dim])
    }

    /// ids: `[N]` (already checked to be in range) -> `[N, dim]` in Float.
    func rows(_ ids: [Int]) throws -> Tensor {
        let rowBytes = dim * table.dtype.byteSize
        var bytes = [UInt8](repeating: 0, count: ids.count * rowBytes)
        table.withUnsafeBytes { source in
            bytes.withUnsafeMutableBytes { target in
                for (n, id) in ids.enumerated() {
                    let from = UnsafeRawBufferPointer(rebasing: source[(id * rowBytes)..<((id + 1) * rowBytes)])
                    UnsafeMutableRawBufferPointer(rebasing: target[(n * rowBytes)..<((n + 1) * rowBytes)])
                        .copyMemory(from: from)
                }
            }
        }
        return try StoredTensor(dtype: table.dtype, shape: [ids.count, dim], bytes: bytes).widened()
    }
}
