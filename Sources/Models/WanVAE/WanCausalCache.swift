// The feature cache of diffusers `AutoencoderKLWan` (autoencoder_kl_wan.py, diffusers 0.42.1:
// `feat_cache` / `feat_idx`, CACHE_T = 2), as an explicit value owned by one encode or
// decode call instead of state stored in the model.
import TensorCore

/// What one cache site remembers between chunks.
enum WanCacheEntry: Sendable {
    /// Frames that came before the next chunk (the last ≤ 2 input frames of a causal conv,
    /// or the last output frame of a temporal downsampler).
    case frames(Tensor)
    /// An `upsample3d` saw the first chunk, which skips its time conv (diffusers' `"Rep"`).
    case skippedFirstChunk
}

/// The causal state of one encode or decode call.
///
/// Every cache site (each causal conv with a time kernel of 3, each temporal resampler)
/// takes the next slot in call order; `beginChunk()` rewinds to the first slot, so the
/// same site gets the same slot on every chunk. A fresh value means "no frames seen yet".
struct WanCausalCache: Sendable {
    /// Frames a causal conv keeps for the next chunk (diffusers' `CACHE_T`).
    static let frameCount = 2

    private var slots: [WanCacheEntry?] = []
    private var cursor = 0

    init() {}

    /// Starts the next chunk: sites are visited again from the first.
    mutating func beginChunk() { cursor = 0 }

    /// The next site's slot index (created empty on the first chunk).
    mutating func nextSlot() -> Int {
        if cursor == slots.count { slots.append(nil) }
        defer { cursor += 1 }
        return cursor
    }

    subscript(slot: Int) -> WanCacheEntry? {
        get { slots[slot] }
        set { slots[slot] = newValue }
    }

    /// The cached frames of `slot`, if it holds frames.
    func frames(_ slot: Int) -> Tensor? {
        if case let .frames(t)? = slots[slot] { return t }
        return nil
    }
}
