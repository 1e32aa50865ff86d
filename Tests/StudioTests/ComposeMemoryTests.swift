// The compose screen's memory check (issue #20 finding 3): a size the machine cannot hold is
// marked invalid before ⏎, with a size that fits, and the estimate is shown as settings change.
import Engine
import Foundation
@testable import Studio
import XCTest

final class ComposeMemoryTests: XCTestCase {
    func testASizeTheMachineCannotHoldIsInvalidWithOneThatFits() throws {
        var s = ComposeSettings(capabilities: try StudioHarness.fixtureCapabilities())
        s.texts[.frames] = "17"
        s.texts[.size] = "1024x512"
        XCTAssertEqual(s.check(.size), .valid, "no memory figure yet: only the model's rules")
        let need = try XCTUnwrap(s.memoryEstimate).workingPeak.bytes
        s.availableMemoryBytes = need / 4
        guard case .invalid(let message, let suggestion) = s.check(.size) else {
            return XCTFail("\(need) bytes asked of \(need / 4) available was accepted")
        }
        XCTAssertTrue(message.hasPrefix("needs about"), message)
        XCTAssertTrue(message.hasSuffix("available"), message)
        XCTAssertNil(s.request(prompt: "p", negativePrompt: ""), "⏎ does not start it")
        let fitting = try XCTUnwrap(suggestion)
        XCTAssertTrue(s.acceptSuggestion(.size))
        XCTAssertEqual(s.text(.size), fitting)
        XCTAssertEqual(s.check(.size), .valid)
        let parts = fitting.split(separator: "x").compactMap { Int($0) }
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(Double(parts[0]) / Double(parts[1]), 2, accuracy: 0.25, "the aspect is kept: \(fitting)")
        XCTAssertNotNil(s.request(prompt: "p", negativePrompt: ""))
        // A typed size past any limit is named by the model's rules, never overflowed.
        s.texts[.size] = "\(Int.max)x16"
        if case .invalid(let message, _) = s.check(.size) {
            XCTAssertTrue(message.contains("width must be a multiple of"), message)
        } else { XCTFail("\(Int.max)x16 was accepted") }
    }

    func testTheEstimateIsShownBesideTheSettings() async throws {
        let studio = StudioHarness()
        await studio.send(.memoryAvailable(8 << 30))
        XCTAssertNotNil(studio.line(containing: "memory ≈"), studio.text)
        XCTAssertNotNil(studio.line(containing: "of 8.0 GiB available"), studio.text)
    }
}
