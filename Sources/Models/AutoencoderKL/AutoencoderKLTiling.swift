// Tiled encode and decode of diffusers `AutoencoderKL` (models/autoencoders/autoencoder_kl.py,
// diffusers 0.42.1: `enable_tiling`, `_tiled_encode`, `tiled_decode`, `blend_v`, `blend_h`).
//
// The input is cut into tiles of `tile_sample_min_size` pixels (encode) or `tile_latent_min_size`
// latents (decode), starting every `int(size · (1 − overlap))`; each tile goes through the
// encoder / decoder alone. Tile (i, j) is then blended *in place* with the already-blended tile
// above it (`blend_v`, over `blend_extent` rows) and the one to its left (`blend_h`), and cropped
// to `row_limit` rows and columns before the crops are concatenated. The blend weights are
// `1 − y / extent` and `y / extent`, computed in Double and rounded to Float as torch does with
// a Python scalar; each product and the sum are rounded separately, as in torch.
import TensorCore

/// Tile sizes of diffusers' tiled VAE path (`enable_tiling`).
public struct AutoencoderKLTiling: Sendable, Equatable {
    /// `tile_sample_min_size`: tile side in pixels; images larger than this (in H or W) are
    /// encoded in tiles.
    public var sampleTileSize: Int
    /// `tile_latent_min_size`: tile side in latents; latents larger than this (in h or w) are
    /// decoded in tiles. diffusers sets it to `int(sample_size / 2^(levels − 1))`.
    public var latentTileSize: Int
    /// `tile_overlap_factor` (0.25): the share of a tile that overlaps its neighbour.
    public var overlapFactor: Double

    /// Explicit tile sizes (as set on a diffusers model's attributes).
    public init(sampleTileSize: Int, latentTileSize: Int, overlapFactor: Double = 0.25) {
        self.sampleTileSize = sampleTileSize
        self.latentTileSize = latentTileSize
        self.overlapFactor = overlapFactor
    }

    /// diffusers' defaults for `config`: `sample_size` pixels and
    /// `int(sample_size / 2^(len(block_out_channels) − 1))` latents, overlap 0.25.
    public init(config: AutoencoderKLConfig) {
        self.init(sampleTileSize: config.sampleSize,
                  latentTileSize: Int(Double(config.sampleSize) / Double(config.spatialScale)))
    }

    /// Throws `AutoencoderKLInputError.badOption` for sizes diffusers cannot tile with (a zero
    /// stride between tiles makes its `range(0, H, stride)` fail).
    public func validate() throws {
        guard overlapFactor >= 0, overlapFactor < 1 else {
            throw AutoencoderKLInputError.badOption(name: "tiling.overlapFactor", value: "\(overlapFactor)",
                                                    reason: "must be in [0, 1)")
        }
        for (name, size) in [("tiling.sampleTileSize", sampleTileSize), ("tiling.latentTileSize", latentTileSize)] {
            guard size > 0, Self.tileStride(size, overlapFactor) > 0 else {
                throw AutoencoderKLInputError.badOption(name: name, value: String(size),
                                                        reason: "tiles must start at least one element apart"
                                                            + " (int(size · (1 − \(overlapFactor))) ≥ 1)")
            }
        }
    }

    /// Whether diffusers takes the tiled path: a side larger than the tile (`_encode` / `_decode`).
    func applies(toHeight height: Int, width: Int, sample: Bool) -> Bool {
        let size = sample ? sampleTileSize : latentTileSize
        return height > size || width > size
    }

    /// Tiles of one image: rows × columns of tile starts.
    func tileCount(height: Int, width: Int, sample: Bool) -> Int {
        let step = Self.tileStride(sample ? sampleTileSize : latentTileSize, overlapFactor)
        return Self.starts(height, step).count * Self.starts(width, step).count
    }

    /// `int(size · (1 − overlap))`, in Double as in Python.
    static func tileStride(_ size: Int, _ overlap: Double) -> Int { Int(Double(size) * (1 - overlap)) }

    /// `int(size · overlap)`.
    static func extent(_ size: Int, _ overlap: Double) -> Int { Int(Double(size) * overlap) }

    /// `range(0, length, step)`.
    static func starts(_ length: Int, _ step: Int) -> [Int] { Array(Swift.stride(from: 0, to: length, by: step)) }
}

extension AutoencoderKL {
    /// diffusers `_tiled_encode`: images `[n, C, H, W]` → moments `[n, 2z, h, w]`.
    func tiledEncode(_ images: Tensor, tiling: AutoencoderKLTiling, cancellation: CancellationFlag?,
                     onTile: () throws -> Void) throws -> Tensor {
        let overlap = AutoencoderKLTiling.tileStride(tiling.sampleTileSize, tiling.overlapFactor)
        let blendExtent = AutoencoderKLTiling.extent(tiling.latentTileSize, tiling.overlapFactor)
        let rowLimit = tiling.latentTileSize - blendExtent
        return try blendTiles(images, tileSize: tiling.sampleTileSize, step: overlap, blendExtent: blendExtent,
                              rowLimit: rowLimit, cancellation: cancellation, onTile: onTile, encodeTile)
    }

