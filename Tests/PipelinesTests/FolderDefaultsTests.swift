// A model folder's own defaults (`zoetrope.json`) over its family's: the bundled tiny-shapes
// model is trained at 17 × 64 × 64, not WanPipeline's 81 × 832 × 480.
import BundledModels
import Foundation
import XCTest
@testable import Pipelines

final class FolderDefaultsTests: XCTestCase {
    func testTheBundledModelStatesItsOwnDefaults() throws {
        let folder = try XCTUnwrap(BundledModels.folder(BundledModels.defaultID))
        let caps = try PipelineRegistry.describe(folder: folder)
        XCTAssertEqual(caps.defaults, SettingDefaults(frames: 17, width: 64, height: 64, steps: 20, guidanceScale: 5))
        XCTAssertEqual(try ModelInspection.inspect(folder).capabilities?.defaults, caps.defaults)
        // Without the file, the family's (WanPipeline.__call__'s) defaults.
        XCTAssertEqual(try PipelineRegistry.describe(folder: PipelineFixtures.pipelineFolder).defaults,
                       SettingDefaults(frames: 81, width: 832, height: 480, steps: 50, guidanceScale: 5))
    }

    func testValuesAreHeldToTheModelsRulesAndABadFileIsNamed() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-defaults-\(UUID())")
        try FileManager.default.copyItem(at: PipelineFixtures.pipelineFolder, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let file = copy.appendingPathComponent(FolderDefaults.fileName)
        try Data(#"{"defaults": {"frames": 18, "width": 70, "steps": 5000}}"#.utf8).write(to: file)
        let caps = try PipelineRegistry.describe(folder: copy)
        XCTAssertEqual(caps.defaults.frames, 17, "nearest 4k + 1")
        XCTAssertEqual(caps.defaults.width, 64, "nearest multiple of 16")
        XCTAssertEqual(caps.defaults.height, 480, "not given: the family's")
        XCTAssertEqual(caps.defaults.steps, 1_000)
        try Data(#"{"defaults": {"frames": "many"}}"#.utf8).write(to: file)
        XCTAssertThrowsError(try PipelineRegistry.describe(folder: copy)) { error in
            XCTAssertTrue("\(error)".contains(FolderDefaults.fileName) && "\(error)".contains("frames"), "\(error)")
        }
    }
}
