// diffusers 0.42.1 models/attention.py `FeedForward`, with its first layer from
// models/activations.py `GELU` ("gelu", "gelu-approximate") or `GEGLU` ("geglu"):
//   net.0 = GELU:  proj (dim → inner), gelu / gelu_tanh
//           GEGLU: proj (dim → 2·inner), chunk(2, dim=-1) → hidden · gelu(gate)
//   net.1 = Dropout (identity at inference)
//   net.2 = Linear (inner → dim_out)
// Wan's `ffn` is "gelu-approximate"; the transformer blocks of SD, ModelScope's UNet3D and
// AnimateDiff (`BasicTransformerBlock`) use the default "geglu".
import TensorCore
import WeightsIO

/// The feed-forward network of a diffusers transformer block (`ff.` / `ffn.` prefixes).
public struct FeedForward: Sendable {
    /// diffusers' `activation_fn`: which activation layer `net.0` is.
    public enum ActivationFunction: String, Sendable, CaseIterable {
        /// `GELU(approximate="none")`: erf GELU.
        case gelu = "gelu"
        /// `GELU(approximate="tanh")`.
        case geluApproximate = "gelu-approximate"
        /// `GEGLU`: a projection to twice the inner width, value times erf-GELU of the gate.
        case geglu = "geglu"
    }

    public let activation: ActivationFunction
    /// `net.0.proj`: `[inner, dim]`, or `[2·inner, dim]` for GEGLU (value rows first, then gate rows).
    public let proj: Linear
    /// `net.2`: `[dim_out, inner]`.
    public let out: Linear

    /// Loads `net.0.proj` and `net.2` under `source`. `innerDim` defaults to `dim · mult`,
    /// `dimOut` to `dim` (diffusers' defaults; `mult` 4).
    public init(_ source: some WeightSource, dim: Int, dimOut: Int? = nil, mult: Int = 4, innerDim: Int? = nil,
                activation: ActivationFunction = .geglu, bias: Bool = true) throws {
        let inner = innerDim ?? dim * mult
        self.activation = activation
        proj = try Linear(source.scoped("net.0.proj."), inFeatures: dim,
                          outFeatures: activation == .geglu ? 2 * inner : inner, bias: bias)
        out = try Linear(source.scoped("net.2."), inFeatures: inner, outFeatures: dimOut ?? dim, bias: bias)
    }

    /// x: [..., dim] -> [..., dim_out]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = proj(x)                          // [..., inner] (GEGLU: [..., 2·inner])
        switch activation {
        case .gelu: h.activateInPlace(.gelu)
        case .geluApproximate: h.activateInPlace(.geluTanh)
        case .geglu: h = h.gated(.gelu)          // -> [..., inner]
        }
        return out(h)
    }
}
