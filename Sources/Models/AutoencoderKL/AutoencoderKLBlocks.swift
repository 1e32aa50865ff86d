// The blocks of diffusers `AutoencoderKL` (diffusers 0.42.1), in the order a forward pass reads them:
// `Encoder` / `Decoder` (models/autoencoders/vae.py), `DownEncoderBlock2D`, `UpDecoderBlock2D` and
// `UNetMidBlock2D` (models/unets/unet_2d_blocks.py), `ResnetBlock2D` (models/resnet.py, temb None,
// pre-norm, output_scale_factor 1), `Downsample2D` (models/downsampling.py, padding 0),
// `Upsample2D` (models/upsampling.py, nearest ×2 + conv) and the mid block's `Attention`
// (models/attention_processor.py, `AttnProcessor2_0` with group norm, one head of width C,
// biased q/k/v, `residual_connection=True`, `rescale_output_factor` 1). Every norm is
// GroupNorm(norm_num_groups, eps 1e-6). All of it acts on one image at a time: [N, C, H, W].
import TensorCore
import WeightsIO

/// The eps of every GroupNorm in this VAE (`resnet_eps=1e-6`, `conv_norm_out` eps 1e-6).
let autoencoderKLNormEps: Float = 1e-6

extension ResnetBlock2D {
    /// The VAE's `ResnetBlock2D`: no time embedding, GroupNorm(norm_num_groups, eps 1e-6) twice,
    /// `act_fn`, a 1×1 shortcut when the width changes, output scale 1.
    init(_ source: some WeightSource, inChannels: Int, outChannels: Int, config: AutoencoderKLConfig) throws {
        try self.init(source, inChannels: inChannels, outChannels: outChannels, tembChannels: nil,
                      groups: config.normNumGroups, eps: autoencoderKLNormEps, activation: config.activation)
    }
}

extension GroupNorm {
    /// torch.nn.GroupNorm(groups, C, eps 1e-6, affine), the VAE's only norm.
    init(_ source: some WeightSource, channels: Int, groups: Int) throws {
        try self.init(source, channels: channels, groups: groups, eps: autoencoderKLNormEps)
    }
}

/// The mid block's `Attention`: group norm, then single-head self-attention over the H·W
/// positions of each image (width C, scale 1/√C), `to_out.0`, plus the input.
struct KLMidAttention: Sendable {
    let groupNorm: GroupNorm
    let toQ: Linear
    let toK: Linear
    let toV: Linear
    let toOut: Linear
    let channels: Int

    init(_ source: some WeightSource, channels C: Int, groups: Int) throws {
        groupNorm = try GroupNorm(source.scoped("group_norm."), channels: C, groups: groups)
        toQ = try Linear(source.scoped("to_q."), inFeatures: C, outFeatures: C)
        toK = try Linear(source.scoped("to_k."), inFeatures: C, outFeatures: C)
        toV = try Linear(source.scoped("to_v."), inFeatures: C, outFeatures: C)
        toOut = try Linear(source.scoped("to_out.0."), inFeatures: C, outFeatures: C)
        channels = C
    }

    /// x: [N, C, H, W] -> [N, C, H, W]
    func callAsFunction(_ x: Tensor) throws(TensorShapeError) -> Tensor {
        let N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
        let tokens = groupNorm(x)
            .reshaped([N, C, H * W])
            .transposed(1, 2)                                              // [N, HW, C]
        let q = toQ(tokens).reshaped([N, H * W, 1, C])
        let k = toK(tokens).reshaped([N, H * W, 1, C])
        let v = toV(tokens).reshaped([N, H * W, 1, C])
        let o = scaledDotProductAttention(q, k, v, layout: .batchSequenceHead)  // [N, HW, 1, C]
        var out = toOut(o.reshaped([N, H * W, C]))                         // [N, HW, C]
            .transposed(1, 2)
            .reshaped([N, C, H, W])
        // residual_connection=True; rescale_output_factor is 1, so the division is the identity.
        try out += x
        return out
    }
}

/// `UNetMidBlock2D` (one layer): resnet → attention (when `mid_block_add_attention`) → resnet.
struct KLMidBlock: Sendable {
    let resnet0: ResnetBlock2D
    let attention: KLMidAttention?
    let resnet1: ResnetBlock2D

    init(_ source: some WeightSource, channels: Int, config: AutoencoderKLConfig) throws {
        resnet0 = try ResnetBlock2D(source.scoped("resnets.0."), inChannels: channels, outChannels: channels, config: config)
        attention = config.midBlockAddAttention
            ? try KLMidAttention(source.scoped("attentions.0."), channels: channels, groups: config.normNumGroups)
            : nil
        resnet1 = try ResnetBlock2D(source.scoped("resnets.1."), inChannels: channels, outChannels: channels, config: config)
    }

    /// x: [N, C, H, W] -> [N, C, H, W]
    func callAsFunction(_ x: Tensor) throws(TensorShapeError) -> Tensor {
        var h = try resnet0(x)
        if let attention { h = try attention(h) }
        return try resnet1(h)
    }
}

/// `DownEncoderBlock2D`: `layers_per_block` resnets, then (except on the last level)
/// `Downsample2D(padding=0)`: zero-pad right and bottom by one, 3×3 conv with stride 2.
struct KLDownEncoderBlock: Sendable {
    let resnets: [ResnetBlock2D]
    let downsampler: Conv2d?

