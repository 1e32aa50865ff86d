// A pipeline component that may be dropped between jobs and read again when next needed.
// The text encoder is the case in point: a job uses it once, at the start, and in Wan it is
// the largest component after the transformer (UMT5-XXL is about 11 GB in fp32).
import Synchronization

/// A component kept in memory until `release()`, and loaded again by `get()` after that.
public final class ReloadableComponent<Value: Sendable>: Sendable {
    private let state: Mutex<Value?>
    private let reload: (@Sendable () throws -> Value)?

    /// - Parameters:
    ///   - value: the component, already loaded.
    ///   - reload: reads the component again; nil when it cannot be, and then `release()`
    ///     keeps it.
    public init(_ value: Value, reload: (@Sendable () throws -> Value)?) {
        state = Mutex(value)
        self.reload = reload
    }

    /// The component, read again first if it was released.
    public func get() throws -> Value {
        try state.withLock { value in
            if let value { return value }
            // `release()` keeps components that cannot be reloaded, so this is unreachable.
            guard let reload else { throw ReloadError() }
            let loaded = try reload()
            value = loaded
            return loaded
        }
    }

    /// Drops the component (freeing its memory once no running computation holds it), if it
    /// can be read again.
    public func release() {
        guard reload != nil else { return }
        state.withLock { $0 = nil }
    }

    struct ReloadError: Error, CustomStringConvertible {
        var description: String { "a released component could not be read again (it has no reload)" }
    }

    /// Whether the component is in memory now.
    public var isLoaded: Bool { state.withLock { $0 != nil } }
}
