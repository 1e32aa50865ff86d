import XCTest
import Reference
@testable import TensorCore

final class ConvTests: XCTestCase {
    /// Runs `conv3d` and the direct reference on the same random data and compares them.
    /// Each output is a dot product of length C·kT·kH·kW: see `GemmTestData.dotTolerance`.
    private func checkConv3d(input: [Int], weight: [Int], bias: Bool = true,
                             stride: (Int, Int, Int) = (1, 1, 1), dilation: (Int, Int, Int) = (1, 1, 1),
                             temporal: TemporalPadding = .none, spatial: Padding2D = .zero,
                             columnBudget: Int = defaultColumnBudget, expectShape: [Int]? = nil,
                             algorithm: ConvAlgorithm = .automatic, toleranceScale: Float = 1,
                             _ label: String, line: UInt = #line) {
        let x = GemmTestData.uniform(input, seed: 21)
        let w = GemmTestData.uniform(weight, seed: 22)
        let b = bias ? GemmTestData.uniform([weight[0]], seed: 23) : nil
        let y = conv3d(x, weight: w, bias: b, stride: stride, temporalPadding: temporal,
                       spatialPadding: spatial, dilation: dilation, cache: nil, columnBudget: columnBudget,
                       algorithm: algorithm)
        let expected = Reference.conv3d(
            x.data, shape: input, weight: w.data, weightShape: weight, bias: b?.data,
            stride: [stride.0, stride.1, stride.2], dilation: [dilation.0, dilation.1, dilation.2],
            padBefore: temporal.before, padAfter: temporal.after, replicate: temporal.mode == .replicate,
            top: spatial.top, bottom: spatial.bottom, left: spatial.left, right: spatial.right)
        XCTAssertEqual(y.shape, expected.shape, label, line: line)
        if let expectShape { XCTAssertEqual(y.shape, expectShape, label, line: line) }
        GemmTestData.assertClose(y.data, expected.data,
                                 tolerance: toleranceScale * GemmTestData.dotTolerance(weight[1...].reduce(1, *)), label,
                                 line: line)
    }

