// The Wan 2.2 (`is_residual = True`) level blocks of diffusers `AutoencoderKLWan`
// (models/autoencoders/autoencoder_kl_wan.py, diffusers 0.42.1): `AvgDown3D`, `DupUp3D`,
// `WanResidualDownBlock`, `WanResidualUpBlock`. Each level of the encoder (decoder) is one
// block whose resnets and resampler get a parameter-free shortcut that regroups channels
// into space and time: averaging on the way down, duplicating on the way up.
import TensorCore
import WeightsIO

/// diffusers `AvgDown3D`: `[B, C, T, H, W] → [B, C_out, ⌈T/ft⌉, H/fs, W/fs]`.
///
/// Time is zero-padded in front to a multiple of `ft`; each `ft × fs × fs` block is folded
/// into channels (order c, t, h, w), and groups of `C·ft·fs² / C_out` consecutive folded
/// channels are averaged.
struct WanAvgDown3D: Sendable {
    let outChannels: Int
    let factorT: Int
    let factorS: Int
    /// Folded channels averaged into one output channel (`in · ft · fs² / out`).
    let groupSize: Int

    init(inChannels: Int, outChannels: Int, factorT: Int, factorS: Int) {
        self.outChannels = outChannels
        self.factorT = factorT
        self.factorS = factorS
        groupSize = inChannels * factorT * factorS * factorS / outChannels
    }

    /// x: [B, C, T, H, W] -> [B, C_out, ⌈T/ft⌉, H/fs, W/fs] (H, W multiples of fs)
    func callAsFunction(_ x: Tensor) throws(TensorShapeError) -> Tensor {
        let (ft, fs) = (factorT, factorS)
        let padT = (ft - x.shape[2] % ft) % ft
        let padded = padT == 0 ? x : x.padded(before: [0, 0, padT, 0, 0], after: [0, 0, 0, 0, 0])
        let B = padded.shape[0], C = padded.shape[1], T = padded.shape[2], H = padded.shape[3], W = padded.shape[4]
        let (t, h, w) = (T / ft, H / fs, W / fs)
        let folded = padded.reshaped([B, C, t, ft, h, fs, w, fs])
            .permuted([0, 1, 3, 5, 7, 2, 4, 6])                              // [B, C, ft, fs, fs, t, h, w]
            .reshaped([B, outChannels, groupSize, t * h * w])                 // groups of consecutive folded channels
        // torch `mean(dim=2)`: the group summed in order, then scaled by 1/group.
        var sum = folded.narrowed(axis: 2, start: 0, length: 1)              // [B, C_out, 1, t·h·w]
        for g in 1..<groupSize { try sum += folded.narrowed(axis: 2, start: g, length: 1) }
        if groupSize > 1 { sum *= 1 / Float(groupSize) }
        return sum.reshaped([B, outChannels, t, h, w])
    }
}

/// diffusers `DupUp3D`: `[B, C, T, H, W] → [B, C_out, T·ft, H·fs, W·fs]`, each channel
/// repeated `C_out·ft·fs² / C` times and unfolded into `ft × fs × fs` blocks. On the first
/// chunk the first `ft − 1` frames are dropped (the causal first frame maps to one frame).
struct WanDupUp3D: Sendable {
    let outChannels: Int
    let factorT: Int
    let factorS: Int
    /// `out · ft · fs² / in`.
    let repeats: Int

    init(inChannels: Int, outChannels: Int, factorT: Int, factorS: Int) {
        self.outChannels = outChannels
        self.factorT = factorT
        self.factorS = factorS
        repeats = outChannels * factorT * factorS * factorS / inChannels
    }

    /// x: [B, C, T, H, W] -> [B, C_out, T·ft, H·fs, W·fs] (first chunk: T·ft − (ft − 1) frames)
    func callAsFunction(_ x: Tensor, firstChunk: Bool) -> Tensor {
        let B = x.shape[0], T = x.shape[2], H = x.shape[3], W = x.shape[4]
        let (ft, fs) = (factorT, factorS)
        let y = x.repeatedInterleaved(repeats, axis: 1)                      // [B, C_out·ft·fs², T, H, W]
            .reshaped([B, outChannels, ft, fs, fs, T, H, W])
            .permuted([0, 1, 5, 2, 6, 3, 7, 4])                              // [B, C_out, T, ft, H, fs, W, fs]
            .reshaped([B, outChannels, T * ft, H * fs, W * fs])
        guard firstChunk, ft > 1 else { return y }
        return y.narrowed(axis: 2, start: ft - 1, length: T * ft - (ft - 1))
    }
}

