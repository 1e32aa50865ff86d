import Foundation
import Synchronization

/// A flag a job's owner sets to ask long computations to stop.
///
/// Model code checks it at block boundaries (each transformer block, each VAE chunk) with
/// `try flag.check()`, which throws `CancelledError`; one video step on a CPU can take
/// minutes, so checking only between steps would not be enough.
public final class CancellationFlag: Sendable {
    private let state = Atomic<Bool>(false)

    public init() {}

    /// Asks the computation to stop at its next check.
    public func cancel() { state.store(true, ordering: .releasing) }

    /// Whether `cancel()` has been called.
    public var isCancelled: Bool { state.load(ordering: .acquiring) }

    /// Throws `CancelledError` when cancelled.
    public func check() throws {
        if isCancelled { throw CancelledError() }
    }

    /// A flag that is never set, for callers that cannot cancel.
    public static let never = CancellationFlag()
}

/// Thrown by `CancellationFlag.check()` once the flag is set.
public struct CancelledError: Error, Equatable, CustomStringConvertible {
    public init() {}
    public var description: String { "cancelled" }
}

extension CancellationFlag {
    /// The flag of the job the calling thread is running (set with `withCurrent`), for kernels
    /// that a block-boundary `check()` cannot interrupt in time: attention over tens of
    /// thousands of tokens is one call of seconds. Such a kernel reads the flag once on the
    /// calling thread and, once it is set, skips its remaining tiles; its output is then
    /// meaningless, and the `check()` after the block throws before anything uses it.
    public static var current: CancellationFlag? {
        pthread_getspecific(currentKey).map { Unmanaged<CancellationFlag>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` with `flag` as the calling thread's `current`, restoring the one before.
    public static func withCurrent<T>(_ flag: CancellationFlag, _ body: () throws -> T) rethrows -> T {
        let outer = pthread_getspecific(currentKey)
        let retained = Unmanaged.passRetained(flag)
        pthread_setspecific(currentKey, retained.toOpaque())
        defer {
            pthread_setspecific(currentKey, outer)
            retained.release()
        }
        return try body()
    }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
