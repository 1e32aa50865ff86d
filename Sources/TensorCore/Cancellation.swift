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
