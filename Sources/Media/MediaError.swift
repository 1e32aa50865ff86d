import Foundation

/// Everything that can go wrong reading or writing pictures and videos. Each case names the
/// file (or `<memory>` for in-memory data) and, where it helps, what would be valid.
public enum MediaError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The file could not be read at all (missing, a folder, no permission).
    case unreadable(path: String, reason: String)
    /// The file does not start with the PNG signature.
    case notPNG(path: String)
    /// The file ends before the image is complete.
    case truncatedPNG(path: String, reason: String)
    /// libpng rejected the data (bad CRC in a critical chunk, broken deflate stream, ...).
    case corruptPNG(path: String, reason: String)
    /// libpng could not encode the image.
    case encodingFailed(format: String, reason: String)
    /// The file or folder could not be written.
    case unwritable(path: String, reason: String)
    /// A pixel buffer whose length does not match width × height × 3, or a zero/negative size.
    case invalidImage(width: Int, height: Int, byteCount: Int)
    /// A text chunk keyword PNG does not allow.
    case invalidTextKeyword(keyword: String, reason: String)
    /// Frames per second must be finite and positive.
    case invalidFrameRate(Double)
    /// An animation needs at least one frame.
    case noFrames(format: String)
    /// All frames of an animation must have the first frame's size.
    case frameSizeMismatch(index: Int, expected: String, got: String)
    /// The image is larger than the format allows.
    case imageTooLarge(format: String, width: Int, height: Int, limit: Int)
    /// An argument outside its valid range (grid columns, thumbnail size, ...).
    case invalidArgument(name: String, value: String, valid: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "Cannot read \(path): \(reason)."
        case let .notPNG(path):
            return "\(path) is not a PNG file (it does not start with the PNG signature)."
        case let .truncatedPNG(path, reason):
            return "\(path) is a truncated PNG: \(reason)."
        case let .corruptPNG(path, reason):
            return "\(path) is a damaged PNG: \(reason)."
        case let .encodingFailed(format, reason):
            return "Could not encode \(format): \(reason)."
        case let .unwritable(path, reason):
            return "Cannot write \(path): \(reason)."
        case let .invalidImage(width, height, byteCount):
            return "Invalid image \(width)×\(height) with \(byteCount) bytes: width and height must be "
                + "positive and the RGB buffer must hold width × height × 3 = "
                + "\(max(0, width) * max(0, height) * 3) bytes."
        case let .invalidTextKeyword(keyword, reason):
            return "Invalid PNG text keyword \"\(keyword)\": \(reason). A keyword is 1–79 Latin-1 "
                + "printable characters without leading, trailing or double spaces."
        case let .invalidFrameRate(fps):
            return "Invalid frame rate \(fps): frames per second must be a finite number above 0."
        case let .noFrames(format):
            return "Cannot write \(format) without frames: give at least one frame."
        case let .frameSizeMismatch(index, expected, got):
            return "Frame \(index) is \(got) but frame 0 is \(expected): all frames must have the same size."
        case let .imageTooLarge(format, width, height, limit):
            return "\(format) cannot hold a \(width)×\(height) image: each side must be at most \(limit)."
        case let .invalidArgument(name, value, valid):
            return "Invalid \(name) \(value): must be \(valid)."
        }
    }

    public var errorDescription: String? { description }
}
