import Foundation

/// Encodes pictures for the kitty graphics protocol: raw RGB (`f=24`), base64 in chunks of at
/// most 4096 bytes, `m=1` on every chunk but the last. One image id is reused so a new preview
/// replaces the old; `q=2` silences replies, `C=1` keeps the cursor still.
public enum KittyEncoder {
    public static let chunkSize = 4096

    /// Transmits and shows `image` scaled to `columns` × `rows` cells at the cursor.
    public static func encode(_ image: PixelImage, id: Int, columns: Int, rows: Int) -> [UInt8] {
        let payload = Array(Data(image.rgb).base64EncodedString().utf8)
        var out: [UInt8] = []
        var offset = 0
        var first = true
        repeat {
            let end = min(payload.count, offset + chunkSize)
            let more = end < payload.count ? 1 : 0
            let keys = first
                ? "a=T,f=24,s=\(image.width),v=\(image.height),i=\(id),c=\(columns),r=\(rows),q=2,C=1,m=\(more)"
                : "m=\(more)"
            out += Array("\u{1B}_G\(keys);".utf8)
            out += payload[offset..<end]
            out += [0x1B, UInt8(ascii: "\\")]
            offset = end
            first = false
        } while offset < payload.count
        return out
    }

    /// Deletes image `id` and its placements.
    public static func delete(id: Int) -> [UInt8] {
        Array("\u{1B}_Ga=d,d=I,i=\(id),q=2\u{1B}\\".utf8)
    }
}
