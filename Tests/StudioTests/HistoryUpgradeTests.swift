// A history folder written by Zoetrope 0.1.0 (Tests/Fixtures/history/store-0.1.0: its requests
// carry the flow shift inside `sampler` and no `options`) opens, lists, plays and remixes with
// today's code, and the remixed request runs on the model as the old one did.
import Engine
import Foundation
import XCTest
@testable import Studio

final class HistoryUpgradeTests: XCTestCase {
    func copyOfOldStore() throws -> URL {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/history/store-0.1.0")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-old-store-\(UUID())")
        try FileManager.default.copyItem(at: fixture, to: copy)
        return copy
    }

    func testAStoreWrittenByVersion010OpensListsPlaysAndRemixes() async throws {
        let folder = try copyOfOldStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let history = try StoreHistory.open(at: folder, exportFolder: folder, engineVersion: "test")

        let entries = try await history.entries(matching: HistoryQuery())
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries.map(\.status), [.finished, .finished])
        let euler = try XCTUnwrap(entries.first { $0.starred })
        XCTAssertEqual(euler.request.sampler, "euler")
        XCTAssertEqual(euler.request.options, ["flow_shift": .number(5)], "the old sampler.flowShift")
        XCTAssertEqual(euler.request.seed, 2_549_994_323)
        let plain = try XCTUnwrap(entries.first { !$0.starred })
        XCTAssertEqual(plain.request.sampler, SamplerNames.modelDefault)
        XCTAssertEqual(plain.request.options, [:])
        let frames = try await history.frames(of: euler.id)
        XCTAssertEqual(frames.count, 5)
        XCTAssertEqual(frames.first.map { [$0.width, $0.height] }, [16, 16])

        // Remix in the studio: the old run's settings come back, the option in its own field,
        // and the request it submits is the old one (its seed locked).
        let h = StudioHarness(provider: history, model: JobRequest.bundledModelID,
                              describer: { try PipelineLoader().describe($0) })
        await h.press(.escape, .character("h"))
        await h.send(.historyLoaded(try await history.entries(matching: HistoryQuery())))
        let index = try XCTUnwrap(h.state.history.entries.firstIndex { $0.id == euler.id })
        while h.state.history.selected < index { await h.press(.down) }
        await h.press(.character("r"))
        XCTAssertEqual(h.state.mode, .compose)
        XCTAssertEqual(h.state.compose.settings.sampler, "euler")
        XCTAssertEqual(h.state.compose.settings.text(.option("flow_shift")), "5.0")
        XCTAssertNotNil(h.line(containing: "Shift   5.0"), h.text)
        let remixed = try XCTUnwrap(h.state.compose.settings.request(prompt: euler.request.prompt,
                                                                   negativePrompt: euler.request.negativePrompt))
        XCTAssertEqual(remixed, euler.request.withSeed(2_549_994_323))

        // …and the model (the real bundled one) takes it as it stands.
        let capabilities = try PipelineLoader().describe(JobRequest.bundledModelID)
        XCTAssertNoThrow(try capabilities.resolve(PipelineModel.settings(remixed)))
    }
}
