// Issue #19 (data loss 1): every output write replaced whatever was at the path — a device node
// became a regular file and symbolic links were replaced rather than written through. Writes now
// go through links to the file they name and refuse anything that is not a regular file.
import Foundation
import XCTest
@testable import Media

final class OutputTargetTests: XCTestCase {
    func testAFIFOIsRefusedAndLeftInPlace() throws {
        let folder = try temporaryFolder(self)
        let fifo = folder.appendingPathComponent("frame.png")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        XCTAssertThrowsError(try PNG.write(testImage(width: 4, height: 4), to: fifo)) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
        var info = stat()
        XCTAssertEqual(lstat(fifo.path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO is still a FIFO")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["frame.png"], "no temp file left")
    }

    func testASymlinkIsWrittenThroughNotReplaced() throws {
        let folder = try temporaryFolder(self)
        let elsewhere = folder.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let real = elsewhere.appendingPathComponent("real.png")
        try Data("old".utf8).write(to: real)
        let link = folder.appendingPathComponent("link.png")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        try PNG.write(testImage(width: 4, height: 4), to: link)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), real.path, "still a link")
        XCTAssertEqual(try PNG.read(contentsOf: real).image.width, 4, "the file it names has the picture")
    }
}