    func testConv2dStrideAsymmetricPaddingDilation() {
        let cases: [(stride: (Int, Int), padding: Padding2D, dilation: (Int, Int), label: String)] = [
            ((2, 2), Padding2D(top: 1, bottom: 2, left: 0, right: 1), (1, 1), "stride 2, asymmetric padding"),
            ((1, 2), Padding2D(2, 3), (2, 3), "dilation (2, 3)"),
            ((2, 2), Padding2D(top: 0, bottom: 1, left: 0, right: 1), (1, 1), "Wan downsample ZeroPad2d(0,1,0,1)"),
        ]
        for c in cases {
            let x = GemmTestData.uniform([2, 3, 11, 13], seed: 31)
            let w = GemmTestData.uniform([4, 3, 3, 3], seed: 32)
            let b = GemmTestData.uniform([4], seed: 33)
            let y = conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation)
            let expected = Reference.conv3d(
                x.data, shape: [2, 3, 1, 11, 13], weight: w.data, weightShape: [4, 3, 1, 3, 3], bias: b.data,
                stride: [1, c.stride.0, c.stride.1], dilation: [1, c.dilation.0, c.dilation.1],
                top: c.padding.top, bottom: c.padding.bottom, left: c.padding.left, right: c.padding.right)
            XCTAssertEqual(y.shape, [2, 4, expected.shape[3], expected.shape[4]], c.label)
            GemmTestData.assertClose(y.data, expected.data, tolerance: GemmTestData.dotTolerance(27), c.label)
        }
        // PyTorch's output size for stride 2, 11 + 1 + 2 rows, kernel 3: (14 − 3) / 2 + 1 = 6.
        let y = conv2d(Tensor(zeros: [1, 3, 11, 13]), weight: Tensor(zeros: [4, 3, 3, 3]), stride: (2, 2),
                       padding: Padding2D(top: 1, bottom: 2, left: 0, right: 1))
        XCTAssertEqual(y.shape, [1, 4, 6, 6])
    }

    /// Small images in a batch go through conv3d as the frames of one clip (`conv2d`'s
    /// `conv2dImagesAsFramesMaximumPositions`): im2col, and Winograd from 16 channels, each
    /// against the direct reference, image by image.
    func testConv2dManySmallImagesAsOneClip() {
        for (channels, label) in [(3, "im2col"), (16, "Winograd")] {
            let x = GemmTestData.uniform([5, channels, 8, 6], seed: 41)
            let w = GemmTestData.uniform([24, channels, 3, 3], seed: 42)
            let b = GemmTestData.uniform([24], seed: 43)
            let y = conv2d(x, weight: w, bias: b, padding: Padding2D(1, 1))
            let expected = Reference.conv3d(
                x.data, shape: [5, channels, 1, 8, 6], weight: w.data, weightShape: [24, channels, 1, 3, 3],
                bias: b.data, stride: [1, 1, 1], dilation: [1, 1, 1], top: 1, bottom: 1, left: 1, right: 1)
            XCTAssertEqual(y.shape, [5, 24, 8, 6], label)
            // Winograd's transforms add rounding of their own (winogradToleranceScale's derivation).
            GemmTestData.assertClose(y.data, expected.data,
                                     tolerance: (channels == 16 ? winogradToleranceScale : 1) * GemmTestData.dotTolerance(channels * 9), label)
        }
    }

    func testConv2dPointwise() {
        checkConv3d(input: [2, 6, 1, 5, 7], weight: [3, 6, 1, 1, 1], "1×1 conv2d as conv3d (direct GEMM)")
    }

    func testConv3dCausalZeroPadding() {
        checkConv3d(input: [1, 4, 5, 6, 7], weight: [5, 4, 3, 3, 3], temporal: .causal(2, .zeros),
                    spatial: .uniform(1), expectShape: [1, 5, 5, 6, 7], "3×3×3 causal zeros (Wan)")
    }

    func testConv3dCausalReplicatePadding() {
        checkConv3d(input: [2, 3, 4, 5, 6], weight: [4, 3, 3, 3, 3], temporal: .causal(2, .replicate),
                    spatial: .uniform(1), expectShape: [2, 4, 4, 5, 6], "3×3×3 causal replicate (CogVideoX)")
        // Replicate differs from zeros whenever the first frame is not zero.
        let x = GemmTestData.uniform([1, 2, 2, 3, 3], seed: 41)
        let w = GemmTestData.uniform([2, 2, 3, 1, 1], seed: 42)
        XCTAssertNotEqual(conv3d(x, weight: w, temporalPadding: .causal(2, .replicate)).data,
                          conv3d(x, weight: w, temporalPadding: .causal(2, .zeros)).data)
    }

    func testConv3dTimeStrideAndTemporalKernels() {
        checkConv3d(input: [1, 4, 7, 3, 5], weight: [6, 4, 3, 1, 1], stride: (2, 1, 1),
                    expectShape: [1, 6, 3, 3, 5], "kernel (3,1,1) stride (2,1,1) (Wan time downsample)")
        checkConv3d(input: [1, 4, 5, 3, 5], weight: [8, 4, 3, 1, 1], temporal: .causal(2),
                    expectShape: [1, 8, 5, 3, 5], "kernel (3,1,1) causal (Wan time upsample)")
        checkConv3d(input: [1, 3, 6, 4, 4], weight: [2, 3, 3, 1, 1], temporal: .symmetric(1),
                    "kernel (3,1,1) padding (1,0,0) (ModelScope temporal conv)")
        checkConv3d(input: [1, 5, 4, 6, 5], weight: [7, 5, 1, 1, 1], expectShape: [1, 7, 4, 6, 5],
                    "1×1×1 (direct GEMM)")
        checkConv3d(input: [1, 3, 9, 7, 8], weight: [4, 3, 2, 3, 2], stride: (2, 1, 2), dilation: (2, 1, 1),
                    temporal: TemporalPadding(before: 1, after: 2, mode: .replicate),
                    spatial: Padding2D(top: 2, bottom: 0, left: 1, right: 3), "mixed stride, dilation, padding")
    }

    func testConv3dChunkedIm2colMatchesReference() {
        // K = 3·27 = 81 column rows, Wo = 7: a budget of 81·7·3 gives 3 output rows per
        // chunk (uneven last chunk); a budget of 1 forces one row per chunk.
        for budget in [81 * 7 * 3, 1] {
            checkConv3d(input: [2, 3, 4, 6, 7], weight: [4, 3, 3, 3, 3], temporal: .causal(2),
                        spatial: .uniform(1), columnBudget: budget, "chunked im2col budget \(budget)")
        }
        // A minimum of 20 positions rounds up to 3 rows of Wo = 7 per chunk.
        let x = GemmTestData.uniform([1, 3, 4, 6, 7], seed: 24), w = GemmTestData.uniform([4, 3, 3, 3, 3], seed: 25)
        let oneChunk = conv3d(x, weight: w, temporalPadding: .causal(2), spatialPadding: .uniform(1))
        let chunked = conv3d(x, weight: w, bias: nil, stride: (1, 1, 1), temporalPadding: .causal(2),
                             spatialPadding: .uniform(1), dilation: (1, 1, 1), cache: nil,
                             columnBudget: 1, minimumPositions: 20)
        // Same dot products; only the GEMM's column blocking differs.
        GemmTestData.assertClose(chunked.data, oneChunk.data, tolerance: GemmTestData.dotTolerance(81), "minimum")
    }

    // MARK: Winograd F(2×2, 3×3)

    /// Winograd's error bound, relative to the direct dot product's (u = Float's unit roundoff,
    /// K = kT·C). Each output is a ±1 sum of 9 of the 16 products M[ξ] (Aᵀ's rows have 3
    /// non-zeros, so Aᵀ M A takes 3 × 3 of them), and each M[ξ] is a K-term dot product of a
    /// transformed weight and a transformed input:
    /// - |U| ≤ 9/4 · max|g|: an entry of G g Gᵀ is a sum of at most 3 × 3 kernel values, each
    ///   weighted by at most ½ · ½ or 1;
    /// - |V| ≤ 4 · max|d|: Bᵀ's rows have 2 non-zeros (±1), so an entry of Bᵀ d B is a ±1 sum
    ///   of 2 × 2 input values.
    /// The products' worst-case rounding error is therefore 9 · K · (9/4 · 4) · u · max|g|·max|d|
    /// = 81 K u · max|g|·max|d|, against 9 K u · max|g|·max|d| for the direct 9K-term product:
    /// 9 times as large. The transforms' own roundings are a few u each, far below that. So the
    /// tolerance is 9 × the direct test's, while an indexing error is O(1).
    private let winogradToleranceScale: Float = 9

    func testAddendIsAddedOnEveryPath() {
        // `adding:` (a residual folded into the bias pass) on the pointwise, im2col and Winograd
        // paths, against the reference plus the addend. The addend is one more term of each
        // output's sum, within the same dot-product tolerance (|addend| ≤ 1 like the products).
        let cases: [(weight: [Int], temporal: TemporalPadding, spatial: Padding2D, algorithm: ConvAlgorithm)] = [
            ([16, 16, 1, 1, 1], .none, .zero, .automatic),
            ([16, 16, 3, 3, 3], .causal(2), .uniform(1), .im2col),
            ([16, 16, 3, 3, 3], .causal(2), .uniform(1), .winograd),
        ]
        let input = [2, 16, 3, 5, 6]
        let x = GemmTestData.uniform(input, seed: 41)
        for c in cases {
            let w = GemmTestData.uniform(c.weight, seed: 42), b = GemmTestData.uniform([16], seed: 43)
            let addend = GemmTestData.uniform([2, 16, 3, 5, 6], seed: 44)
            let y = conv3d(x, weight: w, bias: b, temporalPadding: c.temporal, spatialPadding: c.spatial,
                           adding: addend, algorithm: c.algorithm)
            let expected = Reference.conv3d(
                x.data, shape: input, weight: w.data, weightShape: c.weight, bias: b.data,
                stride: [1, 1, 1], dilation: [1, 1, 1], padBefore: c.temporal.before, padAfter: c.temporal.after,
                replicate: false, top: c.spatial.top, bottom: c.spatial.bottom, left: c.spatial.left,
                right: c.spatial.right)
            XCTAssertEqual(y.shape, expected.shape)
            let scale: Float = c.algorithm == .winograd ? winogradToleranceScale : 1
            GemmTestData.assertClose(y.data, zip(expected.data, addend.data).map { $0 + $1 },
                                     tolerance: scale * GemmTestData.dotTolerance(c.weight[1...].reduce(1, *) + 1),
                                     "\(c.weight) \(c.algorithm)")
        }
    }

    func testWinogradMatchesReference() {
        let cases: [(input: [Int], weight: [Int], stride: (Int, Int, Int), temporal: TemporalPadding,
                     spatial: Padding2D, label: String)] = [
            ([1, 4, 5, 6, 8], [5, 4, 3, 3, 3], (1, 1, 1), .causal(2, .zeros), .uniform(1), "Wan causal, even H and W"),
            ([2, 3, 4, 5, 7], [4, 3, 3, 3, 3], (1, 1, 1), .causal(2, .replicate), .uniform(1),
             "CogVideoX replicate, odd H and W, batch 2"),
            ([1, 3, 7, 9, 6], [2, 3, 3, 3, 3], (2, 1, 1), .symmetric(1), .uniform(1), "time stride 2"),
            ([1, 2, 3, 7, 8], [3, 2, 1, 3, 3], (1, 1, 1), .none, Padding2D(top: 2, bottom: 0, left: 1, right: 3),
             "2-D kernel, asymmetric padding"),
            ([1, 2, 2, 5, 5], [3, 2, 2, 3, 3], (1, 1, 1), .none, .zero, "no padding: 3×3 outputs from 5×5"),
            ([1, 3, 1, 1, 2], [2, 3, 1, 3, 3], (1, 1, 1), .none, .uniform(1), "one row: the tile's second row dropped"),
            // Rows wide enough for the 8-tile vector path, with single tiles at both edges.
            ([1, 3, 3, 5, 37], [4, 3, 3, 3, 3], (1, 1, 1), .causal(2), .uniform(1), "wide odd rows"),
            ([1, 2, 2, 4, 40], [3, 2, 1, 3, 3], (1, 1, 1), .none, .zero, "wide rows, no padding"),
            ([1, 2, 1, 3, 44], [3, 2, 1, 3, 3], (1, 1, 1), .none, Padding2D(top: 1, bottom: 1, left: 2, right: 0),
             "wide rows, left padding 2"),
            // Every tile an edge tile: padding wider than the row on both sides.
            ([1, 2, 1, 3, 2], [2, 2, 1, 3, 3], (1, 1, 1), .none, Padding2D(top: 1, bottom: 2, left: 5, right: 4),
             "padding wider than the row"),
            // Two whole blocks of 8 tiles and one of 1 (Wo = 34: 17 tiles).
            ([1, 2, 2, 4, 34], [3, 2, 1, 3, 3], (1, 1, 1), .none, .uniform(1), "17 tiles a row"),
        ]
        for c in cases {
            for budget in [defaultColumnBudget, 1] {
                checkConv3d(input: c.input, weight: c.weight, stride: c.stride, temporal: c.temporal,
                            spatial: c.spatial, columnBudget: budget, algorithm: .winograd,
                            toleranceScale: winogradToleranceScale, "Winograd, \(c.label), budget \(budget)")
            }
        }
        // The padding's zeros really are zeros: a constant input gives the border its fewer terms.
        let ones = Tensor(shape: [1, 1, 1, 3, 3], data: [Float](repeating: 1, count: 9))
        let kernel = Tensor(shape: [1, 1, 1, 3, 3], data: [Float](repeating: 1, count: 9))
        let y = conv3d(ones, weight: kernel, bias: nil, stride: (1, 1, 1), temporalPadding: .none,
                       spatialPadding: .uniform(1), dilation: (1, 1, 1), cache: nil,
                       columnBudget: defaultColumnBudget, algorithm: .winograd)
        XCTAssertEqual(y.data, [4, 6, 4, 6, 9, 6, 4, 6, 4])
    }

    func testWinogradCachedPrefixEqualsFullSequence() {
        // The Wan decoder's chunks (1 frame at a time, then several), on the Winograd path.
        let x = GemmTestData.uniform([1, 3, 6, 5, 6], seed: 61)
        let w = GemmTestData.uniform([4, 3, 3, 3, 3], seed: 62)
        let full = conv3d(x, weight: w, bias: nil, stride: (1, 1, 1), temporalPadding: .causal(2),
                          spatialPadding: .uniform(1), dilation: (1, 1, 1), cache: nil,
                          columnBudget: defaultColumnBudget, algorithm: .winograd)
        var outputs = [Tensor](), cache: Tensor? = nil, start = 0
        for size in [1, 1, 3, 1] {
            let chunk = frames(x, start..<start + size)
            outputs.append(conv3d(chunk, weight: w, bias: nil, stride: (1, 1, 1), temporalPadding: .causal(2),
                                  spatialPadding: .uniform(1), dilation: (1, 1, 1), cache: cache,
                                  columnBudget: defaultColumnBudget, algorithm: .winograd))
            cache = causalCacheTail(chunk, previous: cache, count: 2)
            start += size
        }
        GemmTestData.assertClose(concatFrames(outputs).data, full.data,
                                 tolerance: winogradToleranceScale * GemmTestData.dotTolerance(81), "Winograd chunks")
    }

    func testAutomaticAlgorithmChoice() {
        // Bitwise equality tells which path ran: the two round differently.
        func run(_ channels: Int, _ algorithm: ConvAlgorithm, kernel: [Int] = [3, 3, 3]) -> [Float] {
            let x = GemmTestData.uniform([1, channels, 2, 6, 6], seed: 71)
            let w = GemmTestData.uniform([channels] + [channels] + kernel, seed: 72)
            return conv3d(x, weight: w, bias: nil, stride: (1, 1, 1), temporalPadding: .causal(kernel[0] - 1),
                          spatialPadding: .uniform(kernel[1] / 2), dilation: (1, 1, 1), cache: nil,
                          columnBudget: defaultColumnBudget, algorithm: algorithm).data
        }
        let wide = winogradMinimumChannels, narrow = winogradMinimumChannels / 2
        XCTAssertNotEqual(run(wide, .winograd), run(wide, .im2col), "the paths must differ for this check to mean anything")
        XCTAssertEqual(run(wide, .automatic), run(wide, .winograd), "\(wide) channels: Winograd")
        XCTAssertEqual(run(narrow, .automatic), run(narrow, .im2col), "\(narrow) channels: im2col")
        XCTAssertEqual(run(wide, .automatic, kernel: [3, 1, 1]), run(wide, .im2col, kernel: [3, 1, 1]),
                       "a 1×1 spatial kernel: im2col")
        let bf16 = ComputePrecision.with(.bfloat16) { run(wide, .automatic) }
        XCTAssertEqual(bf16, ComputePrecision.with(.bfloat16) { run(wide, .im2col) }, "bf16: im2col (oneDNN's GEMMs)")
    }

    // MARK: Cached prefix (the VAEs' feature cache)

    private func frames(_ t: Tensor, _ range: Range<Int>) -> Tensor {
        let (B, C, F, H, W) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3], t.shape[4])
        var data = [Float]()
        for plane in 0..<(B * C) {
            let start: Int = (plane * F + range.lowerBound) * H * W
            let end: Int = (plane * F + range.upperBound) * H * W
            data.append(contentsOf: t.data[start..<end])
        }
        return Tensor(shape: [B, C, range.count, H, W], data: data)
    }

    private func concatFrames(_ parts: [Tensor]) -> Tensor {
        let first = parts[0]
        let (B, C, H, W) = (first.shape[0], first.shape[1], first.shape[3], first.shape[4])
        var data = [Float]()
        for plane in 0..<(B * C) {
            for part in parts {
                let F = part.shape[2]
                data += part.data[plane * F * H * W..<(plane + 1) * F * H * W]
            }
        }
        return Tensor(shape: [B, C, parts.map { $0.shape[2] }.reduce(0, +), H, W], data: data)
    }

    /// Runs a causal conv chunk by chunk, carrying `causalCacheTail` between chunks.
    private func chunkedCausalConv(_ x: Tensor, weight: Tensor, bias: Tensor, mode: TemporalPadMode,
                                   chunkSizes: [Int]) -> Tensor {
        var outputs = [Tensor]()
        var cache: Tensor? = nil
        var start = 0
        for size in chunkSizes {
            let chunk = frames(x, start..<start + size)
            outputs.append(conv3d(chunk, weight: weight, bias: bias, temporalPadding: .causal(2, mode),
                                  spatialPadding: .uniform(1), cache: cache))
            cache = causalCacheTail(chunk, previous: cache, count: 2)
            start += size
        }
        return concatFrames(outputs)
    }

    func testConv3dCachedPrefixEqualsFullSequence() {
        let x = GemmTestData.uniform([1, 3, 7, 5, 6], seed: 51)
        let w = GemmTestData.uniform([4, 3, 3, 3, 3], seed: 52)
        let b = GemmTestData.uniform([4], seed: 53)
        // Same dot products, possibly in another GEMM blocking: see dotTolerance.
        let tolerance = GemmTestData.dotTolerance(81)
        // Wan: zeros, chunks of 1 then 4 frames (its encoder), plus 1-frame chunks in between
        // (its decoder), which cache [previous last frame, this frame].
        let full = conv3d(x, weight: w, bias: b, temporalPadding: .causal(2, .zeros), spatialPadding: .uniform(1))
        for sizes in [[1, 4, 2], [1, 1, 1, 3, 1]] {
            let chunked = chunkedCausalConv(x, weight: w, bias: b, mode: .zeros, chunkSizes: sizes)
            XCTAssertEqual(chunked.shape, full.shape)
            GemmTestData.assertClose(chunked.data, full.data, tolerance: tolerance, "zeros chunks \(sizes)")
        }
        // CogVideoX: replicate padding of the first chunk only; later chunks see the cache.
        let fullReplicate = conv3d(x, weight: w, bias: b, temporalPadding: .causal(2, .replicate),
                                   spatialPadding: .uniform(1))
        let chunked = chunkedCausalConv(x, weight: w, bias: b, mode: .replicate, chunkSizes: [3, 2, 2])
        GemmTestData.assertClose(chunked.data, fullReplicate.data, tolerance: tolerance, "replicate chunks")
        // And the cache really is used: without it the second chunk differs.
        let noCache = conv3d(frames(x, 3..<5), weight: w, bias: b, temporalPadding: .causal(2, .zeros),
                             spatialPadding: .uniform(1))
        XCTAssertNotEqual(noCache.data, frames(full, 3..<5).data)
    }

    func testCacheTailKeepsLastFrames() {
        let a = GemmTestData.uniform([1, 2, 1, 2, 2], seed: 61)
        let b = GemmTestData.uniform([1, 2, 3, 2, 2], seed: 62)
        XCTAssertEqual(causalCacheTail(a, previous: nil, count: 2).shape, [1, 2, 1, 2, 2])
        XCTAssertEqual(causalCacheTail(b, previous: a, count: 2).data, frames(b, 1..<3).data)
        let mixed = causalCacheTail(a, previous: b, count: 2)  // [last of b, a]
        XCTAssertEqual(mixed.data, concatFrames([frames(b, 2..<3), a]).data)
    }
}
