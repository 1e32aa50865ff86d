// Bad input: a corrupt or foreign index, a newer schema, a read-only folder, a full disk.
// Each gives a clear message and loses nothing already stored.
import Foundation
import GRDB
import XCTest
@testable import HistoryStore

final class RobustnessTests: XCTestCase {
    func testGarbageIndexIsMovedAsideNotDeleted() throws {
        let dir = try makeDataDirectory(self)
        let garbage = Data("this is not a database, it is someone's notes\n".utf8) + Data(repeating: 0xAB, count: 5000)
        let index = dir.appendingPathComponent("history.sqlite")
        try garbage.write(to: index)

        let store = try HistoryStore.open(at: dir)
        XCTAssertFalse(store.isReadOnly)
        guard case let .movedAsideUnreadableIndex(original, movedTo, reason)? = store.notices.first else {
            return XCTFail("expected a moved-aside notice, got \(store.notices)")
        }
        XCTAssertEqual(original, index.path)
        XCTAssertTrue(reason.contains("not a SQLite database"), reason)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: movedTo)), garbage, "the old file is kept byte for byte")
        XCTAssertTrue(store.notices.first!.description.contains(movedTo))
        // And the new history works.
        try makeFinishedRun(store, sampleSettings(1))
        XCTAssertEqual(try store.count(), 1)
    }

    func testForeignDatabaseIsMovedAside() throws {
        let dir = try makeDataDirectory(self)
        let index = dir.appendingPathComponent("history.sqlite")
        let foreign = try DatabaseQueue(path: index.path)
        try foreign.write { db in
            try db.execute(sql: "CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES ('Ada')")
        }
        try foreign.close()

        let store = try HistoryStore.open(at: dir)
        guard case let .movedAsideUnreadableIndex(_, movedTo, reason)? = store.notices.first else {
            return XCTFail("expected a moved-aside notice, got \(store.notices)")
        }
        XCTAssertTrue(reason.contains("contacts"), reason)
        let kept = try DatabaseQueue(path: movedTo)
        XCTAssertEqual(try kept.read { try String.fetchOne($0, sql: "SELECT name FROM contacts") }, "Ada")
        XCTAssertEqual(try store.count(), 0)
    }

    func testNewerSchemaOpensReadOnly() throws {
        let dir = try makeDataDirectory(self)
        do {
            let store = try HistoryStore.open(at: dir)
            try makeFinishedRun(store, sampleSettings(1))
        }
        let pool = try DatabasePool(path: dir.appendingPathComponent("history.sqlite").path)
        try pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v9-from-the-future')") }
        try pool.close()

        let store = try HistoryStore.open(at: dir)
        XCTAssertTrue(store.isReadOnly)
        XCTAssertTrue(store.notices.contains { $0.description.contains("v9-from-the-future") }, "\(store.notices)")
        XCTAssertEqual(try store.count(), 1, "old runs are still listed")
        XCTAssertThrowsError(try store.beginRun(sampleSettings(2))) { error in
            XCTAssertEqual(error as? HistoryStoreError, .readOnly(path: store.indexURL.path))
        }
    }

    func testDamagedPagesOpenReadOnlyAndUntouched() throws {
        let dir = try makeDataDirectory(self)
        let index = dir.appendingPathComponent("history.sqlite")
        do {
            let store = try HistoryStore.open(at: dir)
            try store.add((0..<300).map { finishedRecord($0, createdAt: Date(timeIntervalSince1970: Double($0))) })
        }
        // Fold the WAL into the main file, then go back to a rollback journal so the
        // damage below is not masked by WAL frames.
        let queue = try DatabaseQueue(path: index.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE")
        }
        try queue.close()
        var bytes = try Data(contentsOf: index)
        XCTAssertGreaterThan(bytes.count, 4096 * 8, "the test needs several pages to damage")
        // Overwrite the middle of page 3 onward (pages are 4096 bytes; page 1 holds the header
        // and schema, which must stay readable for this to be "damaged pages", not "not a database").
        for i in (4096 * 2 + 100)..<(4096 * 5) { bytes[i] = 0x5A }
        try bytes.write(to: index)
        let damaged = try Data(contentsOf: index)

        let store = try HistoryStore.open(at: dir)
        XCTAssertTrue(store.isReadOnly, "notices: \(store.notices)")
        XCTAssertTrue(store.notices.contains { $0.description.contains("damaged") }, "\(store.notices)")
        XCTAssertEqual(try Data(contentsOf: index), damaged, "a damaged index is never rewritten")
    }

    func testReadOnlyOptionRefusesWrites() throws {
        let dir = try makeDataDirectory(self)
        let run = try makeFinishedRun(try HistoryStore.open(at: dir), sampleSettings(1))
        let store = try HistoryStore.open(at: dir, options: .init(readOnly: true))
        XCTAssertTrue(store.isReadOnly)
        XCTAssertEqual(try store.run(id: run.id)?.status, .finished)
        XCTAssertThrowsError(try store.setStarred(true, forRun: run.id)) { error in
            XCTAssertTrue("\(error)".contains("read-only"), "\(error)")
        }
        XCTAssertThrowsError(try store.deleteRun(run.id))
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.folderURL(for: run).path))
    }

    func testReadOnlyFolderWithHistoryOpensReadOnly() throws {
        let dir = try makeDataDirectory(self)
        let run = try makeFinishedRun(try HistoryStore.open(at: dir), sampleSettings(1))
        // Tests run as root here, where chmod cannot make a folder read-only; the injected
        // file system answers "not writable" as a read-only mount would.
        let store = try HistoryStore.open(at: dir, options: .init(fileSystem: FailingFileSystem(writable: false)))
        XCTAssertTrue(store.isReadOnly)
        XCTAssertTrue(store.notices.contains { $0.description.contains("cannot be written") }, "\(store.notices)")
        XCTAssertEqual(try store.runs().map(\.id), [run.id])
    }

    func testReadOnlyFolderWithoutHistoryIsAClearError() throws {
        let dir = try makeDataDirectory(self).appendingPathComponent("never-made")
        XCTAssertThrowsError(try HistoryStore.open(at: dir, options: .init(fileSystem: FailingFileSystem(writable: false)))) { error in
            guard case let .notWritable(path, _)? = error as? HistoryStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, dir.path)
            XCTAssertTrue("\(error)".contains("ZOETROPE_DATA_DIR"), "the message says how to choose another folder")
        }
    }

    func testFullDiskLosesNothingStored() throws {
        let dir = try makeDataDirectory(self)
        let disk = FailingFileSystem()
        let store = try HistoryStore.open(at: dir, options: .init(fileSystem: disk))
        let kept = try makeFinishedRun(store, sampleSettings(1), frames: 3)
        let keptFiles = try FileManager.default.contentsOfDirectory(atPath: store.folderURL(for: kept).path).sorted()

        disk.setBudget(40) // room for about one small frame
        let run = try store.beginRun(sampleSettings(2))
        var failure: Error?
        do {
            for i in 0..<5 {
                try store.writeFile(named: "frame-\(i).png", data: Data(repeating: 1, count: 30), forRun: run.id)
            }
        } catch {
            failure = error
        }
        guard case .diskFull? = failure as? HistoryStoreError else { return XCTFail("expected diskFull, got \(String(describing: failure))") }
        XCTAssertTrue("\(failure!)".contains("untouched"), "the message reassures: \(failure!)")
        // The engine records the failure; the row keeps its settings.
        try store.failRun(run.id, message: "\(failure!)")

        // A sidecar that cannot be written: finish fails, and the run stays running.
        let second = try store.beginRun(sampleSettings(3))
        disk.setBudget(0)
        XCTAssertThrowsError(try store.finishRun(second.id, engineVersion: "x"))
        XCTAssertEqual(try store.run(id: second.id)?.status, .running)

        let reopened = try HistoryStore.open(at: dir)
        XCTAssertEqual(try reopened.run(id: kept.id), kept)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: reopened.folderURL(for: kept).path).sorted(), keptFiles)
        XCTAssertEqual(try reopened.run(id: run.id)?.status, .failed)
        XCTAssertEqual(try reopened.run(id: run.id)?.settings, sampleSettings(2))
        XCTAssertFalse(FileManager.default.fileExists(atPath: reopened.stagingURL(run.id).path))
    }

    func testDataDirectoryResolution() {
        let env = ["HOME": "/home/ada", "XDG_DATA_HOME": "/data/xdg", "ZOETROPE_DATA_DIR": "/custom/zoe"]
        XCTAssertEqual(StoreLocation.dataDirectory(flag: "/flag/dir", environment: env).path, "/flag/dir")
        XCTAssertEqual(StoreLocation.dataDirectory(environment: env).path, "/custom/zoe")
        var noOverride = env
        noOverride["ZOETROPE_DATA_DIR"] = nil
        XCTAssertEqual(StoreLocation.dataDirectory(environment: noOverride).path, "/data/xdg/zoetrope")
        noOverride["XDG_DATA_HOME"] = "relative/ignored"
        XCTAssertEqual(StoreLocation.dataDirectory(environment: noOverride).path, "/home/ada/.local/share/zoetrope")
    }
}

