// torch.nn.Linear with its weights, loaded from `prefix.weight` / `prefix.bias`.
//
// A weight stored in half precision (F16 / BF16) stays in it and is widened to Float only
// while the layer runs, so a checkpoint shipped in bf16 keeps half its size in memory: the
// Wan 2.1 1.3B transformer holds ~2.8 GB of weights instead of ~5.7 GB, and UMT5-XXL ~11 GB
// instead of ~22 GB. Widening is exact, so the outputs equal those of a model widened at load.
import TensorCore
import WeightsIO

/// A linear layer: `y = x · Wᵀ + b` over the last dimension.
///
/// `weight: [out, in]` (PyTorch layout), `bias: [out]` or nil. Built from a `WeightSource`
/// scoped to the layer (`source.scoped("to_q.")`), shape-checked on load.
public struct Linear: Sendable {
    /// The weight as stored: a Float tensor, or half-precision bytes widened per call.
    public enum Storage: Sendable {
        case float(Tensor)
        case half(StoredTensor)
    }

    public let storage: Storage
    /// Biases are small: always widened at load.
    public let bias: Tensor?
    public let inFeatures: Int
    public let outFeatures: Int

    /// A layer over Float weights `weight: [out, in]`.
    public init(weight: Tensor, bias: Tensor?) {
        storage = .float(weight)
        self.bias = bias
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
    }

    /// Loads `weight` [out, in] and, when `bias` is true, `bias` [out] from `source`; F16 / BF16
    /// weights stay half size.
    public init(_ source: some WeightSource, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        let stored = try source.stored("weight", shape: [outFeatures, inFeatures])
        switch stored.dtype {
        case .float16, .bfloat16: storage = .half(stored)
        default: storage = .float(stored.widened())
        }
        self.bias = bias ? try source.tensor("bias", shape: [outFeatures]) : nil
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// Whether the weight is held in half precision.
    public var isHalf: Bool {
        if case .half = storage { return true }
        return false
    }

    /// The weight as Float `[out, in]` (widened when stored in half precision).
    public var weight: Tensor {
        switch storage {
        case let .float(w): return w
        case let .half(w): return w.widened()
        }
    }

    /// x: [..., in] -> [..., out]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        linear(x, weight: weight, bias: bias)
    }
}
