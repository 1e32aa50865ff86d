import Foundation
import TensorCore

/// All weights of one model component, across its shard files, under canonical key names,
/// with bookkeeping for strict loading.
///
/// ```swift
/// let store = try WeightStore(folder: root.appendingPathComponent("transformer"))
/// let model = try store.load { weights in
///     try WanTransformer(config: config, weights: weights)   // fetches keys via WeightSource
/// }   // throws one StrictLoadError listing every missing, unused and mis-shaped key
/// ```
///
/// Tensors are memory-mapped; a fetched `StoredTensor` keeps its file mapped. The store is
/// `Sendable`: usage bookkeeping is guarded by a lock.
public final class WeightStore: WeightSource, @unchecked Sendable {
    /// The folder or file the store was opened from, for messages.
    public let source: String
    /// The opened files.
    public let files: [SafetensorsFile]
    /// The rename rules applied to every stored key.
    public let renames: [KeyRenameRule]

    private struct Entry {
        let file: Int
        let fileKey: String
        let info: TensorInfo
    }

    private let entries: [String: Entry]
    /// Guards the mutable bookkeeping below.
    private let lock = NSLock()
    private var used: Set<String> = []
    private var missing: [String: [Int]?] = [:]
    private var mismatched: [String: StrictLoadError.Mismatch] = [:]
    private var collectingDepth = 0
    /// Elements of stand-in zeros made while collecting problems.
    private var placeholderElements = 0

    public var store: WeightStore { self }
    public var keyPrefix: String { "" }

    /// Opens the weights of a component folder (see `WeightFiles.locate(in:variant:)`).
    public convenience init(folder: URL, variant: String? = nil, renames: [KeyRenameRule] = []) throws {
        let located = try WeightFiles.locate(in: folder, variant: variant)
        let files = try located.shards.map { try SafetensorsFile(url: $0) }
        if let index = located.index {
            for (key, shard) in located.weightMap.sorted(by: { $0.key < $1.key }) {
                guard let file = files.first(where: { URL(fileURLWithPath: $0.path).lastPathComponent == shard }),
                      file.contains(key) else {
                    throw WeightStoreError.indexKeyNotInShard(index: index.path, key: key, shard: shard)
                }
            }
        }
        try self.init(files: files, source: folder.path, renames: renames)
    }

    /// Opens one safetensors file as a store.
    public convenience init(file url: URL, renames: [KeyRenameRule] = []) throws {
        try self.init(files: [SafetensorsFile(url: url)], source: url.path, renames: renames)
    }

    /// A store over already-opened files. Throws `WeightStoreError.duplicateKey` if two
    /// tensors end up with the same key after renaming.
    public init(files: [SafetensorsFile], source: String, renames: [KeyRenameRule] = []) throws {
        var entries: [String: Entry] = [:]
        for (index, file) in files.enumerated() {
            for name in file.names {
                let key = renames.apply(to: name)
                if let previous = entries[key] {
                    throw WeightStoreError.duplicateKey(
                        key: key, first: "'\(previous.fileKey)' in \(files[previous.file].path)",
                        second: "'\(name)' in \(file.path)")
                }
                entries[key] = Entry(file: index, fileKey: name, info: try file.info(name))
            }
        }
        self.source = source
        self.files = files
        self.renames = renames
        self.entries = entries
    }

    /// The bytes these weights take once loaded, from the headers alone: matrices (linear
    /// weights, embedding tables) stay in their stored dtype (`Linear` and `TokenEmbedding`
    /// widen F16 / BF16 per call), everything else (convolution kernels, biases, norms) is
    /// widened to Float at load. (No overflow: the header check bounds every tensor by its
    /// file's size, so this is at most 4× the files' bytes.)
    public var residentBytes: Int {
        entries.values.reduce(0) { sum, entry in
            let info = entry.info
            return sum + (info.shape.count == 2 ? info.byteCount : info.elementCount * max(4, info.dtype.byteSize))
        }
    }

    // MARK: Lookup (used by WeightSource)

    /// Every key, sorted.
    var allKeys: [String] { entries.keys.sorted() }

    func info(fullKey: String) -> TensorInfo? { entries[fullKey]?.info }

    /// Fetches `key`, recording usage and problems (see `WeightSource`).
    func fetch(_ key: String, expectedShape: [Int]?) throws -> StoredTensor {
        guard let entry = entries[key] else {
            let collecting = lock.withLock {
                missing[key] = .some(expectedShape)
                return collectingDepth > 0
            }
            if collecting, let expectedShape, Self.placeholderFits(expectedShape) {
                try chargePlaceholder(expectedShape)
                return try StoredTensor(Tensor(zeros: expectedShape), as: .float32, name: key)
            }
            throw WeightStoreError.missingKey(source: source, key: key, suggestion: closestName(to: key, in: entries.keys))
        }
        let file = files[entry.file]
        if let expectedShape, expectedShape != entry.info.shape {
            let mismatch = StrictLoadError.Mismatch(key: key, file: fileName(file), expected: expectedShape,
                                                    actual: entry.info.shape)
            let collecting = lock.withLock {
                used.insert(key)
                mismatched[key] = mismatch
                return collectingDepth > 0
            }
            if collecting, Self.placeholderFits(expectedShape) {
                try chargePlaceholder(expectedShape)
                return try StoredTensor(Tensor(zeros: expectedShape), as: .float32, name: key)
            }
            throw WeightStoreError.shapeMismatch(source: source, key: key, file: fileName(file),
                                                 expected: expectedShape, actual: entry.info.shape)
        }
        lock.withLock { _ = used.insert(key) }
        let stored = try file.stored(entry.fileKey)
        // Checked once, here, so NaN or infinite weights are named at load instead of turning
        // every latent NaN at the first step (issue #19).
        if let bad = stored.firstNonFinite {
            throw WeightStoreError.nonFinite(source: source, key: key, file: fileName(file), index: bad.index,
                                             value: bad.isNaN ? "NaN" : "an infinity")
        }
        return stored
    }

