// transformers 5.24.0 models/umt5/modeling_umt5.py `UMT5Attention._relative_position_bucket`
// (identical in T5), bidirectional (encoder) case.
import Foundation

/// T5's relative-position buckets for an encoder (bidirectional attention).
///
/// Half the buckets are for keys after the query (`memory − query > 0`), half for the rest.
/// Within each half, distances below `half/2` get a bucket each; larger distances share
/// log-spaced buckets up to `maxDistance`, and everything beyond falls in the last bucket.
enum RelativePositionBuckets {
    /// The bucket of every (query, key) pair: `[queries * keys]`, row-major, values in `0..<bucketCount`.
    static func table(queries: Int, keys: Int, bucketCount: Int, maxDistance: Int) -> [Int] {
        var out = [Int](repeating: 0, count: queries * keys)
        for i in 0..<queries {
            for j in 0..<keys {
                out[i * keys + j] = bucket(relativePosition: j - i, bucketCount: bucketCount, maxDistance: maxDistance)
            }
        }
        return out
    }

    /// The bucket of `relativePosition = key − query`.
    ///
    /// The logarithmic part follows torch's float32 arithmetic (`rel.float() / maxExact`, `log`,
    /// times the float reciprocal of the Python double `log(maxDistance / maxExact)`, times the
    /// bucket count) before truncating. For the standard 32 buckets / 128 this agrees with exact
    /// arithmetic at every distance, including the boundaries 16, 32, 64, 128 where the ratio is
    /// an integer (checked against the 140-token fixture).
    static func bucket(relativePosition: Int, bucketCount: Int, maxDistance: Int) -> Int {
        let half = bucketCount / 2
        var result = relativePosition > 0 ? half : 0
        let distance = abs(relativePosition)
        let maxExact = half / 2
        if distance < maxExact { return result + distance }
        let scaled = Float(distance) * (1 / Float(maxExact))
        let inverseLogRange = 1 / Float(Foundation.log(Double(maxDistance) / Double(maxExact)))
        let logRatio = Foundation.log(scaled) * inverseLogRange * Float(half - maxExact)
        result += min(maxExact + Int(logRatio), half - 1)
        return result
    }
}
