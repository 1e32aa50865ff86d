/// GIF's variable-length LZW compression (GIF89a spec, Appendix F).
///
/// Codes start at `minCodeSize + 1` bits and grow to 12; `clear = 1 << minCodeSize` resets the
/// table, `clear + 1` ends the stream. Bits are packed least-significant first. When the table
/// is full (4096 codes) a clear code is written and the table starts again.
///
/// The string table is a hash from (prefix code, next byte) to code, open addressing with
/// 8192 slots (twice the 4096 codes, so probes stay short); clearing it costs 8192 stores.
enum GIFLZW {
    static func encode(_ indices: [UInt8], minCodeSize: Int) -> [UInt8] {
        precondition((2...8).contains(minCodeSize), "GIF LZW minimum code size must be 2…8")
        let clear = 1 << minCodeSize
        let end = clear + 1
        var writer = BitWriter()
        var codeSize = minCodeSize + 1
        var nextCode = end + 1

        let slots = 8192
        var keys = [Int32](repeating: -1, count: slots)   // (prefix << 8 | byte), -1 = empty
        var values = [UInt16](repeating: 0, count: slots)

        writer.write(clear, bits: codeSize)
        guard var prefix = indices.first.map(Int.init) else {
            writer.write(end, bits: codeSize)
            return writer.finish()
        }
        for index in indices.dropFirst() {
            let byte = Int(index)
            let key = Int32(prefix << 8 | byte)
            var slot = (prefix << 5 ^ byte &* 0x9E37) & (slots - 1)
            var found = -1
            while keys[slot] != -1 {
                if keys[slot] == key {
                    found = Int(values[slot])
                    break
                }
                slot = (slot + 1) & (slots - 1)
            }
            if found >= 0 {
                prefix = found
                continue
            }
            writer.write(prefix, bits: codeSize)
            if nextCode < 4096 {
                keys[slot] = key
                values[slot] = UInt16(nextCode)
                // The decoder adds its entry one code later, so the size grows once the code
                // just assigned no longer fits.
                if nextCode == (1 << codeSize) && codeSize < 12 { codeSize += 1 }
                nextCode += 1
            } else {
                writer.write(clear, bits: codeSize)
                for i in 0..<slots { keys[i] = -1 }
                codeSize = minCodeSize + 1
                nextCode = end + 1
            }
            prefix = byte
        }
        writer.write(prefix, bits: codeSize)
        writer.write(end, bits: codeSize)
        return writer.finish()
    }

    /// Packs codes least-significant bit first.
    struct BitWriter {
        private(set) var bytes: [UInt8] = []
        private var accumulator: UInt32 = 0
        private var count = 0

        mutating func write(_ code: Int, bits: Int) {
            accumulator |= UInt32(code) << UInt32(count)
            count += bits
            while count >= 8 {
                bytes.append(UInt8(accumulator & 0xFF))
                accumulator >>= 8
                count -= 8
            }
        }

        mutating func finish() -> [UInt8] {
            if count > 0 { bytes.append(UInt8(accumulator & 0xFF)) }
            accumulator = 0
            count = 0
            return bytes
        }
    }
}
