// The `zoetrope` PNG text chunk: round trip, verbatim request, and clear errors.
import Foundation
import XCTest
@testable import HistoryStore

final class MetadataTests: XCTestCase {
    func testChunkRoundTrip() throws {
        var settings = sampleSettings(3, seed: UInt64.max - 1)
        settings.prompt = "quotes \" and \\ backslash, {braces} [brackets] ünïcødé"
        settings.requestJSON = #"{"guidance": 5.50, "nested": {"list": [1, "}", 2]}, "seed": 18446744073709551614}"#
        let chunk = ZoetropeMetadata.textChunk(for: settings, runID: "run-1")
        XCTAssertEqual(chunk.keyword, "zoetrope")
        let chunks = [(keyword: "parameters", text: "a1111 style text"), chunk]
        let back = try HistoryStore.importSettings(fromPNGTextChunks: chunks)
        XCTAssertEqual(back, settings)
        XCTAssertEqual(back.requestJSON, settings.requestJSON, "5.50 stays 5.50: the request is not re-serialised")
    }

    func testNonJSONRequestIsKeptAsString() throws {
        var settings = sampleSettings(1)
        settings.requestJSON = "not json at all"
        let chunk = ZoetropeMetadata.textChunk(for: settings)
        let back = try ZoetropeMetadata.settings(fromJSON: chunk.text)
        XCTAssertEqual(back.requestJSON, "\"not json at all\"", "an invalid request is embedded as a JSON string")
    }

    func testMissingChunkNamesWhatWasFound() {
        XCTAssertThrowsError(try HistoryStore.importSettings(fromPNGTextChunks: [(keyword: "parameters", text: "x")])) { error in
            XCTAssertEqual(error as? HistoryStoreError, .noZoetropeMetadata(keywordsFound: ["parameters"]))
            XCTAssertTrue("\(error)".contains("parameters"))
        }
    }

    func testBadMetadataNamesTheKey() {
        XCTAssertThrowsError(try ZoetropeMetadata.settings(fromJSON: #"{"format":"zoetrope-run","version":1}"#)) { error in
            XCTAssertTrue("\(error)".contains("\"model\""), "message: \(error)")
        }
        XCTAssertThrowsError(try ZoetropeMetadata.settings(fromJSON: "{not json")) { error in
            guard case .badMetadata = error as? HistoryStoreError else { return XCTFail("\(error)") }
        }
        var text = ZoetropeMetadata.textChunk(for: sampleSettings()).text
        text = text.replacingOccurrences(of: "\"format\":\"zoetrope-run\"", with: "\"format\":\"comfyui\"")
        XCTAssertThrowsError(try ZoetropeMetadata.settings(fromJSON: text)) { error in
            XCTAssertTrue("\(error)".contains("comfyui"), "message: \(error)")
        }
    }

    func testRawJSONSlicer() {
        let text = #"{ "a" : "x\"}" , "request" : [ {"k": "]"} , 2 ] , "z": 1 }"#
        XCTAssertEqual(RawJSON.value(ofKey: "request", inObject: text), #"[ {"k": "]"} , 2 ]"#)
        XCTAssertEqual(RawJSON.value(ofKey: "z", inObject: text), "1")
        XCTAssertNil(RawJSON.value(ofKey: "missing", inObject: text))
        XCTAssertNil(RawJSON.value(ofKey: "a", inObject: "[1, 2]"))
    }
}
