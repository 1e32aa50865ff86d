// The temporal layers and 3-D blocks of diffusers `UNet3DConditionModel` (diffusers 0.42.1):
// `TemporalConvLayer` (models/resnet.py) and `CrossAttnDownBlock3D` / `DownBlock3D`,
// `UNetMidBlock3DCrossAttn`, `CrossAttnUpBlock3D` / `UpBlock3D` (models/unets/unet_3d_blocks.py).
//
// Layout between blocks is diffusers': frames folded into the batch, `[B·F, C, H, W]` with index
// `b·F + f`. The spatial layers (ResnetBlock2D, Transformer2DModel, Down/Upsample2D of Layers/) act
// on each frame alone; only the two temporal layers mix frames:
//   TemporalConvLayer         [B, C, F, H, W]: x + conv4(conv3(conv2(conv1(x)))), each convN =
//                             Conv3d(k (3,1,1), zero pad (1,0,0)) ∘ SiLU ∘ GroupNorm(groups, eps 1e-5)
//                             — the norm's statistics span all F frames.
//   TransformerTemporalModel  GroupNorm(groups, eps 1e-6) over [B, C, F, H, W] → tokens [B·H·W, F, C]
//                             → proj_in → BasicTransformerBlock (attn1 and attn2 both self-attention
//                             over the F frames of one position, no positional embedding) → proj_out
//                             → [B·F, C, H, W] + x.
// `TransformerTemporalModel` lives in Layers/ (UNetMotionModel's motion modules are the same computation).
// Spatial attention is over the H·W tokens of one frame and temporal attention over the F frames
// of one position, both by TensorCore's tiled SDPA: nothing is O(F²·H²·W²).
import TensorCore
import WeightsIO

/// diffusers `TemporalConvLayer` (`temp_convs.N.`): four GroupNorm → SiLU → temporal-conv stages
/// plus the input. Keys `conv1.0` (norm) / `conv1.2` (Conv3d), `conv2.0` / `conv2.3`, … `conv4.3`.
struct TemporalConvLayer: Sendable {
    struct Stage: Sendable {
        let norm: GroupNorm
        /// `[C, C, 3, 1, 1]`.
        let weight: Tensor
        let bias: Tensor
    }

    let stages: [Stage]

    init(_ source: some WeightSource, channels C: Int, groups: Int) throws {
        stages = try (1...4).map { n in
            // conv1 = Sequential(GroupNorm, SiLU, Conv3d); conv2…4 have a Dropout before the Conv3d.
            let convIndex = n == 1 ? 2 : 3
            let conv = source.scoped("conv\(n).\(convIndex).")
            // nn.GroupNorm's default eps.
            return Stage(norm: try GroupNorm(source.scoped("conv\(n).0."), channels: C, groups: groups, eps: 1e-5),
                         weight: try conv.tensor("weight", shape: [C, C, 3, 1, 1]),
                         bias: try conv.tensor("bias", shape: [C]))
        }
    }

    /// x: [B·F, C, H, W] -> [B·F, C, H, W]
    func callAsFunction(_ x: Tensor, frames F: Int) throws(TensorShapeError) -> Tensor {
        let (BF, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let B = BF / F
        let video = x.reshaped([B, F, C, H, W]).permuted([0, 2, 1, 3, 4])      // -> [B, C, F, H, W]
        var h = video
        for stage in stages {
            h = stage.norm(h)                                                  // statistics over C/G × F × H × W
            h.activateInPlace(.silu)
            h = conv3d(h, weight: stage.weight, bias: stage.bias, temporalPadding: .symmetric(1))
        }
        try h += video
        return h.permuted([0, 2, 1, 3, 4]).reshaped([BF, C, H, W])             // -> [B·F, C, H, W]
    }
}

/// One layer of a 3-D block: resnet → temporal conv, then (cross-attention blocks) spatial
/// transformer → temporal transformer.
struct UNet3DLayer: Sendable {
    let resnet: ResnetBlock2D
    let tempConv: TemporalConvLayer
    /// `attentions.N` and `temp_attentions.N`, present in the cross-attention blocks.
    let attention: Transformer2DModel?
    let tempAttention: TransformerTemporalModel?

