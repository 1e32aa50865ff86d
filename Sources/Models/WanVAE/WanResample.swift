// diffusers `WanResample` (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1):
// the encoder's spatial (and temporal) halving and the decoder's doubling.
import TensorCore
import WeightsIO

/// One resampling step of the Wan VAE. The 2-D part acts on every frame; the 3-D modes add
/// a `time_conv` whose first chunk is special-cased exactly as diffusers does it.
struct WanResample: Sendable {
    enum Mode: Sendable, Equatable {
        /// `ZeroPad2d(0, 1, 0, 1)` + Conv2d 3×3 stride 2, per frame.
        case downsample2d
        /// `downsample2d`, then a stride-2 time conv over `[last frame of the previous chunk, x]`;
        /// the first chunk passes through (its frame is only cached).
        case downsample3d
        /// nearest-exact ×2 + Conv2d 3×3 pad 1 to C/2 channels (Wan 2.2's residual up blocks:
        /// C channels), per frame.
        case upsample2d
        /// A causal time conv C → 2C whose halves become two consecutive frames (skipped on the
        /// first chunk), then `upsample2d`.
        case upsample3d
    }

    let mode: Mode
    /// `resample.1` (Conv2d 3×3) as a conv3d weight `[O, C, 1, 3, 3]`.
    let spatialWeight: Tensor
    let spatialBias: Tensor
    /// `time_conv` (3-D modes only).
    let timeConv: WanCausalConv3d?

    /// Output channels: C for downsampling, `upsampleOutChannels` (default C/2) for upsampling.
    var outChannels: Int { spatialWeight.shape[0] }

    /// `upsampleOutChannels` is diffusers' `upsample_out_dim` (nil: C/2, as Wan 2.1 builds it).
    init(_ source: some WeightSource, channels C: Int, mode: Mode, upsampleOutChannels: Int? = nil) throws {
        self.mode = mode
        let out: Int
        switch mode {
        case .downsample2d, .downsample3d: out = C
        case .upsample2d, .upsample3d: out = upsampleOutChannels ?? C / 2
        }
        spatialWeight = try source.tensor("resample.1.weight", shape: [out, C, 3, 3]).reshaped([out, C, 1, 3, 3])
        spatialBias = try source.tensor("resample.1.bias", shape: [out])
        switch mode {
        case .downsample2d, .upsample2d:
            timeConv = nil
        case .downsample3d:
            timeConv = try WanCausalConv3d(source.scoped("time_conv."), inChannels: C, outChannels: C,
                                           kernel: (3, 1, 1), stride: (2, 1, 1))
        case .upsample3d:
            timeConv = try WanCausalConv3d(source.scoped("time_conv."), inChannels: C, outChannels: 2 * C,
                                           kernel: (3, 1, 1), padding: (1, 0, 0))
        }
    }

    /// x: [B, C, F, H, W] -> downsample: [B, C, F', H/2, W/2]; upsample: [B, C_out, F', 2H, 2W]
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache) -> Tensor {
        switch mode {
        case .downsample2d:
            return downsampled(x)
        case .downsample3d:
            return temporallyDownsampled(downsampled(x), cache: &cache)
        case .upsample2d:
            return upsampled(x)
        case .upsample3d:
            return upsampled(temporallyUpsampled(x, cache: &cache))
        }
    }

    /// x: [B, C, F, H, W] -> [B, C, F, ⌊(H−1)/2⌋+1, ⌊(W−1)/2⌋+1] (pad right/bottom, stride 2)
    private func downsampled(_ x: Tensor) -> Tensor {
        conv3d(x, weight: spatialWeight, bias: spatialBias, stride: (1, 2, 2),
               spatialPadding: Padding2D(top: 0, bottom: 1, left: 0, right: 1))
    }

    /// x: [B, C, F, H, W] -> [B, C_out, F, 2H, 2W]
    private func upsampled(_ x: Tensor) -> Tensor {
        let up = x.upsampledNearest(size: [2 * x.shape[3], 2 * x.shape[4]], mode: .nearestExact)
        return conv3d(up, weight: spatialWeight, bias: spatialBias, spatialPadding: .uniform(1))
    }

    /// x: [B, C, F, H, W] -> first chunk: x; later chunks: [B, C, F/2, H, W]
    private func temporallyDownsampled(_ x: Tensor, cache: inout WanCausalCache) -> Tensor {
        let slot = cache.nextSlot()
        let last = x.narrowed(axis: 2, start: x.shape[2] - 1, length: 1)   // [B, C, 1, H, W]
        defer { cache[slot] = .frames(last) }
        guard let previous = cache.frames(slot), let timeConv else { return x }
        // [previous last frame, x] -> stride-2 conv with no padding: 1 + F frames -> F/2
        return timeConv(Tensor.concatenate([previous, x], axis: 2))
    }

    /// x: [B, C, F, H, W] -> first chunk: x; later chunks: [B, C, 2F, H, W]
    private func temporallyUpsampled(_ x: Tensor, cache: inout WanCausalCache) -> Tensor {
        let slot = cache.nextSlot()
        guard let entry = cache[slot], let timeConv else {
            cache[slot] = .skippedFirstChunk
            return x
        }
        var previous: Tensor?
        if case let .frames(frames) = entry { previous = frames }
        let y = timeConv(x, previous: previous)                              // [B, 2C, F, H, W]
        cache[slot] = .frames(causalCacheTail(x, previous: previous, count: WanCausalCache.frameCount))
        let B = x.shape[0], C = x.shape[1], F = x.shape[2], H = x.shape[3], W = x.shape[4]
        // channels [0, C) and [C, 2C) are frames 2t and 2t + 1
        return y.reshaped([B, 2, C, F, H, W])
            .permuted([0, 2, 3, 1, 4, 5])                                    // [B, C, F, 2, H, W]
            .reshaped([B, C, 2 * F, H, W])
    }
}
