// transformers 5.24.0 models/umt5/modeling_umt5.py `UMT5DenseGatedActDense` /
// `UMT5DenseActDense` (copies of T5's): bias-free linears.
import TensorCore
import WeightsIO

/// The feed-forward network of a T5 / UMT5 layer, loaded from `…layer.1.DenseReluDense.`.
struct UMT5FeedForward: Sendable {
    let kind: UMT5FeedForwardKind
    /// `wi_0` (gated) or `wi` (dense): `[F, D]`.
    let wi: Linear
    /// `wi_1` (gated only): `[F, D]`.
    let wiGate: Linear?
    /// `wo`: `[D, F]`.
    let wo: Linear

    init(_ source: some WeightSource, config: UMT5Config, kind: UMT5FeedForwardKind) throws {
        let D = config.modelDim, F = config.feedForwardDim
        self.kind = kind
        switch kind {
        case .gated:
            wi = try Linear(source.scoped("wi_0."), inFeatures: D, outFeatures: F, bias: false)
            wiGate = try Linear(source.scoped("wi_1."), inFeatures: D, outFeatures: F, bias: false)
        case .dense:
            wi = try Linear(source.scoped("wi."), inFeatures: D, outFeatures: F, bias: false)
            wiGate = nil
        }
        wo = try Linear(source.scoped("wo."), inFeatures: F, outFeatures: D, bias: false)
    }

    /// h: `[B, L, D]` -> `[B, L, D]`.
    func callAsFunction(_ h: Tensor) throws(TensorShapeError) -> Tensor {
        switch kind {
        case let .gated(activation):
            var hidden = wi(h)  // [B, L, F]
            hidden.activateInPlace(activation)
            if let wiGate { try hidden *= wiGate(h) }  // act(wi_0 h) ⊙ wi_1 h
            return wo(hidden)
        case let .dense(activation):
            var hidden = wi(h)  // [B, L, F]
            hidden.activateInPlace(activation)
            return wo(hidden)
        }
    }
}
