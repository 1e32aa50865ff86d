import Foundation
import XCTest
@testable import Media

final class PNGTests: XCTestCase {
    func testRoundTripIsPixelExactWithMetadata() throws {
        let image = testImage(width: 37, height: 23)
        let texts = [
            PNGText(keyword: "parameters", text: "a café, ©2025, 5° tilt\nSteps: 20, Seed: 1234"),
            PNGText(keyword: "zoetrope", text: #"{"prompt":"猫が走る 🐈‍⬛","seed":1234}"#),
            PNGText(keyword: "Comment", text: "한국어 — ελληνικά — emoji 🎞️"),
        ]
        let data = try PNG.encode(image, texts: texts)
        let decoded = try PNG.decode(data)
        XCTAssertEqual(decoded.image, image)
        XCTAssertEqual(decoded.texts, texts)
        XCTAssertEqual(decoded.texts.text(forKeyword: "zoetrope"), texts[1].text)

        // Latin-1 text goes into tEXt (Latin-1 bytes: é is one byte 0xE9), the rest into iTXt.
        let chunks = try PNGChunk.parse([UInt8](data))
        let textChunks = chunks.filter { ["tEXt", "zTXt", "iTXt"].contains($0.type) }
        XCTAssertEqual(textChunks.map(\.type), ["tEXt", "iTXt", "iTXt"])
        let tEXt = textChunks[0].data
        XCTAssertEqual(Array(tEXt.prefix(11)), Array("parameters".utf8) + [0])
        XCTAssertTrue(tEXt.contains(0xE9), "é must be stored as the Latin-1 byte 0xE9 in tEXt")
        XCTAssertFalse(tEXt.contains(0xC3), "tEXt must not hold UTF-8 (é would be C3 A9)")
        // Text chunks come before the image data so readers see them without decoding pixels.
        let firstIDAT = try XCTUnwrap(chunks.firstIndex { $0.type == "IDAT" })
        XCTAssertLessThan(try XCTUnwrap(chunks.firstIndex { $0.type == "tEXt" }), firstIDAT)
    }

    func testOnePixelAndOddSizesRoundTrip() throws {
        for (w, h) in [(1, 1), (1, 9), (9, 1), (7, 5), (129, 3)] {
            let image = testImage(width: w, height: h, seed: w * 31 + h)
            let decoded = try PNG.decode(try PNG.encode(image, compressionLevel: w % 10))
            XCTAssertEqual(decoded.image, image, "\(w)×\(h)")
            XCTAssertEqual(decoded.texts, [])
        }
    }

    func testFileWriteAndReadLeaveNoTemporaryFiles() throws {
        let folder = try temporaryFolder(self)
        let url = folder.appendingPathComponent("picture.png")
        let image = testImage(width: 16, height: 8)
        try PNG.write(image, to: url, texts: [PNGText(keyword: "parameters", text: "x")])
        try PNG.write(image, to: url, texts: [PNGText(keyword: "parameters", text: "overwritten")])
        let decoded = try PNG.read(contentsOf: url)
        XCTAssertEqual(decoded.image, image)
        XCTAssertEqual(decoded.texts, [PNGText(keyword: "parameters", text: "overwritten")])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["picture.png"])
    }

    func testUnwritablePathNamesTheFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent-zoetrope-folder/sub/picture.png")
        XCTAssertThrowsError(try PNG.write(testImage(width: 2, height: 2), to: url)) { error in
            guard case let MediaError.unwritable(path, _) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(path, url.path)
            XCTAssertTrue("\(error)".contains("/nonexistent-zoetrope-folder/sub/picture.png"))
        }
    }

    func testNotAPNGAndMissingFile() throws {
        let folder = try temporaryFolder(self)
        let text = folder.appendingPathComponent("notes.png")
        try Data("hello, this is text".utf8).write(to: text)
        XCTAssertThrowsError(try PNG.read(contentsOf: text)) { error in
            XCTAssertEqual(error as? MediaError, .notPNG(path: text.path))
            XCTAssertTrue("\(error)".contains("notes.png"))
        }
        let missing = folder.appendingPathComponent("missing.png")
        XCTAssertThrowsError(try PNG.read(contentsOf: missing)) { error in
            guard case let MediaError.unreadable(path, _) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(path, missing.path)
        }
        XCTAssertThrowsError(try PNG.decode(Data())) { XCTAssertEqual($0 as? MediaError, .notPNG(path: "<memory>")) }
    }

    func testTruncatedPNGGivesTruncatedErrorAtEveryCut() throws {
        let folder = try temporaryFolder(self)
        let data = try PNG.encode(testImage(width: 40, height: 30), texts: [PNGText(keyword: "k", text: "v")])
        // Cut inside the IHDR, inside the text chunk, inside the IDAT, and just before IEND.
        for cut in [12, 40, data.count / 2, data.count - 12, data.count - 1] {
            let url = folder.appendingPathComponent("cut\(cut).png")
            try data.prefix(cut).write(to: url)
            XCTAssertThrowsError(try PNG.read(contentsOf: url), "cut at \(cut)") { error in
                guard case let MediaError.truncatedPNG(path, _) = error else { return XCTFail("cut \(cut): \(error)") }
                XCTAssertEqual(path, url.path)
            }
        }
    }

    func testCorruptImageDataGivesCorruptError() throws {
        var bytes = [UInt8](try PNG.encode(testImage(width: 20, height: 20)))
        let chunks = try PNGChunk.parse(bytes)
        // Flip one byte inside the IDAT payload (the CRC no longer matches).
        let idatOffset = 8 + chunks.prefix { $0.type != "IDAT" }.reduce(0) { $0 + 12 + $1.data.count }
        bytes[idatOffset + 8 + 5] ^= 0xFF
        XCTAssertThrowsError(try PNG.decode(Data(bytes), source: "broken.png")) { error in
            guard case let MediaError.corruptPNG(path, reason) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(path, "broken.png")
            XCTAssertFalse(reason.isEmpty)
        }
    }

    func testInvalidKeywordsAreRejected() {
        for keyword in ["", String(repeating: "k", count: 80), " lead", "trail ", "dou  ble", "新しい", "tab\there"] {
            XCTAssertThrowsError(try PNG.encode(testImage(width: 1, height: 1),
                                                texts: [PNGText(keyword: keyword, text: "x")]), keyword) { error in
                guard case MediaError.invalidTextKeyword = error else { return XCTFail("\(keyword): \(error)") }
            }
        }
        XCTAssertNoThrow(try PNG.encode(testImage(width: 1, height: 1),
                                        texts: [PNGText(keyword: String(repeating: "k", count: 79), text: "")]))
    }

    // MARK: Reading formats Zoetrope never writes (hand-built PNGs with stored deflate blocks)

    func testReadsGray8Gray1AndGray16() throws {
        let gray8 = MiniPNG.file(width: 3, height: 1, bitDepth: 8, colorType: 0, rows: [[0, 128, 255]])
        XCTAssertEqual(try PNG.decode(Data(gray8)).image.pixels, [0, 0, 0, 128, 128, 128, 255, 255, 255])

        // 1-bit gray, 10 pixels 1010110011 packed MSB first, padded to two bytes.
        let gray1 = MiniPNG.file(width: 10, height: 1, bitDepth: 1, colorType: 0, rows: [[0b1010_1100, 0b1100_0000]])
        let bits = [1, 0, 1, 0, 1, 1, 0, 0, 1, 1]
        XCTAssertEqual(try PNG.decode(Data(gray1)).image.pixels, bits.flatMap { [UInt8($0 * 255), UInt8($0 * 255), UInt8($0 * 255)] })

        // 16-bit gray is scaled with rounding: v8 = round(v16 * 255 / 65535).
        let samples: [UInt16] = [0, 0x0080, 0x7FFF, 0x8080, 0xFFFF]
        let gray16 = MiniPNG.file(width: 5, height: 1, bitDepth: 16, colorType: 0,
                                  rows: [samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }])
        let expected = samples.map { UInt8((Double($0) * 255 / 65535).rounded()) }
        XCTAssertEqual(try PNG.decode(Data(gray16)).image.pixels, expected.flatMap { [$0, $0, $0] })
    }

    func testReadsPaletteWithTransparencyAndRGBA16AndGrayAlpha() throws {
        let plte = PNGChunk(type: "PLTE", data: [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30])
        let trns = PNGChunk(type: "tRNS", data: [0, 128])
        // 4-bit palette indices 3 2 1 0 → two bytes 0x32 0x10.
        let palette = MiniPNG.file(width: 4, height: 1, bitDepth: 4, colorType: 3, rows: [[0x32, 0x10]], extra: [plte, trns])
        XCTAssertEqual(try PNG.decode(Data(palette)).image.pixels,
                       [10, 20, 30, 0, 0, 255, 0, 255, 0, 255, 0, 0], "alpha from tRNS is dropped")

        // RGBA 16-bit, one pixel: each channel's high byte wins after rounding; alpha dropped.
        let rgba16 = MiniPNG.file(width: 1, height: 1, bitDepth: 16, colorType: 6,
                                  rows: [[0x12, 0x34, 0xAB, 0xCD, 0xFF, 0xFF, 0x00, 0x00]])
        let expected = [0x1234, 0xABCD, 0xFFFF].map { UInt8((Double($0) * 255 / 65535).rounded()) }
        XCTAssertEqual(try PNG.decode(Data(rgba16)).image.pixels, expected)

        let grayAlpha = MiniPNG.file(width: 2, height: 1, bitDepth: 8, colorType: 4, rows: [[7, 0, 200, 255]])
        XCTAssertEqual(try PNG.decode(Data(grayAlpha)).image.pixels, [7, 7, 7, 200, 200, 200])

        // 2-bit gray with a transparent level: expanded to 0, 85, 170, 255 with alpha dropped.
        let gray2 = MiniPNG.file(width: 4, height: 1, bitDepth: 2, colorType: 0, rows: [[0b00_01_10_11]],
                                 extra: [PNGChunk(type: "tRNS", data: [0, 1])])
        XCTAssertEqual(try PNG.decode(Data(gray2)).image.pixels, [0, 85, 170, 255].flatMap { [$0, $0, $0] as [UInt8] })

        let rgbTRNS = MiniPNG.file(width: 1, height: 1, bitDepth: 8, colorType: 2, rows: [[5, 6, 7]],
                                   extra: [PNGChunk(type: "tRNS", data: [0, 5, 0, 6, 0, 7])])
        XCTAssertEqual(try PNG.decode(Data(rgbTRNS)).image.pixels, [5, 6, 7])

        let rgba8 = MiniPNG.file(width: 1, height: 2, bitDepth: 8, colorType: 6, rows: [[1, 2, 3, 0], [4, 5, 6, 9]])
        XCTAssertEqual(try PNG.decode(Data(rgba8)).image.pixels, [1, 2, 3, 4, 5, 6])
    }

    func testReadsAdam7Interlaced() throws {
        // 2×2 Adam7: pass 1 holds (0,0), pass 6 holds (1,0), pass 7 holds row 1; passes 2–5 are empty.
        let p00: [UInt8] = [1, 2, 3], p10: [UInt8] = [4, 5, 6], p01: [UInt8] = [7, 8, 9], p11: [UInt8] = [10, 11, 12]
        let raw: [UInt8] = [0] + p00 + [0] + p10 + [0] + p01 + p11
        let file = MiniPNG.assemble([MiniPNG.ihdr(width: 2, height: 2, bitDepth: 8, colorType: 2, interlace: 1),
                                     PNGChunk(type: "IDAT", data: MiniPNG.zlibStored(raw)), PNGChunk(type: "IEND", data: [])])
        XCTAssertEqual(try PNG.decode(Data(file)).image.pixels, p00 + p10 + p01 + p11)
    }

    func testReadsTextZTXtAndITXtBeforeAndAfterImageData() throws {
        let tEXt = PNGChunk(type: "tEXt", data: Array("Title".utf8) + [0, 0x63, 0x61, 0x66, 0xE9])  // "café" in Latin-1
        let compressed = MiniPNG.zlibStored(Array("squeezed ± text".utf8).map { $0 })  // bytes re-read as Latin-1 below
        let zTXt = PNGChunk(type: "zTXt", data: Array("Note".utf8) + [0, 0] + compressed)
        let iTXt = PNGChunk(type: "iTXt", data: Array("zoetrope".utf8) + [0, 0, 0] + Array("ja".utf8) + [0, 0]
                                + Array("{\"p\":\"猫\"}".utf8))
        let file = MiniPNG.file(width: 1, height: 1, bitDepth: 8, colorType: 2, rows: [[9, 8, 7]],
                                extra: [tEXt, zTXt], after: [iTXt])
        let decoded = try PNG.decode(Data(file))
        XCTAssertEqual(decoded.image.pixels, [9, 8, 7])
        XCTAssertEqual(decoded.texts.map(\.keyword), ["Title", "Note", "zoetrope"])
        XCTAssertEqual(decoded.texts[0].text, "café")
        // zTXt is Latin-1: the UTF-8 bytes of "±" (C2 B1) read back as two Latin-1 characters.
        XCTAssertEqual(decoded.texts[1].text, "squeezed \u{C2}\u{B1} text")
        XCTAssertEqual(decoded.texts[2].text, "{\"p\":\"猫\"}")
    }

    func testChunkParserChecksCRC() throws {
        var bytes = [UInt8](try PNG.encode(testImage(width: 2, height: 2)))
        XCTAssertEqual(try PNGChunk.parse(bytes).map(\.type), ["IHDR", "IDAT", "IEND"])
        bytes[bytes.count - 1] ^= 1
        XCTAssertThrowsError(try PNGChunk.parse(bytes)) { error in
            guard case MediaError.corruptPNG = error else { return XCTFail("got \(error)") }
        }
        // The CRC of "IEND" with no data is the well-known AE 42 60 82.
        XCTAssertEqual(PNGChunk(type: "IEND", data: []).encoded.suffix(4), [0xAE, 0x42, 0x60, 0x82])
    }
}