/// Issue #19: a history cell of the wrong type crashed `history list/show` and the studio (a
/// trap inside GRDB's row subscript), and a `folder_path` read from the index was trusted, so
/// `history rm` could delete every run or a folder outside the data directory.
final class HostileIndexTests: XCTestCase {
    func storeWithTwoRuns() throws -> (URL, HistoryStore, RunRecord, RunRecord) {
        let dir = try makeDataDirectory(self)
        let store = try HistoryStore.open(at: dir)
        let a = try makeFinishedRun(store, sampleSettings(1))
        let b = try makeFinishedRun(store, sampleSettings(2))
        return (dir, store, a, b)
    }

    func edit(_ dir: URL, _ sql: String) throws {
        let queue = try DatabaseQueue(path: dir.appendingPathComponent("history.sqlite").path)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
    }

    func testACellOfTheWrongTypeIsAnErrorNamingRunAndColumn() throws {
        for (column, value) in [("guidance_scale", "'abc'"), ("fps", "'x'"), ("seed", "1.8e19"),
                                ("frame_count", "'many'"), ("created_at", "'yesterday'")] {
            let (dir, store, a, _) = try storeWithTwoRuns()
            try edit(dir, "UPDATE run SET \(column) = \(value) WHERE id = '\(a.id)'")
            XCTAssertThrowsError(try store.runs(), column) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(a.id) && text.contains(column), text)
            }
            XCTAssertThrowsError(try store.run(id: a.id), column)
        }
    }

    func testDeletingARunTouchesOnlyItsOwnFolder() throws {
        let (dir, store, a, b) = try storeWithTwoRuns()
        let victim = dir.deletingLastPathComponent().appendingPathComponent("VICTIM-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: victim.appendingPathComponent("notes.txt"))
        defer { try? FileManager.default.removeItem(at: victim) }

        // folder_path = "runs" (every run's parent) on run a: deleting a keeps b's folder.
        try edit(dir, "UPDATE run SET folder_path = 'runs' WHERE id = '\(a.id)'")
        try store.deleteRun(a.id)
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.folderURL(for: b).path), "run b's folder survives")
        XCTAssertEqual(try store.runs().map(\.id), [b.id])

        // folder_path = "../VICTIM…" on run b: deleting b leaves the folder outside alone.
        try edit(dir, "UPDATE run SET folder_path = '../\(victim.lastPathComponent)' WHERE id = '\(b.id)'")
        try store.deleteRun(b.id)
        XCTAssertEqual(try String(contentsOf: victim.appendingPathComponent("notes.txt"), encoding: .utf8), "keep me")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/\(b.id)").path))
    }

    func testAnIdThatIsAPathIsRefused() throws {
        let (dir, store, a, _) = try storeWithTwoRuns()
        try edit(dir, "UPDATE run SET id = '../..' WHERE id = '\(a.id)'")
        XCTAssertThrowsError(try store.runs()) { error in
            XCTAssertTrue("\(error)".contains("is not a folder name"), "\(error)")
        }
    }
}
