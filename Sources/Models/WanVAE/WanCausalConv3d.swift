// diffusers `WanCausalConv3d` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1):
// a Conv3d whose time padding is 2·p_t zero frames in front (none behind), with the
// previous chunk's last input frames standing in for that padding.
import TensorCore
import WeightsIO

/// A causal 3-D convolution with its weights, loaded from `prefix.weight` / `prefix.bias`.
///
/// Time is padded with `2·padding.t` zero frames in front only; H and W with `padding.h`,
/// `padding.w` on both sides. Run chunk by chunk through a `WanCausalCache`, the result
/// equals one run over the whole sequence.
struct WanCausalConv3d: Sendable {
    /// `[O, C, kT, kH, kW]`
    let weight: Tensor
    /// `[O]`
    let bias: Tensor
    let stride: (Int, Int, Int)
    /// Zero frames in front of the sequence (`2·p_t`).
    let causalFrames: Int
    let spatialPadding: Padding2D

    var inChannels: Int { weight.shape[1] }
    var outChannels: Int { weight.shape[0] }

    /// Loads `weight [out, in, kT, kH, kW]` and `bias [out]`; `padding` is (t, h, w) as in
    /// the PyTorch constructor.
    init(_ source: some WeightSource, inChannels: Int, outChannels: Int, kernel: (Int, Int, Int),
         stride: (Int, Int, Int) = (1, 1, 1), padding: (Int, Int, Int) = (0, 0, 0)) throws {
        weight = try source.tensor("weight", shape: [outChannels, inChannels, kernel.0, kernel.1, kernel.2])
        bias = try source.tensor("bias", shape: [outChannels])
        self.stride = stride
        causalFrames = 2 * padding.0
        spatialPadding = Padding2D(padding.1, padding.2)
    }

    /// Convolves `x` with `cache` frames (or zeros) in front, without touching any cache, and
    /// adds `addend` (`[B, O, F', H', W']`, a residual) to the result if given.
    /// x: [B, C, F, H, W] -> [B, O, F', H', W']
    func callAsFunction(_ x: Tensor, previous: Tensor? = nil, adding addend: Tensor? = nil) -> Tensor {
        conv3d(x, weight: weight, bias: bias, stride: stride,
               temporalPadding: .causal(causalFrames), spatialPadding: spatialPadding,
               cache: causalFrames > 0 ? previous : nil, adding: addend)
    }

    /// Convolves one chunk, using and then updating this conv's slot of `cache` (the last
    /// `WanCausalCache.frameCount` frames of the input sequence so far), plus `addend`.
    /// x: [B, C, F, H, W] -> [B, O, F', H', W']
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache, adding addend: Tensor? = nil) -> Tensor {
        let slot = cache.nextSlot()
        let previous = cache.frames(slot)
        let y = self(x, previous: previous, adding: addend)
        cache[slot] = .frames(causalCacheTail(x, previous: previous, count: WanCausalCache.frameCount))
        return y
    }
}
