import XCTest
import Foundation
@testable import Studio

final class PictureTests: XCTestCase {
    /// 2×2 pixels: red, green / blue, white.
    let quad = PixelImage(width: 2, height: 2, rgb: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])

    func testHalfBlockTruecolorPutsUpperPixelInForeground() {
        var g = CellGrid(width: 2, height: 1)
        CellPictureRenderer.draw(quad, into: &g, rect: Rect(row: 0, column: 0, width: 2, height: 1), mode: .halfBlockTruecolor)
        XCTAssertEqual(g[0, 0], Cell("▀", style: CellStyle(foreground: .rgb(255, 0, 0), background: .rgb(0, 0, 255))))
        XCTAssertEqual(g[0, 1], Cell("▀", style: CellStyle(foreground: .rgb(0, 255, 0), background: .rgb(255, 255, 255))))
    }

    func testHalfBlock256UsesCubeEntriesForPureColours() {
        var g = CellGrid(width: 2, height: 1)
        CellPictureRenderer.draw(quad, into: &g, rect: Rect(row: 0, column: 0, width: 2, height: 1), mode: .halfBlock256)
        // Pure colours sit on cube corners: 16 + 36r + 6g + b; dithering (±20) cannot move them.
        XCTAssertEqual(g[0, 0].style, CellStyle(foreground: .indexed(196), background: .indexed(21)))
        XCTAssertEqual(g[0, 1].style, CellStyle(foreground: .indexed(46), background: .indexed(231)))
    }

    func testPaletteQuantisation() {
        XCTAssertEqual(Palette256.nearest(0, 0, 0), 16)
        XCTAssertEqual(Palette256.nearest(255, 255, 255), 231)
        XCTAssertEqual(Palette256.nearest(128, 128, 128), 244, "mid grey goes to the grey ramp")
        XCTAssertEqual(Palette256.rgb(of: 196).0, 255)
    }

    func testOrderedDitheringIsStableAndMixesLevels() {
        // A flat colour between two cube levels: the same input always gives the same cells,
        // and the Bayer pattern mixes both neighbouring levels.
        let flat = PixelImage(width: 8, height: 8, rgb: [UInt8](repeating: 155, count: 8 * 8 * 3))
        var a = CellGrid(width: 8, height: 4), b = CellGrid(width: 8, height: 4)
        let rect = Rect(row: 0, column: 0, width: 8, height: 4)
        CellPictureRenderer.draw(flat, into: &a, rect: rect, mode: .halfBlock256)
        CellPictureRenderer.draw(flat, into: &b, rect: rect, mode: .halfBlock256)
        XCTAssertEqual(a, b)
        let colours = Set(a.cells.flatMap { [$0.style.foreground, $0.style.background] })
        XCTAssertGreaterThan(colours.count, 1, "dithering mixes levels")
    }

    func testFittingKeepsAspectRatio() {
        // A square image in a wide rectangle: rows are half the columns (cells are 1×2 pixels).
        let size = CellPictureRenderer.fittedSize(imageWidth: 64, imageHeight: 64,
                                                  in: Rect(row: 0, column: 0, width: 80, height: 20))
        XCTAssertEqual(size.rows, 20)
        XCTAssertEqual(size.columns, 40)
    }

    func testASCIIRamp() {
        let img = PixelImage(width: 2, height: 1, rgb: [0, 0, 0, 255, 255, 255])
        var g = CellGrid(width: 2, height: 1)
        CellPictureRenderer.draw(img, into: &g, rect: Rect(row: 0, column: 0, width: 2, height: 1), mode: .plainASCII)
        XCTAssertEqual(g.text(ofRow: 0), " @")
    }

    func testSixelStructure() {
        let img = PixelImage(width: 4, height: 8, rgb: [UInt8](repeating: 255, count: 4 * 8 * 3))
        let s = String(decoding: SixelEncoder.encode(img), as: UTF8.self)
        XCTAssertTrue(s.hasPrefix("\u{1B}P0;1;0q\"1;1;4;8"), s)
        XCTAssertTrue(s.hasSuffix("\u{1B}\\"))
        XCTAssertTrue(s.contains("#0;2;100;100;100"), "the picture's one colour, white, is register 0 at 100%")
        XCTAssertFalse(s.contains("#1;"), "one colour, one register")
        // 8 rows = 2 bands, each ended by '-'.
        XCTAssertEqual(s.filter { $0 == "-" }.count, 2)
        // First band: all 6 bits set (~ = 63+63), 4 columns = a run "!4~".
        XCTAssertTrue(s.contains("#0!4~"), s)
        // Second band has 2 rows: bits 0–1 = 63+3 = 'B'.
        XCTAssertTrue(s.contains("#0!4B"), s)
        let body = s.dropFirst(2).dropLast(2)
        XCTAssertFalse(body.contains("\u{1B}"), "no escape inside the sixel data")
    }

    /// The palette is the picture's own: a picture of few colours keeps them exactly, a smooth
    /// picture of 4,096 colours stays within a few levels (the studio's frames are such), and
    /// never more than 256 registers.
    func testSixelPaletteFitsThePicture() {
        var few = [UInt8]()
        let colours: [(UInt8, UInt8, UInt8)] = [(10, 20, 200), (250, 40, 30), (12, 200, 90), (0, 0, 0)]
        for i in 0..<(16 * 16) { let c = colours[i % 4]; few += [c.0, c.1, c.2] }
        let exact = SixelPalette(PixelImage(width: 16, height: 16, rgb: few))
        XCTAssertEqual(exact.colours.count, 4)
        for c in colours {
            let r = exact.colours[exact.register(c.0, c.1, c.2)]
            XCTAssertEqual([r.r, r.g, r.b], [Int(c.0), Int(c.1), Int(c.2)], "a colour of a 4-colour picture is kept exactly")
        }

        // A 64×64 gradient: red across, green down, blue along the diagonal (4,096 colours).
        var smooth = [UInt8]()
        for y in 0..<64 { for x in 0..<64 { smooth += [UInt8(x * 4), UInt8(y * 4), UInt8((x + y) * 2)] } }
        let image = PixelImage(width: 64, height: 64, rgb: smooth)
        let palette = SixelPalette(image)
        XCTAssertLessThanOrEqual(palette.colours.count, 256)
        var squared = 0.0
        for i in 0..<(64 * 64) {
            let c = palette.colours[palette.register(smooth[3 * i], smooth[3 * i + 1], smooth[3 * i + 2])]
            for (a, b) in zip([c.r, c.g, c.b], smooth[(3 * i)..<(3 * i + 3)]) { squared += Double((a - Int(b)) * (a - Int(b))) }
        }
        let psnr = 10 * log10(255 * 255 / (squared / Double(64 * 64 * 3)))
        // Measured: 35.9 dB (the 6×6×6 cube, undithered, gives this gradient 22.7 dB).
        XCTAssertGreaterThan(psnr, 34, "the palette's rendering of a smooth 4,096-colour picture")
    }

    func testKittyChunksAndPayload() throws {
        let img = PixelImage(width: 40, height: 40, rgb: (0..<(40 * 40 * 3)).map { UInt8($0 % 251) })
        let s = String(decoding: KittyEncoder.encode(img, id: 9, columns: 20, rows: 10), as: UTF8.self)
        let chunks = s.components(separatedBy: "\u{1B}\\").filter { !$0.isEmpty }
        XCTAssertGreaterThan(chunks.count, 1, "4800 bytes → 6400 base64 characters → 2 chunks")
        XCTAssertTrue(chunks[0].hasPrefix("\u{1B}_Ga=T,f=24,s=40,v=40,i=9,c=20,r=10,q=2,C=1,m=1;"), chunks[0])
        XCTAssertTrue(chunks.last!.hasPrefix("\u{1B}_Gm=0;"))
        var payload = ""
        for chunk in chunks {
            let data = chunk[chunk.index(after: chunk.firstIndex(of: ";")!)...]
            XCTAssertLessThanOrEqual(data.count, KittyEncoder.chunkSize)
            payload += data
        }
        XCTAssertEqual(Data(base64Encoded: payload).map { [UInt8]($0) }, img.rgb)
        XCTAssertEqual(String(decoding: KittyEncoder.delete(id: 9), as: UTF8.self), "\u{1B}_Ga=d,d=I,i=9,q=2\u{1B}\\")
    }

    func testPixelTierReturnsPictureAndEncoderSkipsUnchanged() {
        let encoder = PictureEncoder(tier: .kitty)
        let rect = Rect(row: 2, column: 3, width: 10, height: 5)
        XCTAssertEqual(encoder.overlays(for: (rect, quad)).first?.row, 2)
        XCTAssertTrue(encoder.overlays(for: (rect, quad)).isEmpty, "the same picture is not sent again")
        XCTAssertEqual(encoder.overlays(for: nil).first?.bytes, KittyEncoder.delete(id: PictureEncoder.kittyImageID))
    }

    /// Issue #20 item 2: sixel pictures stayed under help, history and dialogs. When a sixel
    /// picture goes away or moves, the cells it covered are written again.
    func testSixelPicturesAreErasedWhenCoveredOrMoved() {
        let encoder = PictureEncoder(tier: .sixel, cellPixels: (8, 17))
        let rect = Rect(row: 2, column: 3, width: 10, height: 5)
        let first = encoder.overlays(for: (rect, quad))
        XCTAssertEqual(first.count, 1)
        XCTAssertNil(first[0].repaintRows)
        XCTAssertFalse(first[0].bytes.isEmpty)
        // An overlay (no picture this frame): rows 2..<7 are repainted, nothing drawn.
        XCTAssertEqual(encoder.overlays(for: nil), [GraphicsOverlay(row: 2, column: 3, bytes: [], repaintRows: 2..<7)])
        XCTAssertEqual(encoder.overlays(for: nil), [], "nothing left to erase")
        // Back: drawn again; then moved: the old place is repainted before the new picture.
        XCTAssertEqual(encoder.overlays(for: (rect, quad)).count, 1)
        let moved = Rect(row: 4, column: 3, width: 10, height: 5)
        let overlays = encoder.overlays(for: (moved, quad))
        XCTAssertEqual(overlays.map(\.repaintRows), [2..<7, nil])
        XCTAssertEqual(overlays.last?.row, 4)
        // After a resize the encoder forgets: the same picture is sent again.
        encoder.forget()
        XCTAssertEqual(encoder.overlays(for: (moved, quad)).count, 1)
    }

    /// Issue #20 item 1: a sixel picture is scaled to the cell size the terminal has (xterm
    /// 8×17 from TIOCGWINSZ), so it fits its rectangle instead of running off the screen.
    func testSixelPictureIsScaledToTheCellSize() {
        let encoder = PictureEncoder(tier: .sixel, cellPixels: (8, 17))
        let bytes = encoder.overlays(for: (Rect(row: 0, column: 0, width: 10, height: 5), quad))[0].bytes
        // The raster attributes say the picture's size: "1;1;80;85.
        XCTAssertNotNil(String(decoding: bytes, as: UTF8.self).range(of: "\"1;1;80;85"))
        // 85 rows are 15 bands (14 of six rows and one of one).
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self).filter { $0 == "-" }.count, 15)
    }

    /// A playing clip is encoded once per frame: showing a frame again reuses its bytes, and a
    /// new cell size encodes again.
    func testSixelFramesAreEncodedOncePerFrame() {
        let encoder = PictureEncoder(tier: .sixel, cellPixels: (8, 17))
        let rect = Rect(row: 0, column: 0, width: 10, height: 5)
        var other = quad
        other.rgb[0] = 255 &- other.rgb[0]
        let first = encoder.overlays(for: (rect, quad))[0].bytes
        _ = encoder.overlays(for: (rect, other))
        XCTAssertEqual(encoder.overlays(for: (rect, quad))[0].bytes, first, "the same frame, the same bytes")
        XCTAssertEqual(encoder.encodedCount, 2, "two frames, two encodings")
        encoder.cellPixels = (10, 20)
        XCTAssertEqual(encoder.encodedCount, 0, "a new cell size drops what was encoded for the old one")
        let larger = encoder.overlays(for: (rect, other))[0].bytes
        XCTAssertNotNil(String(decoding: larger, as: UTF8.self).range(of: "\"1;1;100;100"))
    }
}
