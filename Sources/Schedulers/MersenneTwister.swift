// MT19937 as used by PyTorch's CPU generator (ATen/core/MT19937RNGEngine.h, torch 2.15.0):
// the reference 32-bit Mersenne Twister with Knuth's seeding from the low 32 bits of the seed.

/// The 32-bit Mersenne Twister (MT19937) with PyTorch's seeding.
///
/// `torch.Generator("cpu").manual_seed(s)` seeds this engine with `UInt32(truncatingIfNeeded: s)`:
/// seeds that differ only above bit 31 give the same stream (verified against torch).
public struct MersenneTwister: Sendable, Equatable {
    private static let n = 624
    private static let m = 397

    private var state: [UInt32]
    private var index: Int

    /// Seeds the engine; only the low 32 bits of `seed` are used, as in torch.
    public init(seed: UInt64) {
        var state = [UInt32](repeating: 0, count: Self.n)
        state[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<Self.n {
            let previous = state[i - 1]
            state[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        self.state = state
        self.index = Self.n
    }

    /// The next 32 random bits.
    public mutating func next32() -> UInt32 {
        if index >= Self.n { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// 64 random bits as torch's `random64()`: the first 32-bit draw is the high half.
    public mutating func next64() -> UInt64 {
        let high = UInt64(next32())
        let low = UInt64(next32())
        return (high << 32) | low
    }

    private mutating func twist() {
        state.withUnsafeMutableBufferPointer { s in
            for i in 0..<Self.n {
                let y = (s[i] & 0x8000_0000) | (s[(i + 1) % Self.n] & 0x7FFF_FFFF)
                var v = y >> 1
                if y & 1 != 0 { v ^= 0x9908_B0DF }
                s[i] = s[(i + Self.m) % Self.n] ^ v
            }
        }
        index = 0
    }
}
