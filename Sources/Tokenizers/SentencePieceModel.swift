// sentencepiece's `ModelProto` (sentencepiece_model.proto), read by hand with `ProtobufReader`:
// the pieces with their scores and types, the trainer's special ids and the normalizer spec
// (including the precompiled charsmap). Only the fields a Unigram tokenizer needs are kept.

/// The contents of a sentencepiece `.model` file that tokenization needs.
public struct SentencePieceModel: Sendable {
    /// The kind of a piece (sentencepiece `SentencePiece.Type`).
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// One vocabulary entry; its id is its index in `pieces`.
    public struct Piece: Sendable, Equatable {
        public var piece: String
        public var score: Float
        public var type: PieceType
    }

    /// The vocabulary, in id order.
    public var pieces: [Piece]
    /// `trainer_spec.model_type`: 1 Unigram, 2 BPE, 3 word, 4 char.
    public var modelType: Int
    /// `trainer_spec.unk_id` (default 0).
    public var unkID: Int
    /// `trainer_spec.bos_id` (default 1; −1 when absent).
    public var bosID: Int
    /// `trainer_spec.eos_id` (default 2; −1 when absent).
    public var eosID: Int
    /// `trainer_spec.pad_id` (default −1).
    public var padID: Int
    /// `trainer_spec.byte_fallback`.
    public var byteFallback: Bool
    /// `normalizer_spec.name`, e.g. "nmt_nfkc".
    public var normalizerName: String
    /// `normalizer_spec.precompiled_charsmap` (empty for the identity normaliser).
    public var precompiledCharsmap: [UInt8]
    /// `normalizer_spec.add_dummy_prefix` (default true).
    public var addDummyPrefix: Bool
    /// `normalizer_spec.remove_extra_whitespaces` (default true).
    public var removeExtraWhitespaces: Bool

    /// Parses the serialized `ModelProto` in `bytes`; `path` is used in error messages.
    public init(bytes: [UInt8], path: String) throws {
        func corrupt(_ reason: String) -> TokenizerError { .corruptFile(path: path, reason: reason) }
        pieces = []
        modelType = 1
        unkID = 0
        bosID = 1
        eosID = 2
        padID = -1
        byteFallback = false
        normalizerName = ""
        precompiledCharsmap = []
        addDummyPrefix = true
        removeExtraWhitespaces = true
        do {
            for field in try ProtobufReader.fields(of: bytes[...]) {
                switch field.number {
                case 1:
                    guard let body = field.value.bytes else { throw corrupt("ModelProto.pieces is not a message") }
                    var piece = Piece(piece: "", score: 0, type: .normal)
                    for f in try ProtobufReader.fields(of: body) {
                        switch f.number {
                        case 1: piece.piece = f.value.string ?? ""
                        case 2: piece.score = f.value.float ?? 0
                        case 3:
                            guard let raw = f.value.int, let type = PieceType(rawValue: raw) else {
                                throw corrupt("piece \(pieces.count) has an unknown type \(f.value.int ?? -1) (valid: 1…6)")
                            }
                            piece.type = type
                        default: break
                        }
                    }
                    pieces.append(piece)
                case 2:
                    guard let body = field.value.bytes else { throw corrupt("ModelProto.trainer_spec is not a message") }
                    for f in try ProtobufReader.fields(of: body) {
                        switch f.number {
                        case 3: modelType = f.value.int ?? modelType
                        case 35: byteFallback = f.value.bool ?? byteFallback
                        case 40: unkID = Int(Int32(truncatingIfNeeded: f.value.int ?? unkID))
                        case 41: bosID = Int(Int32(truncatingIfNeeded: f.value.int ?? bosID))
                        case 42: eosID = Int(Int32(truncatingIfNeeded: f.value.int ?? eosID))
                        case 43: padID = Int(Int32(truncatingIfNeeded: f.value.int ?? padID))
                        default: break
                        }
                    }
                case 3:
                    guard let body = field.value.bytes else { throw corrupt("ModelProto.normalizer_spec is not a message") }
                    for f in try ProtobufReader.fields(of: body) {
                        switch f.number {
                        case 1: normalizerName = f.value.string ?? ""
                        case 2: precompiledCharsmap = Array(f.value.bytes ?? [])
                        case 3: addDummyPrefix = f.value.bool ?? addDummyPrefix
                        case 4: removeExtraWhitespaces = f.value.bool ?? removeExtraWhitespaces
                        default: break
                        }
                    }
                default:
                    break
                }
            }
        } catch let error as ProtobufError {
            throw corrupt("not a sentencepiece ModelProto (\(error))")
        }
        guard !pieces.isEmpty else { throw corrupt("no pieces (not a sentencepiece model?)") }
        guard unkID >= 0, unkID < pieces.count else {
            throw corrupt("trainer_spec.unk_id \(unkID) is outside the \(pieces.count) pieces")
        }
    }
}
