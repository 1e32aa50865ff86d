import XCTest
@testable import Media

final class FloatConversionTests: XCTestCase {
    /// Golden bytes from numpy 2 / torch 2.15 (float32), see the values in each test:
    ///   (np.array(xs, dtype=np.float32) * 255).round().astype("uint8")
    /// The first six inputs hit k + 0.5 exactly in float32, so half-to-even matters
    /// (0.5 → 0, 2.5 → 2, …): `(x * 255).rounded()` (half away from zero) would give 1, 3, 5.
    func testUnitRangeMatchesNumpyRoundHalfToEven() throws {
        let xs: [Float] = [0.0019607844296842813, 0.0058823530562222, 0.009803921915590763,
                           0.013725490309298038, 0.01764705963432789, 0.021568628028035164,
                           0.0, 1.0, 0.25, 0.75, 0.12300000339746475, 0.9990000128746033]
        let numpy: [UInt8] = [0, 2, 2, 4, 4, 6, 0, 255, 64, 191, 31, 255]
        let image = try RGBImage(floats: xs, width: 4, height: 1)
        XCTAssertEqual(image.pixels, numpy)
    }

    /// torch: ((t * 0.5 + 0.5).clamp(0, 1).numpy() * 255).round().astype("uint8"), diffusers'
    /// `denormalize` followed by `numpy_to_pil`; out-of-range values clamp, NaN becomes 0.
    func testSignedRangeMatchesDiffusersDenormalize() throws {
        let xs: [Float] = [-1.0, -0.5, 0.0, 0.3, 1.0, 1.5, -2.0, 0.0039215684, .nan]
        let expected: [UInt8] = [0, 64, 128, 166, 255, 255, 0, 128, 0]
        let image = try RGBImage(floats: xs, width: 3, height: 1, range: .signedUnit)
        XCTAssertEqual(image.pixels, expected)
    }

    func testPlanarLayoutsMatchInterleaved() throws {
        let (w, h, f) = (3, 2, 2)
        // value(frame, y, x, channel) on a 1/255 grid, so conversion is exact.
        func value(_ fr: Int, _ y: Int, _ x: Int, _ c: Int) -> Float { Float((fr * 50 + y * 20 + x * 5 + c) % 256) / 255 }
        var fhwc: [Float] = [], cfhw: [Float] = [], chw: [Float] = []
        for fr in 0..<f { for y in 0..<h { for x in 0..<w { for c in 0..<3 { fhwc.append(value(fr, y, x, c)) } } } }
        for c in 0..<3 { for fr in 0..<f { for y in 0..<h { for x in 0..<w { cfhw.append(value(fr, y, x, c)) } } } }
        for c in 0..<3 { for y in 0..<h { for x in 0..<w { chw.append(value(1, y, x, c)) } } }
        let a = try RGBImage.frames(floats: fhwc, frameCount: f, width: w, height: h, layout: .fhwc)
        let b = try RGBImage.frames(floats: cfhw, frameCount: f, width: w, height: h, layout: .cfhw)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a[1], try RGBImage(floats: chw, width: w, height: h, layout: .chw))
        XCTAssertEqual(a[1][2, 1], RGB(80, 81, 82))  // 50 + 20 + 10 + c
    }

    func testWrongCountsThrow() {
        XCTAssertThrowsError(try RGBImage(floats: [0, 0], width: 1, height: 1))
        XCTAssertThrowsError(try RGBImage(width: 2, height: 2, pixels: [0, 0, 0]))
        XCTAssertThrowsError(try RGBImage(width: 0, height: 2, pixels: []))
        XCTAssertThrowsError(try RGBImage.frames(floats: [Float](repeating: 0, count: 11), frameCount: 2, width: 1, height: 2))
    }
}
