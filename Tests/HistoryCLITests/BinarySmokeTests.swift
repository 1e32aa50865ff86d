import Foundation
import TestSupport
import XCTest
import HistoryStore

/// The built `zoetrope` binary end to end: argument names, the data-folder flag and
/// variable, exit codes and streams. Everything else is tested through the runner.
final class BinarySmokeTests: XCTestCase {
    /// `$ZOETROPE_BINARY`, else `zoetrope` among the test's build products.
    func binary() throws -> URL {
        try BuiltProducts.executable("zoetrope")
    }

    /// Runs the binary with stdin from /dev/null; returns exit code, stdout, stderr.
    func zoetrope(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: StoreLocation.environmentVariable)
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    func testHistoryCommandsThroughTheBinary() throws {
        let data = try makeFolder(self)
        var (code, out, err) = try zoetrope(["history", "list", "--json", "--data-dir", data.path])
        XCTAssertEqual(code, 0, err)
        XCTAssertEqual(out, "[]\n")

        let id = try addFinishedRun(try HistoryStore.open(at: data), prompt: "a yellow square")
        (code, out, err) = try zoetrope(["history", "show", String(id.prefix(8)), "--json"],
                                        environment: [StoreLocation.environmentVariable: data.path])
        XCTAssertEqual(code, 0, err)
        XCTAssertEqual((try parseJSON(out) as? [String: Any])?["id"] as? String, id)

        (code, out, err) = try zoetrope(["history", "show", "nope", "--data-dir", data.path])
        XCTAssertEqual(code, 1)
        XCTAssertEqual(out, "")
        XCTAssertTrue(err.contains("No run with id nope"), err)

        // stdin is not a terminal: rm needs --yes.
        (code, _, err) = try zoetrope(["history", "rm", id, "--data-dir", data.path])
        XCTAssertEqual(code, 1)
        XCTAssertTrue(err.contains("--yes"), err)
        (code, out, err) = try zoetrope(["history", "rm", id, "--yes", "--data-dir", data.path])
        XCTAssertEqual(code, 0, err)
        XCTAssertEqual(out, "Deleted run \(id).\n")
    }
}
