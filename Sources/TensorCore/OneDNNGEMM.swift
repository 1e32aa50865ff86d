import COneDNN
import Foundation
import Synchronization

/// GEMMs through oneDNN's matmul primitive (opened at run time; see COneDNN.h): in bf16 — A and
/// B narrowed to bf16, fp32 accumulation — for `ComputePrecision.bfloat16`, which `BLAS.sgemm`
/// sends here. The same primitives with f32 operands run on any CPU, which is how the tests
/// check this file's layouts, strides, alpha and beta where the CPU has no bf16.
///
/// oneDNN makes one primitive per GEMM shape (it compiles a kernel for it); they are kept here,
/// keyed by shape, alpha and beta, so a denoising loop makes each once. oneDNN runs a GEMM on
/// its own OpenMP threads (as many as `Parallel.threadCount`), so callers do not split it.
public enum OneDNNGEMM {
    /// Why oneDNN cannot run here (not installed, or built without it), or nil.
    public static var unavailableReason: String? { opened }

    /// Why bf16 GEMMs cannot run here (no oneDNN, a CPU without bf16 dot products), or nil.
    public static var bf16UnavailableReason: String? { bf16 }

    private static let opened: String? = {
        var message = [CChar](repeating: 0, count: 512)
        let status = zk_onednn_open(Int32(clamping: Parallel.threadCount), &message, message.count)
        return status == 0 ? nil : text(message)
    }()

    private static let bf16: String? = {
        if let reason = opened { return reason }
        var message = [CChar](repeating: 0, count: 512)
        return zk_bf16_supported(&message, message.count) == 0 ? nil : text(message)
    }()

    /// One shape's primitive; freed when the last holder lets go.
    final class Plan: @unchecked Sendable {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { zk_bf16_plan_destroy(pointer) }
        var implementation: String { String(cString: zk_bf16_plan_implementation(pointer)) }
    }

    struct PlanKey: Hashable {
        var narrow: Bool
        var transposeA: Bool, transposeB: Bool
        var m: Int, n: Int, k: Int, ldc: Int
        var alpha: Float, beta: Float
    }

    /// Plans by shape. A long studio session meets many clip sizes; past `planLimit` shapes the
    /// cache starts again (plans still running stay alive through their callers' references).
    private static let plans = Mutex<[PlanKey: Plan]>([:])
    static let planLimit = 1024

    /// GEMMs oneDNN refused (they ran in fp32 instead), and the last reason, for benchmarks and tests.
    private static let refusals = Mutex<(count: Int, last: String?)>((0, nil))
    public static var refusedCount: Int { refusals.withLock { $0.count } }
    public static var lastRefusal: String? { refusals.withLock { $0.last } }

    /// The implementation oneDNN picks for a bf16 GEMM of this shape (for the benchmark), or why
    /// there is none.
    public static func implementation(transposeA: Bool = false, transposeB: Bool = false,
                                      m: Int, n: Int, k: Int) -> String {
        let key = PlanKey(narrow: true, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, ldc: n,
                          alpha: 1, beta: 0)
        switch plan(key) {
        case .success(let plan): return plan.implementation
        case .failure(let refusal): return "none: \(refusal.message)"
        }
    }

    struct Refusal: Error { var message: String }

    private static func plan(_ key: PlanKey) -> Result<Plan, Refusal> {
        if let reason = key.narrow ? bf16UnavailableReason : unavailableReason { return .failure(Refusal(message: reason)) }
        if let plan = plans.withLock({ $0[key] }) { return .success(plan) }
        var message = [CChar](repeating: 0, count: 512)
        guard let pointer = zk_bf16_plan_create(key.narrow ? 1 : 0, key.transposeA ? 1 : 0, key.transposeB ? 1 : 0,
                                                Int64(key.m), Int64(key.n), Int64(key.k), Int64(key.ldc),
                                                key.alpha, key.beta, &message, message.count) else {
            return .failure(Refusal(message: text(message)))
        }
        let plan = Plan(pointer)
        return .success(plans.withLock { cache in
            if cache.count >= planLimit { cache.removeAll() }
            if let existing = cache[key] { return existing }  // another thread made it first
            cache[key] = plan
            return plan
        })
    }

    /// Runs one GEMM through oneDNN (arguments as `BLAS.sgemm`'s, sizes already checked), in
    /// bf16 when `narrow`, else in f32. Returns false when oneDNN refuses the shape (C is then
    /// untouched unless the primitive itself failed while running); the caller runs it with
    /// OpenBLAS instead.
    static func gemm(narrow: Bool = true, _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                     _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) -> Bool {
        let key = PlanKey(narrow: narrow, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, ldc: ldc,
                          alpha: alpha, beta: beta)
        switch plan(key) {
        case .failure(let refusal):
            refuse(refusal.message)
            return false
        case .success(let plan):
            var message = [CChar](repeating: 0, count: 256)
            let status = withExtendedLifetime(plan) {
                zk_bf16_plan_run(plan.pointer, a, Int64(lda), b, Int64(ldb), c, &message, message.count)
            }
            if status != 0 { refuse(text(message)) }
            return status == 0
        }
    }

    /// A C message buffer's text, up to its terminating NUL.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func refuse(_ message: String) {
        refusals.withLock { $0 = ($0.count + 1, message) }
    }
}
