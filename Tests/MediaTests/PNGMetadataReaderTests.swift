import Foundation
import XCTest
@testable import Media

/// `PNGMetadataReader` reads text chunks without decoding pixels (issue #19: reading the
/// settings of a 44-byte PNG declaring a huge image took 2.1 GB).
final class PNGMetadataReaderTests: XCTestCase {
    func testReadsWhatTheEncoderWritesLikeTheFullDecode() throws {
        let texts = [PNGText(keyword: "parameters", text: "a red circle\nSteps: 20"),
                     PNGText(keyword: "zoetrope", text: "{\"prompt\":\"猫 ✓\"}")]
        let data = try PNG.encode(RGBImage(width: 3, height: 2), texts: texts)
        XCTAssertEqual(try PNGMetadataReader.texts(in: [UInt8](data)), texts)
        XCTAssertEqual(try PNG.decode(data).texts, texts)
    }

    func testAHugeDeclaredImageIsNeverDecoded() throws {
        // IHDR says 1,000,000 × 1,000,000 RGB (3 TB of pixels); there is no image data at all.
        let file = PNGChunk.signature
            + MiniPNG.ihdr(width: 1_000_000, height: 1_000_000, bitDepth: 8, colorType: 2).encoded
            + PNGChunk(type: "tEXt", data: Array("zoetrope\u{0}{}".utf8)).encoded
            + PNGChunk(type: "IEND", data: []).encoded
        XCTAssertEqual(try PNGMetadataReader.texts(in: file), [PNGText(keyword: "zoetrope", text: "{}")])
        // The decoding path cannot read it: the reader takes another road.
        XCTAssertThrowsError(try PNG.decode(Data(file)))
    }

    func testCompressedTextsAreInflatedWithinALimit() throws {
        let json = "{\"prompt\":\"a blue square moving up\"}"
        let ztxt = PNGChunk(type: "zTXt", data: Array("zoetrope".utf8) + [0, 0] + MiniPNG.zlibStored(Array(json.utf8)))
        let itxt = PNGChunk(type: "iTXt", data: Array("note".utf8) + [0, 1, 0] + Array("en".utf8) + [0]
                                + Array("Notiz".utf8) + [0] + MiniPNG.zlibStored(Array("猫 ✓".utf8)))
        let file = PNGChunk.signature + MiniPNG.ihdr(width: 1, height: 1, bitDepth: 8, colorType: 2).encoded
            + ztxt.encoded + itxt.encoded + PNGChunk(type: "IEND", data: []).encoded
        XCTAssertEqual(try PNGMetadataReader.texts(in: file),
                       [PNGText(keyword: "zoetrope", text: json), PNGText(keyword: "note", text: "猫 ✓")])

        // Larger than the limit: refused, naming the chunk and the limit.
        XCTAssertThrowsError(try PNGMetadataReader.texts(in: file, source: "bomb.png", textLimit: 16)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("bomb.png") && message.contains("zTXt") && message.contains("16 bytes"), message)
        }
        // Corrupt compressed data: refused, not read as garbage.
        var bad = ztxt
        bad.data[bad.data.count - 1] ^= 0xFF  // the Adler-32 no longer matches
        let corrupt = PNGChunk.signature + bad.encoded + PNGChunk(type: "IEND", data: []).encoded
        XCTAssertThrowsError(try PNGMetadataReader.texts(in: corrupt, source: "c.png")) { error in
            XCTAssertTrue("\(error)".contains("corrupt"), "\(error)")
        }
    }

    func testAKeywordWithoutItsNULIsAnErrorNotACrash() {
        let file = PNGChunk.signature + PNGChunk(type: "iTXt", data: Array("zoetrope".utf8)).encoded
        XCTAssertThrowsError(try PNGMetadataReader.texts(in: file, source: "k.png")) { error in
            XCTAssertTrue("\(error)".contains("keyword"), "\(error)")
        }
        let cut = PNGChunk.signature + PNGChunk(type: "iTXt", data: Array("zoetrope".utf8) + [0, 0]).encoded
        XCTAssertThrowsError(try PNGMetadataReader.texts(in: cut, source: "k.png"))
    }

    func testAFIFOInPlaceOfThePNGIsRefusedNotWaitedOn() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-meta-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("frame.png")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let done = DispatchSemaphore(value: 0)
        Thread {
            do {
                _ = try PNGMetadataReader.texts(contentsOf: fifo)
                XCTFail("a FIFO was read as a PNG")
            } catch {
                XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
            }
            done.signal()
        }.start()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "reading the FIFO blocked")
    }

    /// Issue #19: decoding allocated the declared image before reading a byte of it.
    func testDecodingRefusesImpossibleSizesBeforeAllocating() {
        let idat = PNGChunk(type: "IDAT", data: MiniPNG.zlibStored([0, 0, 0, 0]))
        let iend = PNGChunk(type: "IEND", data: [])
        // 4000 × 4000 RGB (48 MB of pixels) declared in a file of under 100 bytes.
        let small = PNGChunk.signature + MiniPNG.ihdr(width: 4000, height: 4000, bitDepth: 8, colorType: 2).encoded
            + idat.encoded + iend.encoded
        XCTAssertThrowsError(try PNG.decode(Data(small), source: "small.png")) { error in
            XCTAssertTrue("\(error)".contains("cannot hold a 4000 x 4000 image"), "\(error)")
        }
        // 20000 × 20000, even 1-bit gray (a file of 50 kB could hold it): more than Zoetrope reads.
        let large = PNGChunk.signature + MiniPNG.ihdr(width: 20000, height: 20000, bitDepth: 1, colorType: 0).encoded
            + idat.encoded + iend.encoded
        XCTAssertThrowsError(try PNG.decode(Data(large), source: "large.png")) { error in
            XCTAssertTrue("\(error)".contains("20000 x 20000 pixels, more than"), "\(error)")
        }
    }

    /// Found by tools/fuzz/run.sh png: a 1 kB file whose text chunk declares 1.9 GB made
    /// libpng allocate 1.9 GB before reading it. Now no chunk may be longer than what follows it.
    func testAChunkLongerThanTheFileIsRefusedBeforeItsBufferIsAllocated() throws {
        var file = PNGChunk.signature + MiniPNG.ihdr(width: 16, height: 16, bitDepth: 8, colorType: 2).encoded
        file += [0x73, 0x00, 0x00, 0x45] + Array("tEXt".utf8) + Array("parameters\u{0}a red circle".utf8)
        XCTAssertThrowsError(try PNG.decode(Data(file), source: "long-chunk.png")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("long-chunk.png"), message)
            XCTAssertTrue(message.contains("chunk tEXt at byte 33 declares 1929379909 bytes"),
                          "refused for its length, not read until the end: \(message)")
        }
        XCTAssertThrowsError(try PNGMetadataReader.texts(in: file, source: "long-chunk.png"))
    }
}
