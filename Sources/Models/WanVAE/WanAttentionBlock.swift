// diffusers `WanAttentionBlock` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1):
// single-head self-attention over the H·W positions of each frame separately.
import TensorCore
import WeightsIO

/// `x + proj(attention(to_qkv(norm(x))))` per frame, one head of width C, scale 1/√C.
struct WanAttentionBlock: Sendable {
    let norm: WanRMSNorm
    /// `to_qkv` (Conv2d 1×1, C → 3C) as a pointwise conv3d weight `[3C, C, 1, 1, 1]`.
    let toQKVWeight: Tensor
    let toQKVBias: Tensor
    /// `proj` (Conv2d 1×1, C → C) as `[C, C, 1, 1, 1]`.
    let projWeight: Tensor
    let projBias: Tensor
    let channels: Int

    init(_ source: some WeightSource, channels C: Int) throws {
        norm = try WanRMSNorm(source.scoped("norm."), channels: C, trailingOnes: 2)
        toQKVWeight = try source.tensor("to_qkv.weight", shape: [3 * C, C, 1, 1]).reshaped([3 * C, C, 1, 1, 1])
        toQKVBias = try source.tensor("to_qkv.bias", shape: [3 * C])
        projWeight = try source.tensor("proj.weight", shape: [C, C, 1, 1]).reshaped([C, C, 1, 1, 1])
        projBias = try source.tensor("proj.bias", shape: [C])
        channels = C
    }

    /// x: [B, C, F, H, W] -> [B, C, F, H, W]
    func callAsFunction(_ x: Tensor) throws(TensorShapeError) -> Tensor {
        let B = x.shape[0], C = x.shape[1], F = x.shape[2], H = x.shape[3], W = x.shape[4]
        // The norm and the 1×1 convs act per position, so they run on the 5-D tensor.
        let qkv = conv3d(norm(x), weight: toQKVWeight, bias: toQKVBias)      // [B, 3C, F, H, W]
            .permuted([0, 2, 3, 4, 1])                                       // [B, F, H, W, 3C]
            .reshaped([B * F, H * W, 3 * C])
        let parts = qkv.split(sizes: [C, C, C], axis: 2)                     // q, k, v: [B·F, HW, C]
        let q = parts[0].reshaped([B * F, H * W, 1, C])
        let k = parts[1].reshaped([B * F, H * W, 1, C])
        let v = parts[2].reshaped([B * F, H * W, 1, C])
        let o = scaledDotProductAttention(q, k, v, layout: .batchSequenceHead) // [B·F, HW, 1, C]
            .reshaped([B, F, H, W, C])
            .permuted([0, 4, 1, 2, 3])                                       // [B, C, F, H, W]
        var out = conv3d(o, weight: projWeight, bias: projBias)
        try out += x
        return out
    }
}
