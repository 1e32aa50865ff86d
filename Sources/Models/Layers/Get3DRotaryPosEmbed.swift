// diffusers 0.42.1 models/embeddings.py `get_3d_rotary_pos_embed` (with `use_real=True`,
// `grid_type="linspace"`) and pipelines/cogvideo/pipeline_cogvideox.py
// `get_resize_crop_region_for_grid`: the 3-D RoPE of CogVideoX 5B / 1.5 and EasyAnimate.
// dh is split t | h | w = dh/4 | 3·(dh/8) | 3·(dh/8), positions may be fractional, angles are
// float32. The tables are applied after the head split (`RotaryLayout.headsSequence`) to the
// video tokens that follow the text tokens (`tokenOffset`).
import TensorCore

extension Rotary {
    /// Axis widths of CogVideoX / EasyAnimate 3-D RoPE: `t = dh/4`, `h = w = 3·(dh/8)`.
    public static func cogVideoXAxisDims(headDim: Int) -> (time: Int, height: Int, width: Int) {
        (headDim / 4, headDim / 8 * 3, headDim / 8 * 3)
    }

    /// CogVideoX / EasyAnimate rotary table (`get_3d_rotary_pos_embed`, float32) for the given,
    /// possibly fractional, positions of each grid axis. `[F·H·W, dh]`.
    public static func cogVideoXTable(framePositions: [Double], rowPositions: [Double], columnPositions: [Double],
                                      headDim: Int, theta: Double = 10_000) -> RotaryTable {
        table3D(framePositions: framePositions, rowPositions: rowPositions, columnPositions: columnPositions,
                dims: cogVideoXAxisDims(headDim: headDim), theta: theta, precision: .float32)
    }

    /// The crop region of `get_resize_crop_region_for_grid` (CogVideoX pipeline): the grid
    /// `(height, width)` resized to fit `baseHeight × baseWidth` and centred. Python's
    /// half-to-even `round` is reproduced.
    public static func resizeCropRegion(height: Int, width: Int, baseHeight: Int, baseWidth: Int)
        -> (top: Int, left: Int, bottom: Int, right: Int) {
        let r = Double(height) / Double(width)
        let resizeHeight: Int, resizeWidth: Int
        if r > Double(baseHeight) / Double(baseWidth) {
            resizeHeight = baseHeight
            resizeWidth = Int((Double(baseHeight) / Double(height) * Double(width)).rounded(.toNearestOrEven))
        } else {
            resizeWidth = baseWidth
            resizeHeight = Int((Double(baseWidth) / Double(width) * Double(height)).rounded(.toNearestOrEven))
        }
        let top = Int((Double(baseHeight - resizeHeight) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(baseWidth - resizeWidth) / 2).rounded(.toNearestOrEven))
        return (top, left, top + resizeHeight, left + resizeWidth)
    }

    /// The `grid_type="linspace"` positions of `get_3d_rotary_pos_embed` for a token grid
    /// of `frames × height × width` with a crop region from `resizeCropRegion`:
    /// rows `linspace(top, bottom·(h−1)/h, h)`, columns likewise, frames `0..<F`.
    public static func cogVideoXLinspacePositions(frames: Int, height: Int, width: Int,
                                                  crop: (top: Int, left: Int, bottom: Int, right: Int))
        -> (frames: [Double], rows: [Double], columns: [Double]) {
        // Python evaluates stop·(n−1)/n in double before torch casts it to float32.
        let rowEnd = Float(Double(crop.bottom) * Double(height - 1) / Double(height))
        let colEnd = Float(Double(crop.right) * Double(width - 1) / Double(width))
        let tEnd = Float(Double(frames) * Double(frames - 1) / Double(frames))
        return (linspace(0, tEnd, count: frames).map(Double.init),
                linspace(Float(crop.top), rowEnd, count: height).map(Double.init),
                linspace(Float(crop.left), colEnd, count: width).map(Double.init))
    }
}
