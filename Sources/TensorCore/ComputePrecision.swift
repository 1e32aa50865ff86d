import Foundation

/// The arithmetic GEMMs run in (`--precision`): `float32` everywhere by default, so results
/// match diffusers'; `bfloat16` narrows the operands of the large GEMMs (linear layers,
/// convolutions, whole-tensor matmuls) to bf16 and accumulates in fp32 through oneDNN, on
/// CPUs with bf16 dot products (AVX512-BF16, AMX) — about twice the multiply rate, at bf16's
/// rounding (8 significant bits) on every operand.
///
/// GEMMs that run inside a `Parallel.forEach` chunk (attention's per-head tiles) stay fp32:
/// oneDNN threads each call itself, and one call per head per thread would serialise them.
public enum ComputePrecision: String, Sendable, Codable, CaseIterable {
    case float32 = "fp32"
    case bfloat16 = "bf16"

    /// The precision GEMMs on the calling thread use (set with `with`); `float32` unless set.
    public static var current: ComputePrecision {
        pthread_getspecific(currentKey) == nil ? .float32 : .bfloat16
    }

    /// Runs `body` with `precision` as the calling thread's `current`, restoring the one before.
    public static func with<T>(_ precision: ComputePrecision, _ body: () throws -> T) rethrows -> T {
        let outer = pthread_getspecific(currentKey)
        // Any non-nil pointer marks bf16 (the key holds no object).
        pthread_setspecific(currentKey, precision == .bfloat16 ? UnsafeRawPointer(bitPattern: 1) : nil)
        defer { pthread_setspecific(currentKey, outer) }
        return try body()
    }

    /// Why this machine cannot compute in this precision, or nil when it can (fp32 always
    /// can; bf16 needs oneDNN and a CPU with bf16 dot products).
    public var unavailableReason: String? {
        switch self {
        case .float32: return nil
        case .bfloat16: return OneDNNGEMM.bf16UnavailableReason
        }
    }

    /// The words `--precision` accepts, for messages.
    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
