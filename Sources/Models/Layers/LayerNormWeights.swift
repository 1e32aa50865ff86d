// torch.nn.LayerNorm / RMSNorm weights, loaded from `prefix.weight` (and `prefix.bias`).
import TensorCore
import WeightsIO

/// A LayerNorm over the last dimension, with or without an affine transform.
public struct LayerNorm: Sendable {
    public let weight: Tensor?
    public let bias: Tensor?
    public let eps: Float

    /// A LayerNorm without parameters (`elementwise_affine=False`).
    public init(eps: Float) {
        weight = nil
        bias = nil
        self.eps = eps
    }

    /// Loads `weight` [dim] and, when `bias` is true, `bias` [dim].
    public init(_ source: some WeightSource, dim: Int, eps: Float, bias: Bool = true) throws {
        weight = try source.tensor("weight", shape: [dim])
        self.bias = bias ? try source.tensor("bias", shape: [dim]) : nil
        self.eps = eps
    }

    /// x: [..., dim] -> [..., dim]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(weight: weight, bias: bias, eps: eps)
    }
}

/// An RMS norm over the last dimension: `x · rsqrt(mean(x²) + eps) · w`
/// (torch.nn.RMSNorm, T5LayerNorm).
public struct RMSNorm: Sendable {
    public let weight: Tensor?
    public let eps: Float

    /// An RMS norm without a weight (diffusers `RMSNorm(elementwise_affine=False)`).
    public init(eps: Float) {
        weight = nil
        self.eps = eps
    }

    /// Loads `weight` [dim].
    public init(_ source: some WeightSource, dim: Int, eps: Float) throws {
        weight = try source.tensor("weight", shape: [dim])
        self.eps = eps
    }

    /// x: [..., dim] -> [..., dim]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.rmsNorm(weight: weight, eps: eps)
    }
}
