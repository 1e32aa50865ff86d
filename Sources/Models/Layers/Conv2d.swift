// torch.nn.Conv2d and torch.nn.GroupNorm with their weights, as the diffusers UNets and the SD VAE
// hold them (diffusers 0.42.1 models/resnet.py, unets/, autoencoders/vae.py): `prefix.weight` and
// `prefix.bias`, shape-checked on load.
import TensorCore
import WeightsIO

/// A 2-D convolution layer (torch `nn.Conv2d`, groups 1): `weight [O, C, kH, kW]`, `bias [O]`.
public struct Conv2d: Sendable {
    public let weight: Tensor
    public let bias: Tensor?
    /// (height, width).
    public let stride: (Int, Int)
    public let padding: Padding2D

    /// Loads `weight` `[outChannels, inChannels, kernel, kernel]` and, when `bias` is true,
    /// `bias` `[outChannels]`.
    public init(_ source: some WeightSource, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1,
                padding: Padding2D, bias: Bool = true) throws {
        weight = try source.tensor("weight", shape: [outChannels, inChannels, kernel, kernel])
        self.bias = bias ? try source.tensor("bias", shape: [outChannels]) : nil
        self.stride = (stride, stride)
        self.padding = padding
    }

    /// x: [N, C, H, W] -> [N, O, Ho, Wo]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}

/// torch `nn.GroupNorm(groups, C, eps, affine=True)` over `[N, C, *]`: each sample's group of
/// C/G channels is normalised over those channels and every remaining dim (for a 5-D
/// `[B, C, F, H, W]` input that includes time).
public struct GroupNorm: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let groups: Int
    public let eps: Float

    /// Loads `weight` and `bias` `[channels]`.
    public init(_ source: some WeightSource, channels: Int, groups: Int, eps: Float) throws {
        weight = try source.tensor("weight", shape: [channels])
        bias = try source.tensor("bias", shape: [channels])
        self.groups = groups
        self.eps = eps
    }

    /// x: [N, C, *] -> [N, C, *]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: groups, weight: weight, bias: bias, eps: eps)
    }
}
