import XCTest
import Reference
@testable import TensorCore

final class ElementwiseTests: XCTestCase {
    /// One IEEE float op (+ − × ÷) is correctly rounded, and rounding the exact Double
    /// result of two floats to Float gives the same value, so these compare with tolerance 0.
    private func checkBinary(_ a: [Int], _ b: [Int], file: StaticString = #filePath, line: UInt = #line) throws {
        let x = randomTensor(a, seed: 1)
        let y = randomTensor(b, seed: 2, in: 0.5...2)
        let cases: [(String, Tensor, (Double, Double) -> Double)] = [
            ("+", try x + y, { $0 + $1 }), ("-", try x - y, { $0 - $1 }), ("*", try x * y, { $0 * $1 }),
            ("/", try x / y, { $0 / $1 }), ("max", try Tensor.maximum(x, y), { Swift.max($0, $1) }),
        ]
        for (name, got, op) in cases {
            let want = Reference.broadcast(x.data, a, y.data, b, op)
            XCTAssertEqual(got.shape, want.shape, "\(a) \(name) \(b)", file: file, line: line)
            assertClose(got, want.data.map { Double(Float($0)) }, tolerance: 0, "\(a) \(name) \(b)", file: file, line: line)
        }
    }

    func testBroadcastingShapes() throws {
        try checkBinary([2, 3, 4], [2, 3, 4])          // same shape
        try checkBinary([2, 3, 4], [4])                // trailing dim
        try checkBinary([2, 3, 4], [3, 1])             // middle dim
        try checkBinary([1, 3, 1], [2, 1, 4])          // both sides broadcast
        try checkBinary([2, 3, 2, 3, 2], [1, 3, 1, 1, 1])  // per channel of [B, C, F, H, W]
        try checkBinary([2, 1, 5], [4, 1])             // general, rank mismatch
        try checkBinary([3], [2, 4, 1])
        try checkBinary([2, 3], [])                    // 0-d operand
        XCTAssertNil(Tensor.broadcastShape([2, 3], [4]))
        XCTAssertEqual(Tensor.broadcastShape([5, 1, 3], [4, 1]), [5, 4, 3])
    }

    func testLargeBroadcastUsesAllRows() throws {
        // Large enough for the parallel path; the per-channel factor makes every row distinct.
        let x = randomTensor([2, 16, 3, 20, 24], seed: 3)
        let g = randomTensor([16, 1, 1, 1], seed: 4)
        let want = Reference.broadcast(x.data, x.shape, g.data, g.shape, *)
        assertClose(try x * g, want.data.map { Double(Float($0)) }, tolerance: 0)
    }

    func testInPlaceAndScalarOps() throws {
        var x = randomTensor([2, 3, 4], seed: 5)
        let bias = randomTensor([4], seed: 6)
        let want = Reference.broadcast(x.data, x.shape, bias.data, bias.shape, +).data.map { Double(Float($0)) }
        let original = x
        try x += bias
        XCTAssertEqual(x.shape, [2, 3, 4])
        assertClose(x, want, tolerance: 0)
        x = original
        try x.multiplyInPlace(Tensor(shape: [3, 1], data: [1, 2, 3]))
        XCTAssertEqual(x[1, 2, 3], original[1, 2, 3] * 3)
        // Scalar ops are single roundings of a·s + b; exact against Float arithmetic.
        XCTAssertEqual((original * 2).data, original.data.map { $0 * 2 })
        XCTAssertEqual((original + 1.5).data, original.data.map { $0 + 1.5 })
        XCTAssertEqual((1 - original).data, original.data.map { 1 - $0 })
        XCTAssertEqual((original / 3).data, original.data.map { $0 / 3 })
        XCTAssertEqual((-original).data, original.data.map { -$0 })
        let c = original.clamped(min: -1, max: 0.5)
        XCTAssertEqual(c.data, original.data.map { Swift.min(Swift.max($0, -1), 0.5) })
        XCTAssertEqual(Tensor(shape: [3], data: [1, 2, 4]).sum(), 7)
    }

    func testModulationAndGatedResidual() throws {
        // x: [B, S, D], scale/shift/gate: [B, 1, D] and [B, D] and [D]
        let x = randomTensor([2, 5, 6], seed: 7)
        let y = randomTensor([2, 5, 6], seed: 8)
        for paramShape in [[2, 1, 6], [2, 6], [6]] {
            let scale = randomTensor(paramShape, seed: 9)
            let shift = randomTensor(paramShape, seed: 10)
            let p3 = paramShape.count == 1 ? [1, 1, 6] : [paramShape[0], 1, 6]
            let onePlus = Reference.broadcast(x.data, x.shape, scale.data, p3) { $0 * (1 + $1) }
            let want = zip(onePlus.data, Reference.broadcast(x.data, x.shape, shift.data, p3) { _, s in s }.data).map(+)
            // Three Float roundings on values of magnitude ≤ 2·3 + 2 = 8: |error| ≤ 3 ulp(8) ≈ 3e-6.
            assertClose(try x.modulated(scale: scale, shift: shift), want, tolerance: 3e-6, "\(paramShape)")
            let gated = Reference.broadcast(y.data, y.shape, scale.data, p3, *).data
            let wantGated = zip(x.data, gated).map { Double($0) + $1 }
            // Two roundings on values ≤ 2 + 4: |error| ≤ 2 ulp(8) ≈ 2e-6.
            assertClose(try x.addingGated(y, gate: scale), wantGated, tolerance: 2e-6, "\(paramShape)")
        }
    }

