// Cross-attention over a prompt padded with identical rows, with each run of them kept once.
//
// WanPipeline (diffusers 0.42.1 pipelines/wan/pipeline_wan.py `_get_t5_prompt_embeds`) pads
// every prompt's embeddings with zero rows up to max_sequence_length (512): a 12-token prompt
// is 500 identical rows, whose keys and values are identical too. Softmax attention over n
// identical keys with logit s weighs their common value by n·e^s = e^(s + log n), so one copy
// with log n added to its logit gives the same output — up to float rounding of the sums —
// for 1/40th of the cross-attention work and of the keys and values to compute and keep.

import Foundation
import TensorCore

/// Token embeddings `[B, L, D]` with each sample's trailing run of identical rows kept once,
/// and the logit offsets that make attention over them equal attention over all of them.
public struct CompactedContext: Sendable {
    /// `[B, L', D]`: sample b's rows before its trailing run, then one row of the run, then
    /// zero rows up to the longest sample's length L'.
    public let rows: Tensor
    /// `[B, 1, 1, L']` additive key offsets: log n on the row that stands for a run of n,
    /// −inf on the padding after it, 0 elsewhere; nil when no sample had a run to merge
    /// (then `rows` is the input unchanged).
    public let keyBias: Tensor?

    /// x: [B, L, D] (rows compared exactly; NaN rows never match).
    public init(_ x: Tensor) {
        precondition(x.rank == 3, "CompactedContext: expects [B, L, D], got \(x.shape)")
        let (B, L, D) = (x.shape[0], x.shape[1], x.shape[2])
        // runs[b]: how many rows at the end of sample b equal its last row (≥ 1 when L ≥ 1)
        let runs: [Int] = x.data.withUnsafeBufferPointer { p in
            (0..<B).map { b in
                guard L > 1, let base = p.baseAddress else { return min(L, 1) }
                let last = base + (b * L + L - 1) * D
                var run = 1
                while run < L {
                    let row = base + (b * L + L - 1 - run) * D
                    if !(0..<D).allSatisfy({ row[$0] == last[$0] }) { break }
                    run += 1
                }
                return run
            }
        }
        guard runs.contains(where: { $0 > 1 }) else {
            rows = x
            keyBias = nil
            return
        }
        let kept = runs.map { L - $0 + 1 }
        let length = kept.max() ?? 0
        rows = Tensor(shape: [B, length, D]) { out in
            out.initialize(repeating: 0)
            x.data.withUnsafeBufferPointer { p in
                for b in 0..<B {
                    (out.baseAddress! + b * length * D).update(from: p.baseAddress! + b * L * D, count: kept[b] * D)
                }
            }
        }
        keyBias = Tensor(shape: [B, 1, 1, length]) { out in
            for b in 0..<B {
                for j in 0..<length {
                    out[b * length + j] = j < kept[b] - 1 ? 0 : (j == kept[b] - 1 ? Float(log(Double(runs[b]))) : -.infinity)
                }
            }
        }
    }
}
