import XCTest
@testable import Media

final class ContactSheetTests: XCTestCase {
    func testGridLayoutWithGap() throws {
        // Five 4×3 frames, each a flat colour, in 3 columns with a 2-pixel white gap → 3 × 2 grid.
        let colours: [RGB] = (0..<5).map { (i: Int) -> RGB in RGB(UInt8(40 * i + 10), UInt8(200 - 30 * i), 77) }
        let frames = colours.map { RGBImage(width: 4, height: 3, fill: $0) }
        let sheet = try ContactSheet.make(frames, columns: 3, gap: 2, background: .white)
        XCTAssertEqual(sheet.width, 3 * 4 + 4 * 2)
        XCTAssertEqual(sheet.height, 2 * 3 + 3 * 2)
        for (index, colour) in colours.enumerated() {
            let x0 = 2 + (index % 3) * 6, y0 = 2 + (index / 3) * 5
            XCTAssertEqual(sheet[x0, y0], colour, "frame \(index) top-left")
            XCTAssertEqual(sheet[x0 + 3, y0 + 2], colour, "frame \(index) bottom-right")
            XCTAssertEqual(sheet[x0 - 1, y0], RGB.white, "gap left of frame \(index)")
            XCTAssertEqual(sheet[x0 + 4, y0 + 2], RGB.white, "gap right of frame \(index)")
        }
        XCTAssertEqual(sheet[14, 7], RGB.white, "the sixth cell is empty")
    }

    func testDefaultColumnsAndCentringOfSmallerFrames() throws {
        let frames = (0..<17).map { _ in RGBImage(width: 2, height: 2, fill: .white) }
        let sheet = try ContactSheet.make(frames, gap: 0)
        XCTAssertEqual([sheet.width, sheet.height], [10, 8], "17 frames → ⌈√17⌉ = 5 columns, 4 rows")

        let mixed = try ContactSheet.make([RGBImage(width: 4, height: 4, fill: .white), RGBImage(width: 2, height: 2, fill: .white)],
                                          columns: 2, gap: 0)
        XCTAssertEqual(mixed[4, 0], .black)
        XCTAssertEqual(mixed[5, 1], .white, "a 2×2 frame in a 4×4 cell starts at (1, 1)")
        XCTAssertEqual(mixed[6, 2], .white)
        XCTAssertEqual(mixed[7, 3], .black)

        XCTAssertThrowsError(try ContactSheet.make([]))
        XCTAssertThrowsError(try ContactSheet.make(frames, columns: 0))
    }

    func testBoxAndNearestResize() throws {
        // 4×2 → 2×1: each output pixel averages a 2×2 block.
        let image = try RGBImage(width: 4, height: 2, pixels: [
            0, 0, 0, 10, 20, 30, 100, 100, 100, 200, 200, 200,
            2, 4, 6, 20, 40, 60, 0, 0, 0, 1, 1, 1,
        ])
        let box = try image.resized(width: 2, height: 1, filter: .box)
        XCTAssertEqual(box.pixels, [8, 16, 24, 75, 75, 75])  // (0+10+2+20)/4 = 8; (100+200+0+1)/4 = 75.25
        let nearest = try image.resized(width: 2, height: 1, filter: .nearest)
        XCTAssertEqual(nearest.pixels, [20, 40, 60, 1, 1, 1])  // centres (1, 1) and (3, 1)

        // 3 → 2 covers fractional pixels: output 0 = (p0 + 0.5 p1) / 1.5.
        let row = try RGBImage(width: 3, height: 1, pixels: [0, 0, 0, 90, 90, 90, 30, 30, 30])
        XCTAssertEqual(try row.resized(width: 2, height: 1).pixels, [30, 30, 30, 50, 50, 50])

        let up = try RGBImage(width: 1, height: 1, pixels: [1, 2, 3]).resized(width: 3, height: 2)
        XCTAssertEqual(up.pixels, [UInt8]([[UInt8]](repeating: [1, 2, 3], count: 6).joined()))
        XCTAssertThrowsError(try image.resized(width: 0, height: 1))
    }

    func testThumbnailKeepsAspect() throws {
        let image = testImage(width: 100, height: 40)
        let thumb = try image.thumbnail(maxSide: 32)
        XCTAssertEqual([thumb.width, thumb.height], [32, 13])
        XCTAssertEqual(try image.thumbnail(maxSide: 200), image, "never enlarges")
        XCTAssertEqual(try testImage(width: 1000, height: 1).thumbnail(maxSide: 10).height, 1)
    }
}
