// Errors of the Wan transformer port (diffusers 0.42.1 transformer_wan.py).
import Foundation

/// A config this port cannot run, or inputs the transformer cannot take.
public enum WanTransformerError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// `config.json` key `key` has `value`, which is not supported (see `reason`).
    case unsupportedConfig(key: String, value: String, reason: String)
    /// `hidden_states` is not `[B, in_channels, F, H, W]`.
    case hiddenStatesShape(shape: [Int], inChannels: Int)
    /// A latent axis (`"frames"`, `"height"`, `"width"`) is not a multiple of its patch size.
    case notDivisibleByPatch(axis: String, size: Int, patch: Int)
    /// The patch grid has more positions on an axis than the rotary table (`rope_max_seq_len`).
    case gridTooLarge(axis: String, positions: Int, ropeMaxSequenceLength: Int)
    /// `encoder_hidden_states` is not `[B, L, text_dim]` with the latents' batch size.
    case textShape(shape: [Int], batch: Int, textDim: Int)
    /// There must be one timestep per batch item.
    case timestepCount(count: Int, batch: Int)
    /// Per-token timesteps need one row (or one for all) of `tokens` values per batch item;
    /// `rowLengths` are the lengths given.
    case tokenTimestepShape(rowLengths: [Int], batch: Int, tokens: Int)

    public var description: String {
        switch self {
        case let .unsupportedConfig(key, value, reason):
            return "WanTransformer3DModel config key '\(key)' = \(value) is not supported: \(reason)"
        case let .hiddenStatesShape(shape, inChannels):
            return "WanTransformer3DModel: hidden states \(shape) must be [B, \(inChannels), F, H, W]"
        case let .notDivisibleByPatch(axis, size, patch):
            return "WanTransformer3DModel: latent \(axis) \(size) is not a multiple of the patch size \(patch)"
        case let .gridTooLarge(axis, positions, limit):
            return "WanTransformer3DModel: \(positions) patch \(axis) exceed rope_max_seq_len \(limit)"
        case let .textShape(shape, batch, textDim):
            return "WanTransformer3DModel: encoder hidden states \(shape) must be [\(batch), L, \(textDim)] (text_dim)"
        case let .timestepCount(count, batch):
            return "WanTransformer3DModel: \(count) timesteps given for a batch of \(batch); pass one per item"
        case let .tokenTimestepShape(rowLengths, batch, tokens):
            let given = rowLengths.count <= 4 ? "\(rowLengths)" : "\(rowLengths.prefix(4))…"
            return "WanTransformer3DModel: per-token timesteps with \(rowLengths.count) rows of lengths \(given)"
                + " for a batch of \(batch); pass \(batch) (or 1) rows of \(tokens) values (F/pt · H/ph · W/pw tokens)"
        }
    }

    public var errorDescription: String? { description }
}
