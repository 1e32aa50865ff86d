// diffusers 0.42.1 models/resnet.py `ResnetBlock2D` (pre-norm, `time_embedding_norm="default"`, no
// up/down inside the block), models/downsampling.py `Downsample2D` (use_conv) and
// models/upsampling.py `Upsample2D` (use_conv, nearest): the resampling blocks shared by the SD VAE
// and the UNets (UNet3DConditionModel, UNetMotionModel, UNet2DConditionModel).
//   ResnetBlock2D: h = conv1(act(norm1(x)))
//                  h += time_emb_proj(act(temb))[:, :, None, None]        when temb_channels is set
//                  h = conv2(dropout(act(norm2(h))))
//                  out = (shortcut(x) + h) / output_scale_factor           shortcut: 1×1 conv when in ≠ out
//   Downsample2D:  padding p > 0: Conv2d(k3, s2, pad p); p = 0: F.pad(x, (0, 1, 0, 1)) then Conv2d(k3, s2)
//   Upsample2D:    F.interpolate(nearest, ×2 or `output_size`) then Conv2d(k3, pad 1)
import TensorCore
import WeightsIO

/// diffusers `ResnetBlock2D` with the default time-embedding handling (added after `conv1`), or
/// without a time embedding (`temb_channels=None`, the VAE's blocks). Keys: `norm1`, `conv1`,
/// `time_emb_proj`, `norm2`, `conv2`, `conv_shortcut`.
public struct ResnetBlock2D: Sendable {
    public let norm1: GroupNorm
    public let conv1: Conv2d
    /// `time_emb_proj`: `[out, temb_channels]`; nil when the block takes no time embedding.
    public let timeEmbProj: Linear?
    public let norm2: GroupNorm
    public let conv2: Conv2d
    /// 1×1 `conv_shortcut`, present when the width changes.
    public let convShortcut: Conv2d?
    /// `non_linearity` (`act_fn`), applied after both norms and to the time embedding.
    public let activation: Activation
    /// `output_scale_factor` (1 except `mid_block_scale_factor` configs).
    public let outputScaleFactor: Float

    /// Loads the block under `source` with diffusers' arguments: `groups` for both norms
    /// (`groups_out` defaults to `groups`), `eps` for both, `tembChannels` nil for no
    /// `time_emb_proj`.
    public init(_ source: some WeightSource, inChannels: Int, outChannels: Int? = nil, tembChannels: Int?,
                groups: Int, groupsOut: Int? = nil, eps: Float, activation: Activation = .silu,
                outputScaleFactor: Float = 1) throws {
        let out = outChannels ?? inChannels
        norm1 = try GroupNorm(source.scoped("norm1."), channels: inChannels, groups: groups, eps: eps)
        conv1 = try Conv2d(source.scoped("conv1."), inChannels: inChannels, outChannels: out, kernel: 3,
                           padding: .uniform(1))
        timeEmbProj = try tembChannels.map {
            try Linear(source.scoped("time_emb_proj."), inFeatures: $0, outFeatures: out)
        }
        norm2 = try GroupNorm(source.scoped("norm2."), channels: out, groups: groupsOut ?? groups, eps: eps)
        conv2 = try Conv2d(source.scoped("conv2."), inChannels: out, outChannels: out, kernel: 3, padding: .uniform(1))
        convShortcut = inChannels == out ? nil
            : try Conv2d(source.scoped("conv_shortcut."), inChannels: inChannels, outChannels: out, kernel: 1,
                         padding: .zero)
        self.activation = activation
        self.outputScaleFactor = outputScaleFactor
    }

    /// x: [N, Cin, H, W], temb: [N, temb_channels] (nil for a block without `time_emb_proj`)
    /// -> [N, Cout, H, W]. Throws when `temb` does not have N rows.
    public func callAsFunction(_ x: Tensor, temb: Tensor? = nil) throws(TensorShapeError) -> Tensor {
        var h = norm1(x)
        h.activateInPlace(activation)
        h = conv1(h)                                                   // [N, Cout, H, W]
        if let timeEmbProj, let temb {
            let t = timeEmbProj(temb.activated(activation))            // [N, Cout]
            try h += t.reshaped([t.shape[0], t.shape[1], 1, 1])        // broadcast over H, W
        }
        h = norm2(h)
        h.activateInPlace(activation)
        h = conv2(h)                                                   // dropout is the identity here
        var out = convShortcut.map { $0(x) } ?? x
        try out += h
        // (input + hidden) / output_scale_factor: a division, as torch does it (exact for 1).
        if outputScaleFactor != 1 { out = out / outputScaleFactor }
        return out
    }
}

/// diffusers `Downsample2D(use_conv=True)`: a 3×3 stride-2 convolution (`conv.`). With
/// `padding` 0 the input is first zero-padded by one on the right and bottom (the VAE encoder);
/// the UNets use padding 1.
public struct Downsample2D: Sendable {
    public let conv: Conv2d

    /// Loads `conv` (`[out, channels, 3, 3]`) under `source`.
    public init(_ source: some WeightSource, channels: Int, outChannels: Int? = nil, padding: Int = 1) throws {
        // F.pad(x, (0, 1, 0, 1)) then a conv with pad 0 is one conv with per-side padding.
        let pad = padding == 0 ? Padding2D(top: 0, bottom: 1, left: 0, right: 1) : .uniform(padding)
        conv = try Conv2d(source.scoped("conv."), inChannels: channels, outChannels: outChannels ?? channels,
                          kernel: 3, stride: 2, padding: pad)
    }

    /// x: [N, C, H, W] -> [N, O, ⌊(H + 2p − 3) / 2⌋ + 1, …] (⌈H / 2⌉ for p = 1)
    public func callAsFunction(_ x: Tensor) -> Tensor { conv(x) }
}

/// diffusers `Upsample2D(use_conv=True)`: nearest-neighbour ×2 (or to a forced `outputSize`, which
/// the UNets pass when the latent sides are not multiples of 2^levels), then a 3×3 conv (`conv.`).
public struct Upsample2D: Sendable {
    public let conv: Conv2d

    /// Loads `conv` (`[out, channels, 3, 3]`) under `source`.
    public init(_ source: some WeightSource, channels: Int, outChannels: Int? = nil) throws {
        conv = try Conv2d(source.scoped("conv."), inChannels: channels, outChannels: outChannels ?? channels,
                          kernel: 3, padding: .uniform(1))
    }

    /// x: [N, C, H, W] -> [N, O, 2H, 2W], or [N, O, outputSize.height, outputSize.width]
    /// (torch `F.interpolate(size=…, mode="nearest")`: source index ⌊dst · in / out⌋).
    public func callAsFunction(_ x: Tensor, outputSize: (height: Int, width: Int)? = nil) -> Tensor {
        let size = outputSize.map { [$0.height, $0.width] } ?? [2 * x.shape[2], 2 * x.shape[3]]
        return conv(x.upsampledNearest(size: size))
    }
}
