// Issue #20 item 9: the studio and the CLI disagreed on what is valid (the studio wanted sides
// in multiples of 16 where the CLI took 72×40; the studio had no frame limit, the CLI capped
// 1025) and said it in different words. Both now ask the model (`ModelCapabilities`) and show
// its words: for each value the model refuses, the studio's message is in the CLI's error, and
// the value each offers instead is the same.
import Engine
import Foundation
import RunArchive
@testable import Studio
import TestSupport
import XCTest

final class LimitsAgreementTests: XCTestCase {
    func testTheStudioAndTheCLISayTheSameAboutEachRefusedValue() throws {
        let binary = try StudioTmuxTests.binary()
        let model = StudioTmuxTests.fixturePipeline
        let capabilities = try StudioHarness.fixtureCapabilities()
        // field, the studio's text, the CLI's flags, and the CLI's "nearest" as the studio's field text
        let cases: [(SettingField, String, [String], (String) -> String)] = [
            (.frames, "18", ["--frames", "18"], { $0 }),
            (.frames, "2000", ["--frames", "2000"], { $0 }),
            (.size, "72x64", ["--width", "72", "--height", "64"], { "\($0)x64" }),
            (.size, "64x40", ["--width", "64", "--height", "40"], { "64x\($0)" }),
            (.size, "64x8192", ["--width", "64", "--height", "8192"], { "64x\($0)" }),
            (.steps, "0", ["--steps", "0"], { $0 }),
            (.steps, "5000", ["--steps", "5000"], { $0 }),
            (.fps, "0", ["--fps", "0"], { $0 }),
        ]
        var environment = ProcessInfo.processInfo.environment
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-limits-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        environment["ZOETROPE_DATA_DIR"] = data.path
        for (field, text, flags, asFieldText) in cases {
            var settings = ComposeSettings(from: JobRequest(model: model, prompt: "x"), capabilities: capabilities)
            settings.texts[field] = text
            guard case .invalid(let message, let suggestion) = settings.check(field) else {
                XCTFail("the studio took \(field) \(text)"); continue
            }
            let cli = try ChildProcess.run(binary.path, ["zoetrope", "generate", "--model", model, "--prompt", "x",
                                                         "--output", data.appendingPathComponent("never").path] + flags,
                                           environment: environment)
            XCTAssertEqual(cli.status, 2, "\(flags): \(cli.stderr)")
            XCTAssertTrue(cli.stderr.contains(message), "\(field) \(text): the studio says \"\(message)\", the CLI \(cli.stderr)")
            // fps has one range for every model: the CLI names it and offers nothing nearer.
            guard field != .fps else { continue }
            let nearest = cli.stderr.components(separatedBy: "nearest: ").last?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(nearest.map(asFieldText), suggestion, "\(field) \(text): \(cli.stderr)")
        }
    }
}
