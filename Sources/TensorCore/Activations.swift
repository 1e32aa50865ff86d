import CVectorKernels
import Foundation

// Activation functions, computed in Float like torch's float32 CPU kernels:
//   SiLU        x · σ(x)                                     (torch.nn.SiLU)
//   GELU        0.5 · x · (1 + erf(x / √2))                  (approximate="none")
//   GELU tanh   0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))   (approximate="tanh")
//   quick GELU  x · σ(1.702 · x)                             (CLIP "quick_gelu")
//   GEGLU       h · gelu(g) with (h, g) = chunk(x, 2, -1)    (diffusers GEGLU)
// Over buffers (`apply`, `gated`) GELU's erf is CVectorKernels' rational approximation (absolute
// error ≤ 4.5e-7, so GELU within 0.5·|x|·4.5e-7), which vectorises; libm's scalar erff was 30%
// of a UNet step through GEGLU. One value (`callAsFunction`) still uses libm's erf.

/// An elementwise activation, as named by diffusers / transformers configs.
public enum Activation: String, Sendable, CaseIterable {
    case identity
    case relu
    case sigmoid
    case tanh
    /// `x · sigmoid(x)` ("silu" / "swish").
    case silu
    /// Exact GELU with erf ("gelu").
    case gelu
    /// GELU with the tanh approximation ("gelu-approximate", "gelu_pytorch_tanh", "gelu_new").
    case geluTanh
    /// `x · sigmoid(1.702 x)` ("quick_gelu").
    case quickGELU

    /// The activation for a config string such as `"silu"`, `"gelu-approximate"`,
    /// `"gelu_pytorch_tanh"` or `"quick_gelu"`; nil if unknown.
    public init?(configName: String) {
        switch configName.lowercased() {
        case "identity", "linear", "none": self = .identity
        case "relu": self = .relu
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "silu", "swish": self = .silu
        case "gelu": self = .gelu
        case "gelu-approximate", "gelu_pytorch_tanh", "gelu_new", "gelu_tanh", "gelu-tanh": self = .geluTanh
        case "quick_gelu", "quick-gelu": self = .quickGELU
        default: return nil
        }
    }

    /// The activation of one value.
    @inline(__always)
    public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .relu: return Activation.reluOf(x)
        case .sigmoid: return Activation.sigmoidOf(x)
        case .tanh: return Foundation.tanh(x)
        case .silu: return Activation.siluOf(x)
        case .gelu: return Activation.geluOf(x)
        case .geluTanh: return Activation.geluTanhOf(x)
        case .quickGELU: return Activation.quickGELUOf(x)
        }
    }

    /// 1/√2 rounded to Float (torch's M_SQRT1_2).
    static let sqrtHalf = Float(0.70710678118654752440)
    /// √(2/π) rounded to Float (torch's M_SQRT2 · M_2_SQRTPI · 0.5).
    static let sqrtTwoOverPi = Float(0.79788456080286535588)

    /// Applies the activation to every element of a buffer in place, in parallel. The
    /// exp-based ones run in CVectorKernels at the CPU's vector width (the same formulas).
    func apply(_ p: UnsafeMutableBufferPointer<Float>) {
        guard let base = p.baseAddress else { return }
        // A cancelled job's activations are skipped (`CancellationFlag.current`).
        if CancellationFlag.current?.isCancelled == true { return }
        Parallel.forEach(p.count, grain: 8_192) { range in
            applySerially(base + range.lowerBound, count: range.count)
        }
    }

    /// Applies the activation in place to `count` values at `base`, on the calling thread: for
    /// kernels that fuse it into a pass they already run in parallel (the same formulas as
    /// `apply`, so the same values).
    public func applySerially(_ base: UnsafeMutablePointer<Float>, count: Int) {
        // One loop per case so each inner loop has no switch.
        switch self {
        case .identity: break
        case .relu: for i in 0..<count { base[i] = Activation.reluOf(base[i]) }
        case .sigmoid: zk_activate(ZK_SIGMOID, base, count)
        case .tanh: for i in 0..<count { base[i] = Foundation.tanh(base[i]) }
        case .silu: zk_activate(ZK_SILU, base, count)
        case .gelu: zk_activate(ZK_GELU, base, count)
        case .geluTanh: zk_activate(ZK_GELU_TANH, base, count)
        case .quickGELU: zk_activate(ZK_QUICK_GELU, base, count)
        }
    }

    @inline(__always) static func reluOf(_ x: Float) -> Float { x > 0 ? x : 0 }
    // The sigmoid-based forms use `VectorMath.exp`, so their loops vectorise.
    @inline(__always) static func sigmoidOf(_ x: Float) -> Float { VectorMath.sigmoid(x) }
    @inline(__always) static func siluOf(_ x: Float) -> Float { x / (1 + VectorMath.exp(-x)) }
    @inline(__always) static func geluOf(_ x: Float) -> Float { 0.5 * x * (1 + Foundation.erf(x * sqrtHalf)) }
    /// 0.5·x·(1 + tanh(u)) computed as x·σ(2u), the same function (1 + tanh(u) = 2σ(2u)) without
    /// the cancellation of 1 + tanh(u) for negative x, with a vectorisable exp.
    @inline(__always) static func geluTanhOf(_ x: Float) -> Float {
        x / (1 + VectorMath.exp(-2 * sqrtTwoOverPi * (x + 0.044715 * (x * x * x))))
    }
    @inline(__always) static func quickGELUOf(_ x: Float) -> Float { x / (1 + VectorMath.exp(-1.702 * x)) }
}

