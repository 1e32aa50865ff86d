// Padding descriptions for conv2d / conv3d (PyTorch's Conv padding, F.pad and the causal
// time padding of the video VAEs).

/// Zero padding of the two spatial dimensions, per side (may be asymmetric).
///
/// PyTorch's `Conv2d(padding=(h, w))` is `Padding2D(h, w)`; `nn.ZeroPad2d((left, right,
/// top, bottom))` followed by an unpadded conv is `Padding2D(top:bottom:left:right:)`.
public struct Padding2D: Sendable, Equatable, CustomStringConvertible {
    public var top: Int
    public var bottom: Int
    public var left: Int
    public var right: Int

    /// Per-side padding.
    public init(top: Int, bottom: Int, left: Int, right: Int) {
        precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0,
                     "Padding2D: negative padding top \(top) bottom \(bottom) left \(left) right \(right)")
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
    }

    /// Symmetric padding: `height` rows above and below, `width` columns left and right.
    public init(_ height: Int, _ width: Int) {
        self.init(top: height, bottom: height, left: width, right: width)
    }

    /// The same padding on all four sides.
    public static func uniform(_ amount: Int) -> Padding2D { Padding2D(amount, amount) }

    /// No padding.
    public static let zero = Padding2D(0, 0)

    public var description: String { "(top \(top), bottom \(bottom), left \(left), right \(right))" }
}

/// How padded frames in the time dimension are filled.
public enum TemporalPadMode: Sendable, Equatable {
    /// Padded frames are zero (PyTorch zero padding; the Wan VAE's causal conv).
    case zeros
    /// Frames before the start repeat the first frame and frames after the end repeat the
    /// last frame (CogVideoX's causal conv, `pad_mode="first"` path).
    case replicate
}

/// Padding of the time dimension of a conv3d: frames before the first frame, frames after
/// the last, and how they are filled.
public struct TemporalPadding: Sendable, Equatable, CustomStringConvertible {
    /// Frames added before the first frame.
    public var before: Int
    /// Frames added after the last frame.
    public var after: Int
    /// How the added frames are filled.
    public var mode: TemporalPadMode

    public init(before: Int, after: Int, mode: TemporalPadMode = .zeros) {
        precondition(before >= 0 && after >= 0,
                     "TemporalPadding: negative padding before \(before) after \(after)")
        self.before = before
        self.after = after
        self.mode = mode
    }

    /// `amount` zero frames on both sides (PyTorch `Conv3d(padding=(amount, ·, ·))`).
    public static func symmetric(_ amount: Int) -> TemporalPadding {
        TemporalPadding(before: amount, after: amount, mode: .zeros)
    }

    /// Causal padding: `frames` frames before the first frame only, nothing after.
    /// The Wan VAE uses `.causal(2, .zeros)`, CogVideoX `.causal(2, .replicate)`.
    public static func causal(_ frames: Int, _ mode: TemporalPadMode = .zeros) -> TemporalPadding {
        TemporalPadding(before: frames, after: 0, mode: mode)
    }

    /// No time padding.
    public static let none = TemporalPadding(before: 0, after: 0)

    public var description: String { "(before \(before), after \(after), \(mode))" }
}
