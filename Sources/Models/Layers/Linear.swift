// torch.nn.Linear with its weights, loaded from `prefix.weight` / `prefix.bias`.
import TensorCore
import WeightsIO

/// A linear layer: `y = x · Wᵀ + b` over the last dimension.
///
/// `weight: [out, in]` (PyTorch layout), `bias: [out]` or nil. Built from a `WeightSource`
/// scoped to the layer (`source.scoped("to_q.")`), shape-checked on load.
public struct Linear: Sendable {
    public let weight: Tensor
    public let bias: Tensor?

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// Loads `weight` [out, in] and, when `bias` is true, `bias` [out] from `source`.
    public init(_ source: some WeightSource, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        weight = try source.tensor("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try source.tensor("bias", shape: [outFeatures]) : nil
    }

    /// x: [..., in] -> [..., out]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        linear(x, weight: weight, bias: bias)
    }
}
