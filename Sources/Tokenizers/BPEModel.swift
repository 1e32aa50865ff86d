// The BPE model of `tokenizers` 0.23 (models/bpe/model.rs `BPE`, word.rs `Word::merge_all`), as
// transformers 5.24.0 `CLIPTokenizer` uses it: a word's characters, the last one carrying the
// end-of-word suffix (`</w>`), become vocabulary ids (the unknown token's id for a character the
// vocabulary lacks), then the adjacent pair with the lowest merge rank is merged, left to right, until
// no ranked pair is left. Like `tokenizers` it works on ids: a merge whose parts or result are not in
// the vocabulary can never apply (`tokenizers` refuses such files; they are skipped here).

/// A BPE vocabulary with its merge ranks.
struct BPEModel: Sendable {
    let vocab: [String: Int]
    /// (left id << 32 | right id) → rank of the merge and id of the merged token.
    private let merges: [UInt64: Merge]
    let endOfWordSuffix: String
    let unkID: Int?

    private struct Merge: Sendable {
        var rank: Int
        var id: Int
    }

    private static func key(_ left: Int, _ right: Int) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: left)) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
    }

    /// `merges` are (left, right) pairs in rank order; the first of duplicate pairs keeps its rank.
    init(vocab: [String: Int], merges: [(String, String)], endOfWordSuffix: String, unkID: Int?) {
        self.vocab = vocab
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            guard let left = vocab[merge.0], let right = vocab[merge.1], let id = vocab[merge.0 + merge.1] else { continue }
            let key = Self.key(left, right)
            if table[key] == nil { table[key] = Merge(rank: rank, id: id) }
        }
        self.merges = table
        self.endOfWordSuffix = endOfWordSuffix
        self.unkID = unkID
    }

    /// Ids of one pre-tokenized word.
    func tokenize(_ word: String) -> [Int] {
        let scalars = Array(word.unicodeScalars)
        var symbols: [Int] = []
        symbols.reserveCapacity(scalars.count)
        for (i, scalar) in scalars.enumerated() {
            let piece = i == scalars.count - 1 ? String(scalar) + endOfWordSuffix : String(scalar)
            if let id = vocab[piece] { symbols.append(id) } else if let unkID { symbols.append(unkID) }
        }
        while symbols.count > 1 {
            var best: Merge?
            var bestLeft = 0
            var bestRight = 0
            for i in 0..<(symbols.count - 1) {
                if let merge = merges[Self.key(symbols[i], symbols[i + 1])], merge.rank < (best?.rank ?? Int.max) {
                    best = merge
                    bestLeft = symbols[i]
                    bestRight = symbols[i + 1]
                }
            }
            guard let best else { break }
            var merged: [Int] = []
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count, symbols[i] == bestLeft, symbols[i + 1] == bestRight {
                    merged.append(best.id)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        return symbols
    }
}
