// A minimal reader of the protobuf wire format (varint, 64-bit, length-delimited, 32-bit fields),
// enough to read sentencepiece's `ModelProto` without a protobuf dependency.

/// One field of a protobuf message.
struct ProtobufField {
    /// The field number from the `.proto` definition.
    var number: Int
    /// The field's payload.
    var value: ProtobufValue
}

/// The payload of a protobuf field, by wire type.
enum ProtobufValue {
    case varint(UInt64)
    case fixed64(UInt64)
    case bytes(ArraySlice<UInt8>)
    case fixed32(UInt32)

    /// A `float` field (wire type 5) as a Float.
    var float: Float? {
        if case let .fixed32(bits) = self { return Float(bitPattern: bits) }
        return nil
    }

    /// An `int32` / `int64` / `bool` / enum field; negative int32 values are sign-extended varints.
    var int: Int? {
        if case let .varint(v) = self { return Int(truncatingIfNeeded: v) }
        return nil
    }

    /// A `bool` field.
    var bool: Bool? {
        if case let .varint(v) = self { return v != 0 }
        return nil
    }

    /// A `bytes` / `string` / embedded message field.
    var bytes: ArraySlice<UInt8>? {
        if case let .bytes(b) = self { return b }
        return nil
    }

    /// A `string` field decoded as UTF-8 (invalid UTF-8 is repaired with U+FFFD).
    var string: String? {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Errors of the protobuf reader; the caller names the file.
enum ProtobufError: Error, Equatable {
    case truncated(offset: Int)
    case badWireType(Int, offset: Int)
    case varintTooLong(offset: Int)
}

/// Reads the fields of one protobuf message, in file order.
struct ProtobufReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    /// All fields of the message.
    static func fields(of bytes: ArraySlice<UInt8>) throws -> [ProtobufField] {
        var reader = ProtobufReader(bytes)
        var out: [ProtobufField] = []
        while let field = try reader.next() { out.append(field) }
        return out
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> ProtobufField? {
        if position >= bytes.endIndex { return nil }
        let start = position
        let key = try readVarint()
        let number = Int(key >> 3)
        switch Int(key & 7) {
        case 0:
            return ProtobufField(number: number, value: .varint(try readVarint()))
        case 1:
            return ProtobufField(number: number, value: .fixed64(try readFixed(8)))
        case 2:
            let length = try readVarint()
            guard length <= UInt64(bytes.endIndex - position) else { throw ProtobufError.truncated(offset: position) }
            let end = position + Int(length)
            let slice = bytes[position..<end]
            position = end
            return ProtobufField(number: number, value: .bytes(slice))
        case 5:
            return ProtobufField(number: number, value: .fixed32(UInt32(try readFixed(4))))
        case let wire:
            throw ProtobufError.badWireType(wire, offset: start - bytes.startIndex)
        }
    }

    private mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw ProtobufError.truncated(offset: position - bytes.startIndex) }
            let byte = bytes[position]
            position += 1
            if shift >= 64 { throw ProtobufError.varintTooLong(offset: position - bytes.startIndex) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func readFixed(_ count: Int) throws -> UInt64 {
        guard bytes.endIndex - position >= count else { throw ProtobufError.truncated(offset: position - bytes.startIndex) }
        var result: UInt64 = 0
        for i in 0..<count { result |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += count
        return result
    }
}