    /// Loads `resnets.i`, `temp_convs.i` and, with `heads` (diffusers' `num_attention_heads` of
    /// the block, i.e. the config's `attention_head_dim`), `attentions.i` / `temp_attentions.i`
    /// with C / heads heads of width `heads` (the positional `Transformer2DModel(C // n, n, …)`).
    /// The transformers' index is `attentionIndex` when given (the mid block's `attentions.0` sit
    /// with its `resnets.1`).
    init(_ source: some WeightSource, index i: Int, attentionIndex: Int? = nil, inChannels: Int, outChannels C: Int,
         heads n: Int?, config: UNet3DConditionConfig, outputScaleFactor: Float = 1) throws {
        let a = attentionIndex ?? i
        let groups = config.normNumGroups
        resnet = try ResnetBlock2D(source.scoped("resnets.\(i)."), inChannels: inChannels, outChannels: C,
                                   tembChannels: config.timeEmbedDim, groups: groups, eps: config.normEps,
                                   activation: config.activation, outputScaleFactor: outputScaleFactor)
        tempConv = try TemporalConvLayer(source.scoped("temp_convs.\(i)."), channels: C, groups: groups)
        if let n {
            attention = try Transformer2DModel(source.scoped("attentions.\(a)."), numAttentionHeads: C / n,
                                               attentionHeadDim: n, inChannels: C,
                                               crossAttentionDim: config.crossAttentionDim, normNumGroups: groups,
                                               useLinearProjection: true)
            tempAttention = try TransformerTemporalModel(source.scoped("temp_attentions.\(a)."), heads: C / n, headDim: n,
                                                         channels: C, groups: groups)
        } else {
            attention = nil
            tempAttention = nil
        }
    }

    /// x: [B·F, Cin, H, W], temb: [B·F, temb], text: [B·F, L, D] -> [B·F, C, H, W]
    func callAsFunction(_ x: Tensor, temb: Tensor, text: Tensor, frames: Int) throws(TensorShapeError) -> Tensor {
        var h = try resnet(x, temb: temb)
        h = try tempConv(h, frames: frames)
        if let attention, let tempAttention {
            h = try attention(h, encoderHiddenStates: text)
            h = try tempAttention(h, frames: frames)
        }
        return h
    }
}

/// `CrossAttnDownBlock3D` / `DownBlock3D` (`down_blocks.N.`): `layers_per_block` layers, then a
/// stride-2 `Downsample2D` except on the last level. Every layer's output and the downsampler's
/// are skip connections for the up blocks.
struct UNet3DDownBlock: Sendable {
    let layers: [UNet3DLayer]
    let downsampler: Downsample2D?

    init(_ source: some WeightSource, type: UNet3DDownBlockType, inChannels: Int, outChannels: Int, heads: Int,
         addDownsample: Bool, config: UNet3DConditionConfig) throws {
        layers = try (0..<config.layersPerBlock).map { i in
            try UNet3DLayer(source, index: i, inChannels: i == 0 ? inChannels : outChannels, outChannels: outChannels,
                            heads: type.hasCrossAttention ? heads : nil, config: config)
        }
        downsampler = addDownsample
            ? try Downsample2D(source.scoped("downsamplers.0."), channels: outChannels, padding: config.downsamplePadding)
            : nil
    }

    /// x: [B·F, Cin, H, W] -> [B·F, C, H', W'] (H' = ⌈H / 2⌉ with padding 1); appends the skips.
    func callAsFunction(_ x: Tensor, temb: Tensor, text: Tensor, frames: Int,
                        skips: inout [Tensor]) throws(TensorShapeError) -> Tensor {
        var h = x
        for layer in layers {
            h = try layer(h, temb: temb, text: text, frames: frames)
            skips.append(h)
        }
        if let downsampler {
            h = downsampler(h)
            skips.append(h)
        }
        return h
    }
}

/// `UNetMidBlock3DCrossAttn` (`mid_block.`): resnet → temporal conv → spatial transformer →
/// temporal transformer → resnet → temporal conv (`resnets.{0,1}`, `temp_convs.{0,1}`,
/// `attentions.0`, `temp_attentions.0`).
struct UNet3DMidBlock: Sendable {
    let resnet0: ResnetBlock2D
    let tempConv0: TemporalConvLayer
    /// The second resnet and temporal conv with the transformers before them.
    let layer: UNet3DLayer

