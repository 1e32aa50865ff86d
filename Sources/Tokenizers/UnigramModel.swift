// The Unigram model's Viterbi segmentation, as `tokenizers` models/unigram/model.rs
// `encode_optimized` (itself sentencepiece unigram_model.cc): a lattice over UTF-8 byte
// positions; each vocabulary piece that starts at a position is an edge scored by its log
// probability; a character no piece covers on its own gets the unknown piece with score
// min(score) − 10; consecutive unknown pieces are fused into one.

/// A Unigram vocabulary with its scores.
struct UnigramModel: Sendable {
    /// Pieces in id order with their scores (log probabilities).
    let pieces: [(piece: String, score: Double)]
    let unkID: Int
    private let pieceToID: [[UInt8]: Int]
    private let maxPieceBytes: Int
    private let unkScore: Double

    /// The penalty sentencepiece gives an unknown character below the lowest score.
    static let unknownPenalty = 10.0

    init(pieces: [(piece: String, score: Double)], unkID: Int) {
        self.pieces = pieces
        self.unkID = unkID
        var map: [[UInt8]: Int] = [:]
        var maxBytes = 1
        var minScore = Double.infinity
        for (id, entry) in pieces.enumerated() {
            let bytes = Array(entry.piece.utf8)
            map[bytes] = id  // a duplicated piece keeps its last id, as the Rust `token_to_ids` inserts do
            maxBytes = max(maxBytes, bytes.count)
            minScore = min(minScore, entry.score)
        }
        self.pieceToID = map
        self.maxPieceBytes = maxBytes
        self.unkScore = (minScore.isFinite ? minScore : 0) - Self.unknownPenalty
    }

    /// Id of a piece string, or the unknown id.
    func id(of piece: String) -> Int { pieceToID[Array(piece.utf8)] ?? unkID }

    /// Ids of the best segmentation of `text`.
    func tokenize(_ text: String) -> [Int] {
        let bytes = Array(text.utf8)
        let size = bytes.count
        guard size > 0 else { return [] }
        // best path ending at each byte position: (score, start, id); start < 0 means unset
        var bestScore = [Double](repeating: 0, count: size + 1)
        var bestStart = [Int](repeating: -1, count: size + 1)
        var bestID = [Int](repeating: 0, count: size + 1)
        var startsAt = 0
        while startsAt < size {
            let here = bestScore[startsAt]
            let charLength = Self.utf8Length(lead: bytes[startsAt])
            var hasSingleNode = false
            let limit = min(maxPieceBytes, size - startsAt)
            var length = 1
            while length <= limit {
                if let id = pieceToID[Array(bytes[startsAt..<(startsAt + length)])] {
                    let end = startsAt + length
                    let candidate = pieces[id].score + here
                    if bestStart[end] < 0 || candidate > bestScore[end] {
                        bestScore[end] = candidate
                        bestStart[end] = startsAt
                        bestID[end] = id
                    }
                    if length == charLength { hasSingleNode = true }
                }
                length += 1
            }
            if !hasSingleNode {
                let end = min(startsAt + charLength, size)
                let candidate = unkScore + here
                if bestStart[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = startsAt
                    bestID[end] = unkID
                }
            }
            startsAt += charLength
        }
        // backtrack, fusing runs of unknown pieces
        var ids: [Int] = []
        var end = size
        var inUnknownRun = false
        while end > 0 {
            let start = bestStart[end]
            guard start >= 0 else { break }
            let id = bestID[end]
            if id == unkID {
                if !inUnknownRun { ids.append(unkID) }
                inUnknownRun = true
            } else {
                ids.append(id)
                inUnknownRun = false
            }
            end = start
        }
        return ids.reversed()
    }

    private static func utf8Length(lead: UInt8) -> Int {
        switch lead {
        case 0..<0x80: return 1
        case 0xC0..<0xE0: return 2
        case 0xE0..<0xF0: return 3
        case 0xF0...: return 4
        default: return 1
        }
    }
}
