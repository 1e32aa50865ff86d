import CPNGShim
import Foundation

/// A PNG read back: the picture as 8-bit RGB and every text chunk in file order.
public struct DecodedPNG: Sendable, Equatable {
    public var image: RGBImage
    public var texts: [PNGText]
}

/// PNG reading and writing through libpng (all libpng calls live in the C target CPNGShim).
public enum PNG {
    /// Encodes `image` as an 8-bit RGB PNG with the text chunks before the image data.
    /// `compressionLevel` is zlib's 0 (none) … 9 (smallest); 6 is zlib's default.
    public static func encode(_ image: RGBImage, texts: [PNGText] = [], compressionLevel: Int = 6) throws -> Data {
        guard (0...9).contains(compressionLevel) else {
            throw MediaError.invalidArgument(name: "PNG compression level", value: "\(compressionLevel)", valid: "0…9")
        }
        guard image.width <= Int(UInt32.max / 4), image.height <= Int(UInt32.max / 4) else {
            throw MediaError.imageTooLarge(format: "PNG", width: image.width, height: image.height,
                                           limit: Int(UInt32.max / 4))
        }
        // Keep every keyword/text as a NUL-terminated C buffer alive for the C call.
        let prepared: [(keyword: [CChar], text: [CChar], length: Int, utf8: Bool)] = try texts.map { t in
            let keyword = try t.keywordBytes().map { CChar(bitPattern: $0) } + [0]
            let (bytes, utf8) = t.textBytes()
            return (keyword, bytes.map { CChar(bitPattern: $0) } + [0], bytes.count, utf8)
        }
        return try withCTexts(prepared) { cTexts in
            var out: UnsafeMutablePointer<UInt8>?
            var length = 0
            var err = [CChar](repeating: 0, count: 512)
            let code = image.pixels.withUnsafeBufferPointer { rgb in
                cTexts.withUnsafeBufferPointer { textBuffer in
                    zp_png_encode_rgb8(rgb.baseAddress, UInt32(image.width), UInt32(image.height),
                                       textBuffer.baseAddress, Int32(textBuffer.count), Int32(compressionLevel),
                                       &out, &length, &err, err.count)
                }
            }
            guard code == ZP_PNG_OK, let out else {
                throw MediaError.encodingFailed(format: "PNG", reason: message(err))
            }
            defer { zp_free(out) }
            return Data(bytes: out, count: length)
        }
    }

    /// Encodes and writes a PNG atomically (temporary file in the same folder, then rename).
    public static func write(_ image: RGBImage, to url: URL, texts: [PNGText] = [], compressionLevel: Int = 6) throws {
        let data = try encode(image, texts: texts, compressionLevel: compressionLevel)
        try AtomicFile.write(data, to: url)
    }

    /// Decodes PNG data; `source` names it in errors (a path, or `<memory>`).
    public static func decode(_ data: Data, source: String = "<memory>") throws -> DecodedPNG {
        var decoded = zp_png_decoded()
        var err = [CChar](repeating: 0, count: 512)
        let code = data.withUnsafeBytes { raw in
            zp_png_decode_rgb8(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &decoded, &err, err.count)
        }
        defer { zp_png_decoded_free(&decoded) }
        let reason = message(err)
        switch code {
        case ZP_PNG_OK: break
        case ZP_PNG_NOT_PNG: throw MediaError.notPNG(path: source)
        case ZP_PNG_TRUNCATED: throw MediaError.truncatedPNG(path: source, reason: reason)
        default: throw MediaError.corruptPNG(path: source, reason: reason)
        }
        let width = Int(decoded.width), height = Int(decoded.height)
        let pixels = [UInt8](UnsafeBufferPointer(start: decoded.rgb, count: width * height * 3))
        var texts: [PNGText] = []
        for i in 0..<Int(decoded.text_count) {
            let t = decoded.texts[i]
            let keyword = PNGText.decodeText(bytes(of: t.keyword), isUTF8: false)
            let text = PNGText.decodeText(bytes(of: t.text), isUTF8: t.is_utf8 != 0)
            texts.append(PNGText(keyword: keyword, text: text))
        }
        return DecodedPNG(image: RGBImage(uncheckedWidth: width, height: height, pixels: pixels), texts: texts)
    }

    /// Reads and decodes a PNG file.
    public static func read(contentsOf url: URL) throws -> DecodedPNG {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MediaError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try decode(data, source: url.path)
    }

    /// A NUL-terminated C message buffer as a String.
    static func message(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func bytes(of cString: UnsafeMutablePointer<CChar>?) -> UnsafeBufferPointer<UInt8> {
        guard let cString else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: UnsafeRawPointer(cString).assumingMemoryBound(to: UInt8.self),
                                   count: strlen(cString))
    }

    /// Builds the C text descriptors with pointers valid for the duration of `body`.
    private static func withCTexts<R>(_ prepared: [(keyword: [CChar], text: [CChar], length: Int, utf8: Bool)],
                                      _ body: ([zp_png_text_in]) throws -> R) throws -> R {
        // Copy into stable heap buffers so the pointers outlive the closure nesting.
        var owned: [UnsafeMutableBufferPointer<CChar>] = []
        defer { owned.forEach { $0.deallocate() } }
        func stable(_ chars: [CChar]) -> UnsafePointer<CChar> {
            let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: chars.count)
            _ = buffer.initialize(from: chars)
            owned.append(buffer)
            return UnsafePointer(buffer.baseAddress!)
        }
        let cTexts = prepared.map { p in
            zp_png_text_in(keyword: stable(p.keyword), text: stable(p.text), text_length: p.length,
                           is_utf8: p.utf8 ? 1 : 0)
        }
        return try body(cTexts)
    }
}