    init(_ source: some WeightSource, channels C: Int, heads n: Int, config: UNet3DConditionConfig) throws {
        let groups = config.normNumGroups
        resnet0 = try ResnetBlock2D(source.scoped("resnets.0."), inChannels: C, tembChannels: config.timeEmbedDim,
                                    groups: groups, eps: config.normEps, activation: config.activation,
                                    outputScaleFactor: config.midBlockScaleFactor)
        tempConv0 = try TemporalConvLayer(source.scoped("temp_convs.0."), channels: C, groups: groups)
        // Layer 1 reads resnets.1 / temp_convs.1; its transformers are attentions.0 / temp_attentions.0.
        layer = try UNet3DLayer(source, index: 1, attentionIndex: 0, inChannels: C, outChannels: C, heads: n,
                                config: config, outputScaleFactor: config.midBlockScaleFactor)
    }

    /// x: [B·F, C, h, w] -> [B·F, C, h, w]
    func callAsFunction(_ x: Tensor, temb: Tensor, text: Tensor, frames: Int) throws(TensorShapeError) -> Tensor {
        var h = try resnet0(x, temb: temb)
        h = try tempConv0(h, frames: frames)
        // diffusers' order: attn → temp_attn → resnet → temp_conv.
        if let attention = layer.attention, let tempAttention = layer.tempAttention {
            h = try attention(h, encoderHiddenStates: text)
            h = try tempAttention(h, frames: frames)
        }
        h = try layer.resnet(h, temb: temb)
        return try layer.tempConv(h, frames: frames)
    }
}

/// `CrossAttnUpBlock3D` / `UpBlock3D` (`up_blocks.N.`): `layers_per_block + 1` layers, each on the
/// concatenation of the running features and one skip (popped last-first), then a nearest
/// `Upsample2D` except on the last level.
struct UNet3DUpBlock: Sendable {
    let layers: [UNet3DLayer]
    let upsampler: Upsample2D?

    /// `inChannels` is the width of the skips from the matching down level's input, `prevOutput`
    /// the width of the features coming from below (diffusers' `prev_output_channel`).
    init(_ source: some WeightSource, type: UNet3DUpBlockType, inChannels: Int, prevOutputChannels: Int,
         outChannels: Int, heads: Int, addUpsample: Bool, config: UNet3DConditionConfig) throws {
        let count = config.layersPerBlock + 1
        layers = try (0..<count).map { i in
            let skipChannels = i == count - 1 ? inChannels : outChannels
            let resnetIn = i == 0 ? prevOutputChannels : outChannels
            return try UNet3DLayer(source, index: i, inChannels: resnetIn + skipChannels, outChannels: outChannels,
                                   heads: type.hasCrossAttention ? heads : nil, config: config)
        }
        upsampler = addUpsample ? try Upsample2D(source.scoped("upsamplers.0."), channels: outChannels) : nil
    }

    /// x: [B·F, Cprev, h, w] -> [B·F, C, H, W]: pops `layers.count` skips; the upsampler's output
    /// takes the spatial size of the next skip still on the stack (diffusers' `upsample_size`,
    /// which equals ×2 whenever the latent sides are multiples of 2^levels).
    func callAsFunction(_ x: Tensor, temb: Tensor, text: Tensor, frames: Int,
                        skips: inout [Tensor]) throws(TensorShapeError) -> Tensor {
        var h = x
        for layer in layers {
            guard let skip = skips.popLast() else {
                throw TensorShapeError(operation: "UNet3D up block", shapes: [h.shape],
                                       expected: "a skip connection for every up-block layer")
            }
            h = Tensor.concatenate([h, skip], axis: 1)                        // -> [B·F, C + C_skip, h, w]
            h = try layer(h, temb: temb, text: text, frames: frames)
        }
        if let upsampler {
            let size = skips.last.map { (height: $0.shape[2], width: $0.shape[3]) }
            h = upsampler(h, outputSize: size)
        }
        return h
    }
}
