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