    /// The most elements a stand-in for a missing or mis-shaped weight may have (64 MB of
    /// zeros). A config that asks for more (`in_channels: 1e9`) gets its error at once instead
    /// of an allocation that aborts the process (issue #19).
    static let placeholderLimit = 1 << 24

    /// Whether zeros of `shape` are small enough to stand in while errors are collected
    /// (no negative dimension, no overflow, at most `placeholderLimit` elements).
    static func placeholderFits(_ shape: [Int]) -> Bool {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return false }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= placeholderLimit else { return false }
            count = product
        }
        return true
    }

    /// While problems are collected, at most this many are gathered and this many elements of
    /// stand-ins made before the load stops with what it has: a config asking for 2^62 layers
    /// used to collect missing keys (and zeros) until memory ran out (issue #19).
    static let problemLimit = 500
    static let placeholderBudget = 1 << 26

    /// Counts a stand-in against the budgets; past either, stops the load with the problems
    /// seen so far.
    private func chargePlaceholder(_ shape: [Int]) throws {
        let elements = shape.reduce(1, *)  // fits: placeholderFits checked it
        let (problems, spent) = lock.withLock { () -> (Int, Int) in
            placeholderElements += elements
            return (missing.count + mismatched.count, placeholderElements)
        }
        guard problems > Self.problemLimit || spent > Self.placeholderBudget else { return }
        let (missingSoFar, mismatchedSoFar) = lock.withLock { (missing, mismatched) }
        throw StrictLoadError(
            source: source,
            missing: missingSoFar.keys.sorted().map {
                StrictLoadError.Missing(key: $0, expectedShape: missingSoFar[$0] ?? nil)
            },
            unused: [], mismatched: mismatchedSoFar.keys.sorted().compactMap { mismatchedSoFar[$0] },
            hints: ["the load stopped after \(problems) problems: the config asks for far more weights than the "
                    + "files hold (a layer or block count, or a size, that does not match these weights)"])
    }

    private func fileName(_ file: SafetensorsFile) -> String { URL(fileURLWithPath: file.path).lastPathComponent }

    // MARK: Strict loading

    /// Keys fetched so far.
    public var usedKeys: Set<String> { lock.withLock { used } }

    /// Stored keys not fetched so far, sorted.
    public var unusedKeys: [String] {
        let used = usedKeys
        return allKeys.filter { !used.contains($0) }
    }

    /// Throws one `StrictLoadError` listing every key that was asked for but missing, every
    /// shape mismatch, and every stored key never fetched — except those matched by
    /// `allowUnused`: an entry matches a key equal to it, or, when it ends in `*`, any key
    /// starting with the text before the `*`.
    public func checkAllUsed(allowUnused: [String] = []) throws {
        let (used, missing, mismatched) = lock.withLock { (self.used, self.missing, self.mismatched) }
        let unused = allKeys.filter { key in
            !used.contains(key) && !allowUnused.contains { pattern in
                pattern.hasSuffix("*") ? key.hasPrefix(pattern.dropLast()) : key == pattern
            }
        }.compactMap { key -> StrictLoadError.Unused? in
            guard let entry = entries[key] else { return nil }
            return StrictLoadError.Unused(key: key, fileKey: entry.fileKey, file: fileName(files[entry.file]),
                                          shape: entry.info.shape)
        }
        let missingList = missing.keys.sorted().map { StrictLoadError.Missing(key: $0, expectedShape: missing[$0] ?? nil) }
        let mismatchList = mismatched.keys.sorted().compactMap { mismatched[$0] }
        guard missingList.isEmpty && unused.isEmpty && mismatchList.isEmpty else {
            throw StrictLoadError(source: source, missing: missingList, unused: unused, mismatched: mismatchList,
                                  hints: StrictLoadError.prefixHints(missing: missingList, unused: unused))
        }
    }

    /// Runs `build` in collecting mode — a missing key or wrong shape requested *with* a
    /// shape yields zeros and is recorded instead of throwing — then calls
    /// `checkAllUsed(allowUnused:)`, so the zeros never escape: either every weight loaded
    /// cleanly or one `StrictLoadError` lists all problems.
    public func load<T>(allowUnused: [String] = [], _ build: (WeightStore) throws -> T) throws -> T {
        lock.withLock { collectingDepth += 1 }
        let result: T
        do {
            defer { lock.withLock { collectingDepth -= 1 } }
            result = try build(self)
        }
        try checkAllUsed(allowUnused: allowUnused)
        return result
    }

    /// Forgets which keys were used and which problems were seen.
    public func resetUsage() {
        lock.withLock {
            used = []
            missing = [:]
            mismatched = [:]
            placeholderElements = 0
        }
    }
}
