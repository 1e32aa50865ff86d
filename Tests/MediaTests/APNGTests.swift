import Foundation
import XCTest
@testable import Media

final class APNGTests: XCTestCase {
    private func frames(_ count: Int, width: Int = 13, height: Int = 7) -> [RGBImage] {
        (0..<count).map { testImage(width: width, height: height, seed: $0 + 1) }
    }

    func testChunkSequenceAndSequenceNumbers() throws {
        let frames = frames(4)
        let texts = [PNGText(keyword: "parameters", text: "steps 20"), PNGText(keyword: "zoetrope", text: "{\"seed\":\"種\"}")]
        let data = try APNG.encode(frames: frames, fps: 16, texts: texts)
        let chunks = try PNGChunk.parse([UInt8](data))  // checks every CRC

        let types = chunks.map(\.type)
        XCTAssertEqual(Array(types.prefix(2)), ["IHDR", "acTL"])
        XCTAssertEqual(types.last, "IEND")
        XCTAssertEqual(types.filter { $0 == "fcTL" }.count, 4)
        XCTAssertEqual(types.filter { $0 == "tEXt" || $0 == "iTXt" }, ["tEXt", "iTXt"])
        // Frame 0: fcTL directly before the first IDAT; no IDAT after the first fdAT.
        let firstIDAT = try XCTUnwrap(types.firstIndex(of: "IDAT"))
        XCTAssertEqual(types[firstIDAT - 1], "fcTL")
        let firstFdAT = try XCTUnwrap(types.firstIndex(of: "fdAT"))
        XCTAssertFalse(types[firstFdAT...].contains("IDAT"))

        // acTL: 4 frames, loop forever.
        let actl = chunks[1].data
        XCTAssertEqual(actl.readBigEndianUInt32(at: 0), 4)
        XCTAssertEqual(actl.readBigEndianUInt32(at: 4), 0)

        // fcTL and fdAT share one counter 0, 1, 2, … without gaps.
        let sequence = chunks.filter { $0.type == "fcTL" || $0.type == "fdAT" }.map { $0.data.readBigEndianUInt32(at: 0) }
        XCTAssertEqual(sequence, (0..<UInt32(sequence.count)).map { $0 })

        for fctl in chunks.filter({ $0.type == "fcTL" }) {
            let d = fctl.data
            XCTAssertEqual(d.count, 26)
            XCTAssertEqual(d.readBigEndianUInt32(at: 4), 13)   // width
            XCTAssertEqual(d.readBigEndianUInt32(at: 8), 7)    // height
            XCTAssertEqual(d.readBigEndianUInt32(at: 12), 0)   // x offset
            XCTAssertEqual(d.readBigEndianUInt32(at: 16), 0)   // y offset
            XCTAssertEqual(Array(d[20..<24]), [0, 1, 0, 16])   // delay 1/16 s
            XCTAssertEqual(Array(d[24..<26]), [0, 0])          // dispose none, blend source
        }
    }

    func testFirstFrameReadsWithLibpngAndEveryFrameDecodes() throws {
        let frames = frames(3)
        let texts = [PNGText(keyword: "parameters", text: "fps 8")]
        let data = try APNG.encode(frames: frames, fps: 8, texts: texts)
        // A reader without APNG support (libpng) sees frame 0 and the text chunks.
        let decoded = try PNG.decode(data)
        XCTAssertEqual(decoded.image, frames[0])
        XCTAssertEqual(decoded.texts, texts)

        // Rebuild each later frame as a plain PNG (IHDR + its fdAT payloads as IDAT) and decode it.
        let chunks = try PNGChunk.parse([UInt8](data))
        var groups: [[PNGChunk]] = []
        for chunk in chunks {
            if chunk.type == "fcTL" { groups.append([]) }
            if chunk.type == "fdAT" { groups[groups.count - 1].append(PNGChunk(type: "IDAT", data: Array(chunk.data.dropFirst(4)))) }
        }
        XCTAssertEqual(groups.count, 3)
        for index in 1..<3 {
            let png = MiniPNG.assemble([chunks[0]] + groups[index] + [PNGChunk(type: "IEND", data: [])])
            XCTAssertEqual(try PNG.decode(Data(png)).image, frames[index], "frame \(index)")
        }
    }

    func testSingleFrameAnd1x1() throws {
        let one = [testImage(width: 1, height: 1)]
        let data = try APNG.encode(frames: one, fps: 1)
        XCTAssertEqual(try PNGChunk.parse([UInt8](data)).map(\.type), ["IHDR", "acTL", "fcTL", "IDAT", "IEND"])
        XCTAssertEqual(try PNG.decode(data).image, one[0])
    }

    func testFrameDelays() throws {
        XCTAssertTrue(try APNG.frameDelay(fps: 24) == (1, 24))
        XCTAssertTrue(try APNG.frameDelay(fps: 23.976) == (125, 2997))  // 1000 / 23976, exact
        XCTAssertTrue(try APNG.frameDelay(fps: 0.5) == (2, 1))
        let odd = try APNG.frameDelay(fps: 1 / 3)  // 3 s: not a 3-decimal rate, approximated
        // Tolerance: the approximation rounds the numerator, so it is within half a tick (1/den).
        XCTAssertEqual(Double(odd.numerator) / Double(odd.denominator), 3, accuracy: 0.5 / Double(odd.denominator))
        for bad in [0, -1, Double.nan, .infinity] {
            XCTAssertThrowsError(try APNG.frameDelay(fps: bad))
        }
        // Issue #19 item 2: 1e16 fps made `Int(millis)` trap. The shortest delay a frame can
        // have is 1/65535 s; any faster rate gets it.
        for fast in [1e16, 1e300, 65535.0, 1e6] {
            let delay = try APNG.frameDelay(fps: fast)
            XCTAssertGreaterThanOrEqual(Double(delay.denominator) / Double(delay.numerator), min(fast, 65535) * 0.999, "\(fast)")
        }
    }

    func testRejectsEmptyAndMixedSizes() {
        XCTAssertThrowsError(try APNG.encode(frames: [], fps: 8)) { XCTAssertEqual($0 as? MediaError, .noFrames(format: "APNG")) }
        XCTAssertThrowsError(try APNG.encode(frames: [testImage(width: 2, height: 2), testImage(width: 3, height: 2)], fps: 8)) {
            XCTAssertEqual($0 as? MediaError, .frameSizeMismatch(index: 1, expected: "2×2", got: "3×2"))
        }
    }
}
