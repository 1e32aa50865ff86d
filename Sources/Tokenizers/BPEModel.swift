// The BPE model as `tokenizers` models/bpe (and CLIP's `bpe()` in the original repo): a word's
// characters, the last one carrying the end-of-word suffix (`</w>`), are merged pairwise, always
// the adjacent pair with the lowest merge rank first, until no ranked pair is left.

/// A BPE vocabulary with its merge ranks.
struct BPEModel: Sendable {
    let vocab: [String: Int]
    private let ranks: [Pair: Int]
    let endOfWordSuffix: String
    let unkID: Int?

    struct Pair: Hashable, Sendable {
        var left: String
        var right: String
    }

    /// `merges` are "left right" pairs in rank order.
    init(vocab: [String: Int], merges: [(String, String)], endOfWordSuffix: String, unkID: Int?) {
        self.vocab = vocab
        var ranks: [Pair: Int] = [:]
        for (rank, merge) in merges.enumerated() {
            let pair = Pair(left: merge.0, right: merge.1)
            if ranks[pair] == nil { ranks[pair] = rank }
        }
        self.ranks = ranks
        self.endOfWordSuffix = endOfWordSuffix
        self.unkID = unkID
    }

    /// Ids of one pre-tokenized word.
    func tokenize(_ word: String) -> [Int] {
        var symbols = word.unicodeScalars.map { String($0) }
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += endOfWordSuffix
        while symbols.count > 1 {
            var best: (rank: Int, pair: Pair)?
            for i in 0..<(symbols.count - 1) {
                let pair = Pair(left: symbols[i], right: symbols[i + 1])
                if let rank = ranks[pair], rank < (best?.rank ?? Int.max) { best = (rank, pair) }
            }
            guard let (_, pair) = best else { break }
            var merged: [String] = []
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count, symbols[i] == pair.left, symbols[i + 1] == pair.right {
                    merged.append(pair.left + pair.right)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        var ids: [Int] = []
        for symbol in symbols {
            if let id = vocab[symbol] { ids.append(id) } else if let unkID { ids.append(unkID) }
        }
        return ids
    }
}
