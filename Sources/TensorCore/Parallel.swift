import Dispatch
import Foundation

/// The one thread pool of TensorCore: every loop that runs on several threads — GEMMs
/// (`BLAS.sgemm` splits them), norms, activations, im2col, softmax rows, attention heads —
/// goes through `Parallel.forEach`. A loop started inside a worker's chunk runs on that
/// worker alone, so nested parallel loops never oversubscribe the cores.
public enum Parallel {
    /// Number of worker threads: `ZOETROPE_THREADS` if set, else the number of active
    /// processors.
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["ZOETROPE_THREADS"],
           let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Whether the calling thread is running a chunk of a `forEach` (then further loops on it
    /// run serially).
    public static var isInsideChunk: Bool { pthread_getspecific(chunkKey) != nil }

    /// Calls `body(range)` on disjoint chunks covering `0..<count`, in parallel when the
    /// work is large enough. `grain` is the smallest chunk worth a thread (in iterations).
    /// Chunks are deterministic for a given `count`, `grain` and thread count, so results
    /// that reduce within a chunk are reproducible.
    public static func forEach(_ count: Int, grain: Int = 1,
                               _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threadCount, max(1, count / max(1, grain)))
        if chunks <= 1 || isInsideChunk {
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
                guard start < end else { return }
                // concurrentPerform may run a chunk on the calling thread: restore its mark.
                let outer = pthread_getspecific(chunkKey)
                pthread_setspecific(chunkKey, chunkMark)
                body(start..<end)
                pthread_setspecific(chunkKey, outer)
            }
        }
    }

    /// The thread-specific slot that marks a thread running a chunk.
    private static let chunkKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    /// Any non-nil pointer: the mark's value.
    nonisolated(unsafe) private static let chunkMark = UnsafeMutableRawPointer(bitPattern: 1)
}
