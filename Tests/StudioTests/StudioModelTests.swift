import XCTest
import Engine
@testable import Studio

/// Which model the studio starts with: `--model`, else `$ZOETROPE_MODEL`, else the bundled one.
final class StudioModelTests: XCTestCase {
    func testFlagThenEnvironmentThenBundled() {
        let env = [Studio.modelVariable: "env-model"]
        XCTAssertEqual(Studio.initialModel(flag: "flag-model", environment: env), "flag-model")
        XCTAssertEqual(Studio.initialModel(flag: nil, environment: env), "env-model")
        XCTAssertEqual(Studio.initialModel(flag: "  ", environment: env), "env-model")
        XCTAssertEqual(Studio.initialModel(flag: nil, environment: [:]), JobRequest.bundledModelID)
        XCTAssertEqual(Studio.initialModel(flag: nil, environment: [Studio.modelVariable: ""]), JobRequest.bundledModelID)
    }

    func testPathsAreMadeAbsolute() {
        XCTAssertEqual(Studio.initialModel(flag: "Tests/Fixtures/../Fixtures/wan/pipeline", environment: [:],
                                           currentDirectory: "/repo"), "/repo/Tests/Fixtures/wan/pipeline")
        XCTAssertEqual(Studio.initialModel(flag: "/models/wan/", environment: [:]), "/models/wan")
    }

    func testStartingModelFlowsIntoTheSubmittedRequest() async throws {
        let h = StudioHarness(model: "/models/wan")
        XCTAssertNotNil(h.line(containing: "model: /models/wan"), h.text)
        await h.type("a red square")
        await h.press(.enter)
        XCTAssertEqual(h.service.submitted.first?.model, "/models/wan")
    }
}

/// Found by the tmux test: a model folder path ran over the header's queue counts, and the
/// settings and history showed its least telling start.
final class LongModelPathTests: XCTestCase {
    let path = "/work/wt/studio/Tests/Fixtures/wan/pipeline"

    func testKeepingEnd() {
        XCTAssertEqual(DisplayWidth.keepingEnd(of: "short", fitting: 10), "short")
        XCTAssertEqual(DisplayWidth.keepingEnd(of: "/a/b/wan/pipeline", fitting: 10), "…/pipeline")
        XCTAssertEqual(DisplayWidth.keepingEnd(of: "猫猫猫猫", fitting: 5), "…猫猫")
        XCTAssertEqual(DisplayWidth.keepingEnd(of: "abc", fitting: 1), "…")
    }

    func testHeaderKeepsQueueCountsAndTheEndOfThePath() throws {
        for columns in [80, 120] {
            let h = StudioHarness(columns: columns, rows: 30, model: path)
            let header = try XCTUnwrap(h.text.split(separator: "\n").first.map(String.init))
            XCTAssertTrue(header.contains("queue: 0 running · 0 waiting"), "\(columns): \(header)")
            XCTAssertTrue(header.contains("pipeline"), "the end of the path shows at \(columns): \(header)")
            XCTAssertTrue(header.contains("…"), "\(columns): \(header)")
            XCTAssertLessThanOrEqual(DisplayWidth.of(header), columns)
        }
        let wide = StudioHarness(columns: 200, rows: 30, model: path)
        XCTAssertNotNil(wide.line(containing: "model: \(path)"), "the whole path when it fits:\n\(wide.text)")
        XCTAssertNotNil(wide.line(containing: "theme dark"), wide.text)
    }

    func testSettingsShowTheEndOfThePath() {
        let h = StudioHarness(model: path)
        XCTAssertNotNil(h.line(containing: "Model   …"), h.text)
        XCTAssertNotNil(h.line(containing: "pipeline  "), h.text)
    }
}
