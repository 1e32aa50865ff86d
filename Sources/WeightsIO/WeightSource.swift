import TensorCore

/// Read access to named weights: a `WeightStore`, or a `WeightScope` that prefixes every key.
///
/// Every fetch marks the key as used, for `WeightStore.checkAllUsed(allowUnused:)`.
/// A fetch with `shape:` also checks the stored shape. Outside `WeightStore.load`, a missing
/// key or wrong shape throws `WeightStoreError` at once; inside it the problem is recorded,
/// zeros of the expected shape are returned, and `load` throws one `StrictLoadError`
/// listing every problem at the end.
public protocol WeightSource: Sendable {
    /// The store the weights come from.
    var store: WeightStore { get }
    /// The prefix added to every key passed to this source (`""` for the store itself).
    var keyPrefix: String { get }
}

extension WeightSource {
    /// The tensor `key`, widened to `Float`.
    public func tensor(_ key: String) throws -> Tensor {
        try store.fetch(keyPrefix + key, expectedShape: nil).widened()
    }

    /// The tensor `key`, widened to `Float`, checked to have `shape`.
    public func tensor(_ key: String, shape: [Int]) throws -> Tensor {
        try store.fetch(keyPrefix + key, expectedShape: shape).widened()
    }

    /// The tensor `key`, widened, or nil when the store has no such key (for optional
    /// weights such as biases). A present key is still shape-checked and marked used.
    public func optionalTensor(_ key: String, shape: [Int]) throws -> Tensor? {
        guard contains(key) else { return nil }
        return try tensor(key, shape: shape)
    }

    /// The tensor `key` in its stored dtype (F16/BF16 weights stay half size until widened).
    public func stored(_ key: String) throws -> StoredTensor {
        try store.fetch(keyPrefix + key, expectedShape: nil)
    }

    /// The tensor `key` in its stored dtype, checked to have `shape`.
    public func stored(_ key: String, shape: [Int]) throws -> StoredTensor {
        try store.fetch(keyPrefix + key, expectedShape: shape)
    }

    /// Whether `key` is present (does not mark it used).
    public func contains(_ key: String) -> Bool { store.info(fullKey: keyPrefix + key) != nil }

    /// The dtype and shape of `key`, if present (does not mark it used).
    public func info(_ key: String) -> TensorInfo? { store.info(fullKey: keyPrefix + key) }

    /// Keys under this source's prefix, with the prefix removed, sorted.
    public var keys: [String] {
        store.allKeys.filter { $0.hasPrefix(keyPrefix) }.map { String($0.dropFirst(keyPrefix.count)) }
    }

    /// A view in which every key is prefixed by `prefix` (e.g. `"blocks.0."`); scopes nest.
    public func scoped(_ prefix: String) -> WeightScope {
        WeightScope(store: store, keyPrefix: keyPrefix + prefix)
    }
}

/// A view of a `WeightStore` under a key prefix: `store.scoped("blocks.0.").tensor("norm.weight")`
/// reads `blocks.0.norm.weight`.
public struct WeightScope: WeightSource {
    public let store: WeightStore
    public let keyPrefix: String
}
