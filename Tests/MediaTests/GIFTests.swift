import Foundation
import XCTest
@testable import Media

final class GIFTests: XCTestCase {
    func testLZWRoundTripIncludingTableResets() throws {
        // 60 000 pseudo-random bytes fill the 4096-code table many times (forcing clear codes);
        // a long run exercises long strings; small alphabets exercise small code sizes.
        var state: UInt32 = 12345
        let random = (0..<60_000).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(state >> 24)
        }
        let cases: [(String, [UInt8], Int)] = [
            ("random", random, 8),
            ("run", [UInt8](repeating: 7, count: 20_000), 8),
            ("two bits", random.map { $0 & 3 }, 2),
            ("one byte", [42], 8),
            ("empty", [], 8),
        ]
        for (name, input, minCodeSize) in cases {
            let encoded = GIFLZW.encode(input, minCodeSize: minCodeSize)
            XCTAssertEqual(try GIFTestReader.lzwDecode(encoded, minCodeSize: minCodeSize), input, name)
        }
        // Compression must actually happen on repetitive data: 20 000 equal bytes need ~200 codes.
        XCTAssertLessThan(GIFLZW.encode([UInt8](repeating: 7, count: 20_000), minCodeSize: 8).count, 400)
    }

    func testStructureDelaysAndLoop() throws {
        let frames = (0..<7).map { testImage(width: 11, height: 5, seed: $0) }
        let data = try GIF.encode(frames: frames, fps: 24, comments: ["parameters: a cat"])
        let gif = try GIFTestReader([UInt8](data))
        XCTAssertEqual(gif.width, 11)
        XCTAssertEqual(gif.height, 5)
        XCTAssertEqual(gif.globalPalette, GIFPalette.colors)
        XCTAssertEqual(gif.loopCount, 0, "NETSCAPE2.0 loop count 0 = forever")
        XCTAssertEqual(gif.comments, ["parameters: a cat"])
        XCTAssertEqual(gif.frames.count, 7)
        // 24 fps in centiseconds: running sums round(100 i / 24) → 4, 4, 5, 4, 4, 4, 4.
        XCTAssertEqual(gif.frames.map(\.delay), [4, 4, 5, 4, 4, 4, 4])
        for (index, frame) in gif.frames.enumerated() {
            XCTAssertEqual([frame.left, frame.top, frame.width, frame.height], [0, 0, 11, 5])
            XCTAssertEqual(frame.indices, GIFPalette.indices(for: frames[index]), "frame \(index)")
        }
        XCTAssertEqual(GIF.delaysInCentiseconds(frameCount: 3, fps: 100), [2, 2, 2], "floor of 2 cs")
    }

    func testPaletteExactImageRoundTrips() throws {
        // Every palette colour appears; dithering must not move any of them.
        var pixels: [UInt8] = []
        for c in GIFPalette.colors { pixels += [c.r, c.g, c.b] }
        let image = try RGBImage(width: 16, height: 16, pixels: pixels)
        let gif = try GIFTestReader([UInt8](try GIF.encode(frames: [image], fps: 10)))
        let decoded = gif.frames[0].indices.flatMap { i in [gif.globalPalette[Int(i)].r, gif.globalPalette[Int(i)].g, gif.globalPalette[Int(i)].b] }
        // The 4 greys sit in the cube's gaps and are reached only through their nearest cube
        // colours, so compare the 252 cube colours exactly.
        XCTAssertEqual(Array(decoded.prefix(252 * 3)), Array(pixels.prefix(252 * 3)))
    }

    func testDitherIsStableAndUnbiased() throws {
        XCTAssertEqual(Set(GIFPalette.bayer), Set(0..<64), "Bayer matrix is a permutation of 0…63")
        // A flat colour between levels maps to the same index pattern every time. Over a whole
        // 8×8 tile the mean of floor(x + t/64), t = 0…63, is x rounded down to 1/64 of a level:
        // at most 51/64 ≈ 0.8 below in 8-bit; green levels are 42.5 apart and stored rounded
        // (±0.5). Hence 1.5.
        let colour = RGB(100, 150, 37)
        let image = RGBImage(width: 16, height: 16, fill: colour)
        let a = GIFPalette.indices(for: image), b = GIFPalette.indices(for: image)
        XCTAssertEqual(a, b)
        let mean = a.reduce((0.0, 0.0, 0.0)) { m, i in
            let c = GIFPalette.colors[Int(i)]
            return (m.0 + Double(c.r), m.1 + Double(c.g), m.2 + Double(c.b))
        }
        XCTAssertEqual(mean.0 / 256, 100, accuracy: 1.5)
        XCTAssertEqual(mean.1 / 256, 150, accuracy: 1.5)
        XCTAssertEqual(mean.2 / 256, 37, accuracy: 1.5)
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try GIF.encode(frames: [], fps: 10))
        XCTAssertThrowsError(try GIF.encode(frames: [testImage(width: 2, height: 2)], fps: 0))
        XCTAssertThrowsError(try GIF.encode(frames: [testImage(width: 2, height: 2), testImage(width: 2, height: 3)], fps: 5))
    }
}
