// PyTorch's CPU generator (aten/src/ATen/CPUGeneratorImpl.cpp) and the float32 `randn` / `rand`
// paths of torch 2.15.0 (aten/src/ATen/native/cpu/DistributionTemplates.h `normal_kernel`,
// aten/src/ATen/core/DistributionsHelper.h, aten/src/ATen/core/TransformationHelper.h).
// With one generator, diffusers' `randn_tensor(shape, generator=g, device="cpu",
// dtype=torch.float32)` is exactly `torch.randn(shape, generator=g)`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// A seeded random generator that reproduces `torch.Generator("cpu").manual_seed(seed)` and
/// float32 `torch.randn` / `torch.rand` draws from it, bit for bit.
///
/// A value type: the job that owns the latents owns its generator. Two consecutive draws from
/// one generator continue the same stream, as in torch.
///
/// What torch does (each point verified against torch 2.15.0 outputs by the tests):
/// - The engine is MT19937 seeded with the low 32 bits of the seed.
/// - A float uniform is `(next32() & 0xFFFFFF) · 2⁻²⁴`; a double uniform is
///   `(next64() & (2⁵³−1)) · 2⁻⁵³`, with `next64()` = first draw in the high half.
/// - `randn` of n ≥ 16 elements: fill all n with float uniforms, then Box–Muller each whole
///   block of 16 in place (see ``TorchNormalKernel``). If n % 16 ≠ 0, draw 16 *fresh* uniforms
///   into the last 16 slots (overwriting already transformed values) and transform them.
/// - `randn` of n < 16 elements: per element, double Box–Muller from two double uniforms,
///   `r = √(−2·log1p(−u2))`, `θ = 2π·u1`, returning `r·cos θ` and caching `r·sin θ` *in the
///   generator*; the next element (even in a later call) takes the cached value first.
///   `manualSeed` clears the cache; the n ≥ 16 path neither reads nor clears it.
public struct TorchGenerator: Sendable {
    private var engine: MersenneTwister
    private var cachedNormal: Double?
    /// The Box–Muller kernel used for draws of 16 or more elements.
    public var kernel: TorchNormalKernel
    /// The seed last given to ``manualSeed(_:)`` (or the initialiser).
    public private(set) var seed: UInt64

    /// A generator seeded like `torch.Generator("cpu").manual_seed(seed)`.
    public init(seed: UInt64, kernel: TorchNormalKernel = .platformDefault) {
        self.engine = MersenneTwister(seed: seed)
        self.cachedNormal = nil
        self.kernel = kernel
        self.seed = seed
    }

    /// Re-seeds the generator (torch's `manual_seed`), dropping any cached normal.
    public mutating func manualSeed(_ seed: UInt64) {
        engine = MersenneTwister(seed: seed)
        cachedNormal = nil
        self.seed = seed
    }

    /// `torch.randn(shape, generator=self, dtype=torch.float32)` on the CPU.
    public mutating func randn(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        var data = [Float](repeating: 0, count: count)
        if count >= 16 {
            fillNormal(&data)
        } else {
            for i in 0..<count { data[i] = Float(nextDoubleNormal()) }
        }
        return Tensor(shape: shape, data: data)
    }

    /// `torch.rand(shape, generator=self, dtype=torch.float32)` on the CPU: uniforms in [0, 1).
    public mutating func rand(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        var data = [Float](repeating: 0, count: count)
        for i in 0..<count { data[i] = nextFloatUniform() }
        return Tensor(shape: shape, data: data)
    }

    private mutating func nextFloatUniform() -> Float {
        Float(engine.next32() & 0xFF_FFFF) * (1.0 / 16_777_216.0)
    }

    private mutating func nextDoubleUniform() -> Double {
        Double(engine.next64() & ((1 << 53) - 1)) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// One `at::normal_distribution<double>(0, 1)` sample, with the generator's cache.
    private mutating func nextDoubleNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = nextDoubleUniform()
        let u2 = nextDoubleUniform()
        let radius = (-2.0 * log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        cachedNormal = radius * sin(theta)
        return radius * cos(theta)
    }

    /// torch's `normal_fill` (count ≥ 16).
    private mutating func fillNormal(_ data: inout [Float]) {
        let count = data.count
        let kernel = self.kernel
        for i in 0..<count { data[i] = nextFloatUniform() }
        var tail = [Float](repeating: 0, count: 16)
        if count % 16 != 0 {
            // Drawn after all the main uniforms, as torch does after its first pass.
            for i in 0..<16 { tail[i] = nextFloatUniform() }
        }
        data.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var start = 0
            while start + 16 <= count {
                kernel.fill16(base + start)
                start += 16
            }
            if count % 16 != 0 {
                let last = base + (count - 16)
                for i in 0..<16 { last[i] = tail[i] }
                kernel.fill16(last)
            }
        }
    }
}