    /// diffusers `tiled_decode`: latents `[n, z, h, w]` → images `[n, out, H, W]`.
    func tiledDecode(_ latents: Tensor, tiling: AutoencoderKLTiling, cancellation: CancellationFlag?,
                     onTile: () throws -> Void) throws -> Tensor {
        let overlap = AutoencoderKLTiling.tileStride(tiling.latentTileSize, tiling.overlapFactor)
        let blendExtent = AutoencoderKLTiling.extent(tiling.sampleTileSize, tiling.overlapFactor)
        let rowLimit = tiling.sampleTileSize - blendExtent
        return try blendTiles(latents, tileSize: tiling.latentTileSize, step: overlap, blendExtent: blendExtent,
                              rowLimit: rowLimit, cancellation: cancellation, onTile: onTile, decodeTile)
    }

    /// The loop both tiled paths share. Tiles are computed a row at a time; only the previous
    /// row of blended tiles is kept, which is all `blend_v` reads.
    private func blendTiles(_ x: Tensor, tileSize: Int, step: Int, blendExtent: Int, rowLimit: Int,
                            cancellation: CancellationFlag?, onTile: () throws -> Void,
                            _ run: (Tensor) throws -> Tensor) throws -> Tensor {
        // x: [n, C, H, W]
        let H = x.shape[2], W = x.shape[3]
        var previousRow: [Tensor] = []
        var resultRows: [Tensor] = []
        for i in AutoencoderKLTiling.starts(H, step) {
            var row: [Tensor] = []
            var cropped: [Tensor] = []
            for (j, start) in AutoencoderKLTiling.starts(W, step).enumerated() {
                try cancellation?.check()
                let input = x.narrowed(axis: 2, start: i, length: min(tileSize, H - i))
                    .narrowed(axis: 3, start: start, length: min(tileSize, W - start))
                var tile = try run(input)                                    // [n, C', th, tw]
                try onTile()
                if !previousRow.isEmpty { Self.blendVertical(previousRow[j], into: &tile, extent: blendExtent) }
                if j > 0 { Self.blendHorizontal(row[j - 1], into: &tile, extent: blendExtent) }
                row.append(tile)
                cropped.append(tile.narrowed(axis: 2, start: 0, length: min(rowLimit, tile.shape[2]))
                    .narrowed(axis: 3, start: 0, length: min(rowLimit, tile.shape[3])))
            }
            resultRows.append(cropped.count == 1 ? cropped[0] : Tensor.concatenate(cropped, axis: 3))
            previousRow = row
        }
        return resultRows.count == 1 ? resultRows[0] : Tensor.concatenate(resultRows, axis: 2)
    }

    /// diffusers `blend_v`: the first rows of `b` fade in from the last rows of `a` (the tile
    /// above). `a: [n, C, ha, w]`, `b: [n, C, hb, w]`.
    static func blendVertical(_ a: Tensor, into b: inout Tensor, extent requested: Int) {
        let extent = min(a.shape[2], b.shape[2], requested)
        guard extent > 0 else { return }
        let planes = b.shape[0] * b.shape[1], ha = a.shape[2], hb = b.shape[2], w = b.shape[3]
        precondition(a.shape[0] * a.shape[1] == planes && a.shape[3] == w, "blend_v: \(a.shape) vs \(b.shape)")
        a.data.withUnsafeBufferPointer { src in
            b.data.withUnsafeMutableBufferPointer { dst in
                for y in 0..<extent {
                    let (keep, take) = blendWeights(y, extent)
                    for plane in 0..<planes {
                        let pa = src.baseAddress! + (plane * ha + ha - extent + y) * w
                        let pb = dst.baseAddress! + (plane * hb + y) * w
                        for x in 0..<w { pb[x] = pa[x] * keep + pb[x] * take }
                    }
                }
            }
        }
    }

    /// diffusers `blend_h`: the first columns of `b` fade in from the last columns of `a` (the
    /// tile to the left). `a: [n, C, h, wa]`, `b: [n, C, h, wb]`.
    static func blendHorizontal(_ a: Tensor, into b: inout Tensor, extent requested: Int) {
        let extent = min(a.shape[3], b.shape[3], requested)
        guard extent > 0 else { return }
        let rows = b.shape[0] * b.shape[1] * b.shape[2], wa = a.shape[3], wb = b.shape[3]
        precondition(a.shape[0] * a.shape[1] * a.shape[2] == rows, "blend_h: \(a.shape) vs \(b.shape)")
        let weights = (0..<extent).map { blendWeights($0, extent) }
        a.data.withUnsafeBufferPointer { src in
            b.data.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    let pa = src.baseAddress! + r * wa + wa - extent
                    let pb = dst.baseAddress! + r * wb
                    for x in 0..<extent { pb[x] = pa[x] * weights[x].keep + pb[x] * weights[x].take }
                }
            }
        }
    }

    /// `(1 − y / extent, y / extent)`: Python floats rounded to Float.
    private static func blendWeights(_ y: Int, _ extent: Int) -> (keep: Float, take: Float) {
        let t = Double(y) / Double(extent)
        return (Float(1 - t), Float(t))
    }
}
