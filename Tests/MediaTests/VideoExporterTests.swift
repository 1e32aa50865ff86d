import Foundation
import XCTest
@testable import Media

final class VideoExporterTests: XCTestCase {
    private let texts = [PNGText(keyword: "parameters", text: "a paper boat, steps 4"),
                         PNGText(keyword: "zoetrope", text: "{\"prompt\":\"紙の船\"}")]

    func testWithoutFFmpegWritesEverythingElseAndSaysWhy() throws {
        let folder = try temporaryFolder(self).appendingPathComponent("run 1/out")  // created by export
        let frames = (0..<3).map { testImage(width: 9, height: 5, seed: $0) }
        let result = try VideoExporter(ffmpeg: nil).export(frames: frames, fps: 12, to: folder, texts: texts)

        XCTAssertEqual(result.frameFiles.map(\.lastPathComponent), ["frame_0000.png", "frame_0001.png", "frame_0002.png"])
        for (index, url) in result.frameFiles.enumerated() {
            let png = try PNG.read(contentsOf: url)
            XCTAssertEqual(png.image, frames[index])
            XCTAssertEqual(png.texts, texts)
        }
        XCTAssertEqual(try PNG.read(contentsOf: try XCTUnwrap(result.apng)).image, frames[0])
        let gif = try GIFTestReader([UInt8](try Data(contentsOf: try XCTUnwrap(result.gif))))
        XCTAssertEqual(gif.frames.count, 3)
        XCTAssertNil(result.mp4)
        XCTAssertTrue(try XCTUnwrap(result.mp4Note).contains("ffmpeg"))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(names, ["frame_0000.png", "frame_0001.png", "frame_0002.png", "video.apng", "video.gif"],
                       "no temporary files left, no video.mp4")
    }

    /// Issue #19: a process killed while writing its clip left a folder of some frames that
    /// looked like a result. Files are now written into `.incomplete-<pid>-…` and renamed into
    /// place once all are complete; what a killed export leaves is removed later, and only that.
    func testAKilledExportLeavesNoPartialClipAndIsClearedLater() throws {
        let parent = try temporaryFolder(self)
        let frames = (0..<2).map { testImage(width: 4, height: 4, seed: $0) }
        // A run folder a killed process left: only its staging, with some frames in it.
        let killed = parent.appendingPathComponent("20261206-120000-7")
        let deadStaging = killed.appendingPathComponent(".incomplete-99999999-abcd1234")
        try FileManager.default.createDirectory(at: deadStaging, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: deadStaging.appendingPathComponent("frame_0000.png"))
        // A folder with a finished clip and the staging of an export still running (this process).
        let busy = parent.appendingPathComponent("20261206-120001-8")
        let liveStaging = busy.appendingPathComponent(".incomplete-\(getpid())-00000000")
        try FileManager.default.createDirectory(at: liveStaging, withIntermediateDirectories: true)
        try Data([1]).write(to: busy.appendingPathComponent("frame_0000.png"))
        // A user's empty folder is not the store's to remove.
        let empty = parent.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)

        XCTAssertEqual(VideoExporter.removeAbandonedExports(under: parent).map(\.lastPathComponent), [killed.lastPathComponent])
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: liveStaging.path), "a live process's staging is kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: empty.path))

        // An export into a folder holding a dead staging clears it and leaves only its files.
        let again = parent.appendingPathComponent("again")
        let leftover = again.appendingPathComponent(".incomplete-99999999-ffffffff")
        try FileManager.default.createDirectory(at: leftover, withIntermediateDirectories: true)
        _ = try VideoExporter(ffmpeg: nil).export(frames: frames, fps: 8, to: again, formats: [.pngFrames, .apng])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: again.path).sorted(),
                       ["frame_0000.png", "frame_0001.png", "video.apng"])
    }

    /// A failing export leaves no files at all: the staging is removed with what it held.
    func testAFailedExportLeavesNothing() throws {
        let folder = try temporaryFolder(self).appendingPathComponent("out")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A folder where video.apng should go: the rename into place fails after the frames are staged.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("video.apng"), withIntermediateDirectories: true)
        let frames = (0..<2).map { testImage(width: 4, height: 4, seed: $0) }
        XCTAssertThrowsError(try VideoExporter(ffmpeg: nil).export(frames: frames, fps: 8, to: folder,
                                                                  formats: [.apng]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["video.apng"],
                       "no staging or temporary file left")
    }

    /// A stand-in ffmpeg (a shell script) records its arguments and the raw bytes it was piped.
    func testPipesRawRGBToFFmpegAndRenamesTheResult() throws {
        let folder = try temporaryFolder(self)
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fake = bin.appendingPathComponent("ffmpeg")
        try """
        #!/bin/sh
        for last; do :; done
        printf '%s\\n' "$@" > "\(folder.path)/args.txt"
        cat > "$last"
        """.write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        XCTAssertEqual(VideoExporter.findExecutable("ffmpeg", searchPath: "/nonexistent:\(bin.path)"), fake)
        XCTAssertNil(VideoExporter.findExecutable("ffmpeg", searchPath: "/nonexistent"))

        let out = folder.appendingPathComponent("out")
        let frames = (0..<2).map { testImage(width: 7, height: 3, seed: $0) }
        let result = try VideoExporter(ffmpeg: fake).export(frames: frames, fps: 8, to: out, texts: texts, formats: [.mp4])
        XCTAssertNil(result.mp4Note)
        XCTAssertEqual(result.mp4?.lastPathComponent, "video.mp4")
        XCTAssertEqual([UInt8](try Data(contentsOf: try XCTUnwrap(result.mp4))), frames.flatMap(\.pixels))
        let args = try String(contentsOf: folder.appendingPathComponent("args.txt"), encoding: .utf8)
        XCTAssertTrue(args.contains("rgb24\n-s\n7x3\n"), args)
        XCTAssertTrue(args.contains("comment=a paper boat, steps 4"), args)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["video.mp4"])
        XCTAssertTrue(result.frameFiles.isEmpty && result.apng == nil && result.gif == nil)
    }

    func testFailingFFmpegIsReportedNotThrown() throws {
        let folder = try temporaryFolder(self)
        let fake = folder.appendingPathComponent("ffmpeg")
        try "#!/bin/sh\necho 'Unknown encoder' >&2\nexit 1\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let out = folder.appendingPathComponent("out")
        let result = try VideoExporter(ffmpeg: fake).export(frames: [testImage(width: 4, height: 4)], fps: 8, to: out,
                                                            formats: [.mp4])
        XCTAssertNil(result.mp4)
        XCTAssertTrue(try XCTUnwrap(result.mp4Note).contains("Unknown encoder"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
    }
}