    init(_ source: some WeightSource, inChannels: Int, outChannels: Int, addDownsample: Bool,
         config: AutoencoderKLConfig) throws {
        resnets = try (0..<config.layersPerBlock).map { i in
            try ResnetBlock2D(source.scoped("resnets.\(i)."), inChannels: i == 0 ? inChannels : outChannels,
                                outChannels: outChannels, config: config)
        }
        // F.pad(x, (0, 1, 0, 1)) then Conv2d(k3, s2, p0) is one conv with per-side padding.
        downsampler = addDownsample
            ? try Conv2d(source.scoped("downsamplers.0.conv."), inChannels: outChannels, outChannels: outChannels,
                           kernel: 3, stride: 2, padding: Padding2D(top: 0, bottom: 1, left: 0, right: 1))
            : nil
    }

    /// x: [N, Cin, H, W] -> [N, Cout, ⌈H/2⌉, ⌈W/2⌉] (or [N, Cout, H, W] on the last level)
    func callAsFunction(_ x: Tensor) throws(TensorShapeError) -> Tensor {
        var h = x
        for resnet in resnets { h = try resnet(h) }
        return downsampler.map { $0(h) } ?? h
    }
}

/// `UpDecoderBlock2D`: `layers_per_block + 1` resnets, then (except on the last level)
/// `Upsample2D`: nearest ×2, 3×3 conv.
struct KLUpDecoderBlock: Sendable {
    let resnets: [ResnetBlock2D]
    let upsampler: Conv2d?

    init(_ source: some WeightSource, inChannels: Int, outChannels: Int, addUpsample: Bool,
         config: AutoencoderKLConfig) throws {
        resnets = try (0...config.layersPerBlock).map { i in
            try ResnetBlock2D(source.scoped("resnets.\(i)."), inChannels: i == 0 ? inChannels : outChannels,
                                outChannels: outChannels, config: config)
        }
        upsampler = addUpsample
            ? try Conv2d(source.scoped("upsamplers.0.conv."), inChannels: outChannels, outChannels: outChannels,
                           kernel: 3, padding: .uniform(1))
            : nil
    }

    /// x: [N, Cin, H, W] -> [N, Cout, 2H, 2W] (or [N, Cout, H, W] on the last level)
    func callAsFunction(_ x: Tensor) throws(TensorShapeError) -> Tensor {
        var h = x
        for resnet in resnets { h = try resnet(h) }
        guard let upsampler else { return h }
        return upsampler(h.upsampledNearest(scales: [2, 2]))
    }
}

/// vae.py `Encoder` with `double_z=True`: conv_in → down blocks → mid block → GroupNorm → SiLU
/// → conv_out (→ 2·latent channels).
struct KLEncoder: Sendable {
    let convIn: Conv2d
    let downBlocks: [KLDownEncoderBlock]
    let midBlock: KLMidBlock
    let convNormOut: GroupNorm
    let convOut: Conv2d

    init(_ source: some WeightSource, config: AutoencoderKLConfig) throws {
        let widths = config.blockOutChannels
        convIn = try Conv2d(source.scoped("conv_in."), inChannels: config.inChannels, outChannels: widths[0],
                              kernel: 3, padding: .uniform(1))
        downBlocks = try widths.indices.map { i in
            try KLDownEncoderBlock(source.scoped("down_blocks.\(i)."), inChannels: i == 0 ? widths[0] : widths[i - 1],
                                   outChannels: widths[i], addDownsample: i < widths.count - 1, config: config)
        }
        let last = widths[widths.count - 1]
        midBlock = try KLMidBlock(source.scoped("mid_block."), channels: last, config: config)
        convNormOut = try GroupNorm(source.scoped("conv_norm_out."), channels: last, groups: config.normNumGroups)
        convOut = try Conv2d(source.scoped("conv_out."), inChannels: last, outChannels: 2 * config.latentChannels,
                               kernel: 3, padding: .uniform(1))
    }

    /// images: [N, in, H, W] -> moments [N, 2z, H/s, W/s] (sides rounded up at each level)
    func callAsFunction(_ images: Tensor) throws(TensorShapeError) -> Tensor {
        var h = convIn(images)
        for block in downBlocks { h = try block(h) }
        h = try midBlock(h)
        h = convNormOut(h)
        h.activateInPlace(.silu)                                           // conv_act is nn.SiLU()
        return convOut(h)
    }
}

/// vae.py `Decoder` (norm_type "group"): conv_in → mid block → up blocks → GroupNorm → SiLU → conv_out.
struct KLDecoder: Sendable {
    let convIn: Conv2d
    let midBlock: KLMidBlock
    let upBlocks: [KLUpDecoderBlock]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    init(_ source: some WeightSource, config: AutoencoderKLConfig) throws {
        let reversed = Array(config.blockOutChannels.reversed())
        convIn = try Conv2d(source.scoped("conv_in."), inChannels: config.latentChannels, outChannels: reversed[0],
                              kernel: 3, padding: .uniform(1))
        midBlock = try KLMidBlock(source.scoped("mid_block."), channels: reversed[0], config: config)
        upBlocks = try reversed.indices.map { i in
            try KLUpDecoderBlock(source.scoped("up_blocks.\(i)."), inChannels: i == 0 ? reversed[0] : reversed[i - 1],
                                 outChannels: reversed[i], addUpsample: i < reversed.count - 1, config: config)
        }
        let first = config.blockOutChannels[0]
        convNormOut = try GroupNorm(source.scoped("conv_norm_out."), channels: first, groups: config.normNumGroups)
        convOut = try Conv2d(source.scoped("conv_out."), inChannels: first, outChannels: config.outChannels,
                               kernel: 3, padding: .uniform(1))
    }

    /// latents: [N, z, h, w] -> images [N, out, h·s, w·s]
    func callAsFunction(_ latents: Tensor) throws(TensorShapeError) -> Tensor {
        var h = convIn(latents)
        h = try midBlock(h)
        for block in upBlocks { h = try block(h) }
        h = convNormOut(h)
        h.activateInPlace(.silu)
        return convOut(h)
    }
}