/// diffusers `WanResidualDownBlock`: one encoder level of the residual VAE.
///
/// `resnets.0 … resnets.{n−1}`, then `downsampler` (a `WanResample`, except at the last
/// level), plus the `AvgDown3D` shortcut of the block's input.
struct WanResidualDownBlock: Sendable {
    let resnets: [WanResidualBlock]
    let downsampler: WanResample?
    let shortcut: WanAvgDown3D

    init(_ source: some WeightSource, inChannels: Int, outChannels: Int, resnetCount: Int,
         temporalDownsample: Bool, downsample: Bool) throws {
        var blocks: [WanResidualBlock] = []
        var current = inChannels
        for index in 0..<resnetCount {
            blocks.append(try WanResidualBlock(source.scoped("resnets.\(index)."),
                                               inChannels: current, outChannels: outChannels))
            current = outChannels
        }
        resnets = blocks
        downsampler = downsample
            ? try WanResample(source.scoped("downsampler."), channels: outChannels,
                              mode: temporalDownsample ? .downsample3d : .downsample2d)
            : nil
        shortcut = WanAvgDown3D(inChannels: inChannels, outChannels: outChannels,
                                factorT: downsample && temporalDownsample ? 2 : 1, factorS: downsample ? 2 : 1)
    }

    /// x: [B, Cin, F, H, W] -> [B, Cout, F', H/2, W/2] (F' = ⌈F/2⌉ with temporal downsampling;
    /// the first chunk's single frame stays one frame)
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache) throws(TensorShapeError) -> Tensor {
        var h = x
        for block in resnets { h = try block(h, cache: &cache) }
        if let downsampler { h = downsampler(h, cache: &cache) }
        try h += shortcut(x)
        return h
    }
}

/// diffusers `WanResidualUpBlock`: one decoder level of the residual VAE.
///
/// `resnets.0 … resnets.n` (`num_res_blocks + 1`), then `upsampler` (a `WanResample` keeping
/// the width, except at the last level), plus the `DupUp3D` shortcut of the block's input.
struct WanResidualUpBlock: Sendable {
    let resnets: [WanResidualBlock]
    let upsampler: WanResample?
    let shortcut: WanDupUp3D?

    init(_ source: some WeightSource, inChannels: Int, outChannels: Int, resnetCount: Int,
         temporalUpsample: Bool, upsample: Bool) throws {
        var blocks: [WanResidualBlock] = []
        var current = inChannels
        for index in 0..<resnetCount {
            blocks.append(try WanResidualBlock(source.scoped("resnets.\(index)."),
                                               inChannels: current, outChannels: outChannels))
            current = outChannels
        }
        resnets = blocks
        if upsample {
            upsampler = try WanResample(source.scoped("upsampler."), channels: outChannels,
                                        mode: temporalUpsample ? .upsample3d : .upsample2d,
                                        upsampleOutChannels: outChannels)
            shortcut = WanDupUp3D(inChannels: inChannels, outChannels: outChannels,
                                  factorT: temporalUpsample ? 2 : 1, factorS: 2)
        } else {
            upsampler = nil
            shortcut = nil
        }
    }

    /// x: [B, Cin, F, H, W] -> [B, Cout, F', 2H, 2W] with an upsampler (F' = 2F with temporal
    /// upsampling, except on the first chunk, where it stays F)
    func callAsFunction(_ x: Tensor, cache: inout WanCausalCache, firstChunk: Bool) throws(TensorShapeError) -> Tensor {
        var h = x
        for block in resnets { h = try block(h, cache: &cache) }
        if let upsampler { h = upsampler(h, cache: &cache) }
        if let shortcut { try h += shortcut(x, firstChunk: firstChunk) }
        return h
    }
}