    /// Shapes that do not fit are bad input (they come from checkpoints): a typed error that
    /// names the operation, both shapes and what would be valid, and the operands unchanged.
    func testShapeMismatchesThrowTypedErrors() {
        let x = randomTensor([2, 3, 4], seed: 12)
        let wrong = randomTensor([5], seed: 13)
        XCTAssertThrowsError(try x + wrong) { error in
            XCTAssertEqual(error as? TensorShapeError,
                           TensorShapeError(operation: "a + b", shapes: [[2, 3, 4], [5]],
                                            expected: "shapes that broadcast: right-aligned, each dimension equal or 1"))
            XCTAssertTrue("\(error)".contains("a + b: shapes [2, 3, 4] and [5] do not fit"), "\(error)")
        }
        XCTAssertThrowsError(try Tensor.maximum(x, wrong))
        // In place, the result keeps self's shape: [4] fits, [2, 1, 1, 4] broadcasts but would grow it.
        var y = x
        XCTAssertThrowsError(try y.addInPlace(randomTensor([2, 1, 1, 4], seed: 14))) { error in
            XCTAssertEqual((error as? TensorShapeError)?.operation, "addInPlace")
        }
        XCTAssertThrowsError(try y *= wrong)
        XCTAssertEqual(y.data, x.data, "a failed in-place op leaves its operand as it was")
        // Modulation parameters: B·D or D elements, nothing else.
        XCTAssertThrowsError(try x.modulated(scale: randomTensor([3, 4], seed: 15), shift: wrong)) { error in
            let e = error as? TensorShapeError
            XCTAssertEqual(e?.operation, "modulated(scale:)")
            XCTAssertEqual(e?.shapes, [[2, 3, 4], [3, 4]])
            XCTAssertTrue(e?.expected.contains("B = 2, D = 4") == true, e?.expected ?? "")
        }
        XCTAssertThrowsError(try y.addGatedInPlace(randomTensor([2, 3, 5], seed: 16), gate: randomTensor([4], seed: 17)))
        XCTAssertThrowsError(try y.addGatedInPlace(x, gate: randomTensor([7], seed: 18)))
        XCTAssertThrowsError(try randomTensor([4], seed: 19).modulated(scale: wrong, shift: wrong))
        XCTAssertEqual(y.data, x.data)
        XCTAssertThrowsError(try x.expanded(to: [3, 3, 4]))
    }

    func testActivationsAgainstDouble() {
        let x = randomTensor([4, 1000], seed: 11, in: -8...8)
        // Float evaluation of exp/erf/tanh-based formulas on |x| ≤ 8: a few ulp of values ≤ 8
        // (ulp(8) ≈ 9.5e-7); 4e-6 allows four.
        let cases: [(Activation, (Double) -> Double)] = [
            (.silu, Reference.silu), (.gelu, Reference.gelu), (.geluTanh, Reference.geluTanh),
            (.quickGELU, Reference.quickGELU), (.sigmoid, Reference.sigmoid), (.tanh, { Foundation.tanh($0) }),
            (.relu, { Swift.max($0, 0) }),
        ]
        for (activation, f) in cases {
            assertClose(x.activated(activation), x.data.map { f(Double($0)) }, tolerance: 4e-6, "\(activation)")
        }
        XCTAssertEqual(Activation(configName: "gelu-approximate"), .geluTanh)
        XCTAssertEqual(Activation(configName: "quick_gelu"), .quickGELU)
        XCTAssertNil(Activation(configName: "mish"))
    }

    func testActivationsAgainstTorch() throws {
        let fixture = try OpsFixture.load()
        let x = try fixture("act_input")
        // torch's vectorised float kernels (SLEEF) and libm differ by ≤ 2 ulp; values ≤ 8 → 2e-6.
        assertClose(x.geluTanh(), try fixture("gelu_tanh").doubles, tolerance: 2e-6, "gelu tanh")
        assertClose(x.gelu(), try fixture("gelu_erf").doubles, tolerance: 2e-6, "gelu erf")
        assertClose(x.silu(), try fixture("silu").doubles, tolerance: 2e-6, "silu")
    }

    func testGEGLUUsesFirstHalfAsValue() {
        let x = randomTensor([2, 3, 8], seed: 12)
        var want: [Double] = []
        for row in 0..<6 {
            for j in 0..<4 {
                want.append(Double(x.data[row * 8 + j]) * Reference.gelu(Double(x.data[row * 8 + 4 + j])))
            }
        }
        let got = x.gated(.gelu)
        XCTAssertEqual(got.shape, [2, 3, 4])
        // Product of a ≤2 value and a few-ulp GELU: ≤ 4 ulp(4) ≈ 2e-6.
        assertClose(got, want, tolerance: 2e-6)
    }

    func testSoftmaxIsStableAndNormalised() {
        var x = randomTensor([3, 7, 129], seed: 13, in: -10...10)
        // Shift one row far up: a naive exp would overflow to inf.
        for j in 0..<129 { x.data[j] += 1000 }
        let got = x.softmax()
        // Probabilities ≤ 1 from Float exp (≤ 1 ulp) and a Double normaliser: 1e-6 ≈ 8 ulp(1).
        assertClose(got, Reference.softmax(x.data, width: 129), tolerance: 1e-6)
        let firstRowSum = got.data[0..<129].reduce(0.0) { $0 + Double($1) }
        XCTAssertEqual(firstRowSum, 1, accuracy: 1e-5)
    }
}
