// A v1 index made by hand (as an older Zoetrope left it) is brought to the current schema
// with its data kept.
import Foundation
import GRDB
import XCTest
@testable import HistoryStore

final class MigrationTests: XCTestCase {
    func testV1DatabaseIsMigratedAndKeepsData() throws {
        let dir = try makeDataDirectory(self)
        let index = dir.appendingPathComponent("history.sqlite")
        // The v1 file, written with plain SQL in a rollback journal, as the first release did.
        let old = try DatabaseQueue(path: index.path)
        try old.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1-runs');
                CREATE TABLE run (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, created_at REAL NOT NULL,
                    finished_at REAL, status TEXT NOT NULL, model_id TEXT NOT NULL, prompt TEXT NOT NULL,
                    negative_prompt TEXT NOT NULL DEFAULT '', frame_count INTEGER NOT NULL,
                    width INTEGER NOT NULL, height INTEGER NOT NULL, step_count INTEGER NOT NULL,
                    guidance_scale REAL NOT NULL, sampler TEXT NOT NULL, seed INTEGER NOT NULL,
                    fps REAL NOT NULL, duration REAL, error_message TEXT, folder_path TEXT NOT NULL,
                    request_json TEXT NOT NULL);
                CREATE INDEX run_by_created ON run(created_at, seq);
                INSERT INTO run (id, created_at, finished_at, status, model_id, prompt, negative_prompt,
                    frame_count, width, height, step_count, guidance_scale, sampler, seed, fps, duration,
                    error_message, folder_path, request_json)
                VALUES
                    ('old-1', 1600000000, 1600000010, 'finished', 'wan-1.3b', 'a lighthouse at dusk', 'fog',
                     33, 320, 192, 30, 6.0, 'unipc', -1, 16, 10, NULL, 'runs/old-1', '{"v":1}'),
                    ('old-2', 1600000100, NULL, 'running', 'wan-1.3b', 'a cat on a piano', '',
                     17, 64, 64, 20, 5.0, 'euler', 42, 8, NULL, NULL, 'runs/old-2', '{}');
                """)
        }
        try old.close()

        let store = try HistoryStore.open(at: dir)
        XCTAssertFalse(store.isReadOnly)
        let applied = try store.read { db in try Schema.migrator.appliedMigrations(db) }
        XCTAssertEqual(applied, [Schema.v1, Schema.v2])
        XCTAssertEqual(try store.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }, "wal")

        let first = try XCTUnwrap(try store.run(id: "old-1"))
        XCTAssertEqual(first.status, .finished)
        XCTAssertEqual(first.settings.prompt, "a lighthouse at dusk")
        XCTAssertEqual(first.settings.seed, UInt64.max, "-1 in v1's INTEGER column is the bit pattern of UInt64.max")
        XCTAssertEqual(first.settings.requestJSON, #"{"v":1}"#)
        XCTAssertFalse(first.isStarred, "v2's new column defaults to unstarred")
        XCTAssertEqual(first.tags, [])

        // A v1 "running" row has no owner recorded: its process is gone, so it is interrupted.
        XCTAssertEqual(try store.run(id: "old-2")?.status, .interrupted)
        XCTAssertTrue(store.notices.contains(.markedInterrupted(ids: ["old-2"])))

        // The search index was filled from the rows already there.
        XCTAssertEqual(try store.search("lighthouse").map(\.id), ["old-1"])
        XCTAssertEqual(try store.search("fog").map(\.id), ["old-1"])
        // And the new features work on old rows.
        try store.setStarred(true, forRun: "old-1")
        XCTAssertEqual(try store.runs(matching: RunFilter(starredOnly: true)).map(\.id), ["old-1"])
    }
}