extension Tensor {
    /// The activation applied elementwise.
    public func activated(_ activation: Activation) -> Tensor {
        var out = self
        out.activateInPlace(activation)
        return out
    }

    /// Applies the activation elementwise in place.
    public mutating func activateInPlace(_ activation: Activation) {
        data.withUnsafeMutableBufferPointer { activation.apply($0) }
    }

    /// `x · sigmoid(x)`.
    public func silu() -> Tensor { activated(.silu) }
    /// Exact (erf) GELU.
    public func gelu() -> Tensor { activated(.gelu) }
    /// GELU with torch's tanh approximation.
    public func geluTanh() -> Tensor { activated(.geluTanh) }
    /// `x · sigmoid(1.702 x)`.
    public func quickGELU() -> Tensor { activated(.quickGELU) }
    /// Elementwise logistic sigmoid.
    public func sigmoid() -> Tensor { activated(.sigmoid) }
    /// Elementwise hyperbolic tangent.
    public func tanh() -> Tensor { activated(.tanh) }

    /// Gated activation over the last dimension: for `x: [..., 2N]` returns
    /// `x[..., :N] * act(x[..., N:])` of shape `[..., N]` (diffusers `GEGLU` with
    /// `act = .gelu`: first half is the value, second half the gate).
    public func gated(_ activation: Activation = .gelu) -> Tensor {
        precondition(rank >= 1 && shape[rank - 1] % 2 == 0, "gated: last dim of \(shape) must be even")
        let width = shape[rank - 1] / 2
        let rows = width == 0 ? 0 : count / (2 * width)
        var outShape = shape
        outShape[rank - 1] = width
        // A cancelled job's gate is skipped, its values left meaningless (`CancellationFlag.current`).
        let cancelled = CancellationFlag.current?.isCancelled == true
        return Tensor(shape: outShape) { out in
            if cancelled { out.initialize(repeating: 0); return }
            data.withUnsafeBufferPointer { x in
                Parallel.forEach(rows, grain: max(1, 4_096 / max(1, width))) { range in
                    for row in range {
                        let h = x.baseAddress! + row * 2 * width
                        let g = h + width
                        let o = out.baseAddress! + row * width
                        switch activation {
                        case .gelu: zk_gated(ZK_GELU, h, g, o, width)
                        case .geluTanh: zk_gated(ZK_GELU_TANH, h, g, o, width)
                        case .silu: zk_gated(ZK_SILU, h, g, o, width)
                        default: for j in 0..<width { o[j] = h[j] * activation(g[j]) }
                        }
                    }
                }
            }
        }
    }
}
