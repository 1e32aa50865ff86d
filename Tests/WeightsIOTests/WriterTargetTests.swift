// Issue #19 (data loss 1): `--save-tensor PATH` replaced whatever was at the path (a device node
// became a regular file; a link was replaced). The writer now writes through links and refuses
// anything that is not a regular file, leaving it as it was.
import Foundation
import TensorCore
import XCTest
@testable import WeightsIO

final class WriterTargetTests: XCTestCase {
    func testNonRegularTargetsAreRefusedAndLinksWrittenThrough() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-writer-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tensors = ["video": Tensor(shape: [2], data: [1, 2])]

        let fifo = folder.appendingPathComponent("video.safetensors")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        XCTAssertThrowsError(try SafetensorsWriter.write(tensors, to: fifo)) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
        var info = stat()
        XCTAssertEqual(lstat(fifo.path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO)
        XCTAssertThrowsError(try SafetensorsWriter.write(tensors, to: folder), "a folder is not replaced")

        let real = folder.appendingPathComponent("real.safetensors")
        try Data("old".utf8).write(to: real)
        let link = folder.appendingPathComponent("link.safetensors")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        try SafetensorsWriter.write(tensors, to: link)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), real.path)
        XCTAssertEqual(try SafetensorsFile(url: real).tensor("video").data, [1, 2])
    }
}
