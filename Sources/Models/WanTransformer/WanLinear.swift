// torch.nn.Linear whose weight may stay in its stored half precision (F16/BF16) and is
// widened to Float only while the layer runs — so a Wan 2.1 1.3B transformer shipped in
// bf16 holds ~2.8 GB of weights instead of ~5.7 GB. F32 weights are kept as a Tensor.
import TensorCore
import WeightsIO

/// A linear layer `y = x · Wᵀ + b` loaded from `prefix.weight` [out, in] / `prefix.bias` [out].
struct WanLinear: Sendable {
    /// The weight as stored: a Float tensor, or half-precision bytes widened per call.
    enum Storage: Sendable {
        case float(Tensor)
        case half(StoredTensor)
    }

    let weight: Storage
    /// Biases are small: always widened at load.
    let bias: Tensor?
    let inFeatures: Int
    let outFeatures: Int

    init(_ source: some WeightSource, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        let stored = try source.stored("weight", shape: [outFeatures, inFeatures])
        switch stored.dtype {
        case .float16, .bfloat16: weight = .half(stored)
        default: weight = .float(stored.widened())
        }
        self.bias = bias ? try source.tensor("bias", shape: [outFeatures]) : nil
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// Whether the weight is held in half precision.
    var isHalf: Bool {
        if case .half = weight { return true }
        return false
    }

    /// x: [..., in] -> [..., out]
    func callAsFunction(_ x: Tensor) -> Tensor {
        switch weight {
        case let .float(w): return linear(x, weight: w, bias: bias)
        case let .half(w): return linear(x, weight: w.widened(), bias: bias)
        }
    }
}
