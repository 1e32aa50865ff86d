// Typed errors of the AutoencoderKLWan port (diffusers 0.42.1, autoencoder_kl_wan.py).
import Foundation

/// A `config.json` value the Wan VAE cannot use. Names the key and the value found.
public enum WanVAEConfigError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A valid diffusers setting this port does not implement (encoder attention, more than
    /// two temporal downsamplings).
    case unsupported(key: String, value: String, reason: String)
    /// A value that cannot describe a Wan VAE, or contradicts another key.
    case invalid(key: String, value: String, reason: String)

    /// The config key at fault.
    public var key: String {
        switch self {
        case let .unsupported(key, _, _), let .invalid(key, _, _): return key
        }
    }

    public var description: String {
        switch self {
        case let .unsupported(key, value, reason):
            return "AutoencoderKLWan config: unsupported '\(key)' = \(value): \(reason)"
        case let .invalid(key, value, reason):
            return "AutoencoderKLWan config: invalid '\(key)' = \(value): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// An input the Wan VAE cannot encode or decode.
public enum WanVAEInputError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The tensor is not `[B, channels, F, H, W]` with the expected channel count.
    case badShape(what: String, shape: [Int], expected: String)
    /// A video's frame count is not `1 + 4k`; `valid` lists the nearest valid counts.
    case invalidFrameCount(frames: Int, valid: [Int])

    public var description: String {
        switch self {
        case let .badShape(what, shape, expected):
            return "AutoencoderKLWan: \(what) has shape \(shape), expected \(expected)"
        case let .invalidFrameCount(frames, valid):
            return "AutoencoderKLWan encode: \(frames) frames is not 1 + 4k; valid counts are 1, 5, 9, 13, …"
                + " (nearest: \(valid.map(String.init).joined(separator: " or ")))"
        }
    }

    public var errorDescription: String? { description }
}
