import Foundation
import CPNGShim
import RegularFiles

/// Reads a PNG's text chunks (tEXt, zTXt, iTXt; PNG spec §11.3.4) without decoding a pixel.
///
/// `PNG.read` decodes the whole image through libpng, so reading settings from a PNG with a
/// huge declared size cost its full decode (issue #19: a 44-byte file peaked at 2.1 GB, a
/// 16,000² bomb at 1.5 GB). This walks the chunk layer only: the image data is never
/// inflated, compressed text is inflated into a bounded buffer, and the file is opened
/// non-blocking and checked to be a regular file of bounded size before it is read.
public enum PNGMetadataReader {
    /// Files larger than this are refused before they are read.
    public static let maxFileBytes = 512 << 20
    /// A compressed text chunk may inflate to at most this many bytes.
    public static let maxTextBytes = 4 << 20

    /// The text chunks of the PNG file at `url`, in file order.
    public static func texts(contentsOf url: URL) throws -> [PNGText] {
        let data: Data
        do {
            data = try RegularFile.contents(of: url, maxSize: maxFileBytes)
        } catch let error as RegularFile.NotRegular {
            throw MediaError.unreadable(path: url.path, reason: error.reason)
        }
        return try texts(in: [UInt8](data), source: url.path)
    }

    /// The text chunks of PNG data; `source` names it in errors; a compressed text may
    /// inflate to at most `textLimit` bytes.
    public static func texts(in bytes: [UInt8], source: String = "<memory>",
                             textLimit: Int = maxTextBytes) throws -> [PNGText] {
        var texts: [PNGText] = []
        for chunk in try PNGChunk.parse(bytes, source: source) {
            switch chunk.type {
            case "tEXt", "zTXt", "iTXt":
                texts.append(try text(of: chunk, source: source, limit: textLimit))
            default:
                continue
            }
        }
        return texts
    }

    /// One text chunk's keyword and text.
    static func text(of chunk: PNGChunk, source: String, limit: Int) throws -> PNGText {
        let data = chunk.data
        func corrupt(_ why: String) -> MediaError {
            MediaError.corruptPNG(path: source, reason: "\(chunk.type) chunk: \(why)")
        }
        guard let keywordEnd = data.firstIndex(of: 0), (1...79).contains(keywordEnd) else {
            throw corrupt("its keyword is not 1–79 bytes ended by a NUL")
        }
        let keyword = PNGText.decodeText(data[0..<keywordEnd], isUTF8: false)
        var rest = keywordEnd + 1
        switch chunk.type {
        case "tEXt":
            return PNGText(keyword: keyword, text: PNGText.decodeText(data[rest...], isUTF8: false))
        case "zTXt":
            guard rest < data.count, data[rest] == 0 else { throw corrupt("unknown compression method") }
            let text = try inflate(data[(rest + 1)...], chunk: chunk, source: source, limit: limit)
            return PNGText(keyword: keyword, text: PNGText.decodeText(text, isUTF8: false))
        default:  // iTXt: flag, method, language NUL, translated keyword NUL, text (UTF-8)
            guard rest + 2 <= data.count else { throw corrupt("cut off after the keyword") }
            let compressed = data[rest] != 0, method = data[rest + 1]
            rest += 2
            for field in ["language tag", "translated keyword"] {
                guard let end = data[rest...].firstIndex(of: 0) else { throw corrupt("its \(field) is not ended by a NUL") }
                rest = end + 1
            }
            guard !compressed || method == 0 else { throw corrupt("unknown compression method \(method)") }
            let text = compressed ? try inflate(data[rest...], chunk: chunk, source: source, limit: limit)
                                  : Array(data[rest...])
            return PNGText(keyword: keyword, text: PNGText.decodeText(text, isUTF8: true))
        }
    }

    /// zlib data inflated into at most `limit` bytes.
    static func inflate(_ compressed: ArraySlice<UInt8>, chunk: PNGChunk, source: String, limit: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(0, limit))
        var written = 0
        var err = [CChar](repeating: 0, count: 256)
        let input = Array(compressed)
        let code = input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                zp_inflate_bounded(src.baseAddress, src.count, dst.baseAddress, dst.count, &written, &err, err.count)
            }
        }
        guard code == ZP_PNG_OK else {
            let reason = code == ZP_PNG_NO_MEMORY ? "its text inflates to more than \(limit) bytes"
                                                  : "its compressed text is corrupt (\(PNG.message(err)))"
            throw MediaError.corruptPNG(path: source, reason: "\(chunk.type) chunk: \(reason)")
        }
        return Array(out[0..<written])
    }
}
