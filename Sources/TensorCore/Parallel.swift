import Dispatch
import Foundation

/// A small parallel-for for the loops that are not GEMMs (norms, activations, im2col,
/// softmax rows). GEMMs use OpenBLAS's own threads.
public enum Parallel {
    /// Number of worker threads for non-GEMM loops: `ZOETROPE_THREADS` if set, else the
    /// number of active processors.
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["ZOETROPE_THREADS"],
           let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Calls `body(range)` on disjoint chunks covering `0..<count`, in parallel when the
    /// work is large enough. `grain` is the smallest chunk worth a thread (in iterations).
    /// Chunks are deterministic for a given `count`, `grain` and thread count, so results
    /// that reduce within a chunk are reproducible.
    public static func forEach(_ count: Int, grain: Int = 1,
                               _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threadCount, max(1, count / max(1, grain)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            // The chunks are disjoint and the call returns only when all are done, so
            // sharing the non-Sendable closure across the workers is safe.
            nonisolated(unsafe) let body = escapable
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                if start < end { body(start..<end) }
            }
        }
    }
}
