// The index's schema, as a list of GRDB migrations. Never edit a shipped migration:
// add a new one, so that every older file on a user's disk can be brought forward.
import Foundation
import GRDB

/// How full-text search over prompts is done, chosen once when the index is created
/// from what the linked SQLite supports (Debian's libsqlite3 has FTS5).
public enum SearchMode: String, Sendable {
    /// An FTS5 table over prompt and negative prompt, prefix-matching each word.
    case fts5
    /// An FTS4 table (when FTS5 is not compiled in), prefix-matching each word.
    case fts4
    /// `LIKE '%word%'` over the prompt columns: no index can help, so it scans.
    case like
}

enum Schema {
    /// Identifiers of the migrations, oldest first.
    static let v1 = "v1-runs"
    static let v2 = "v2-favourites-tags-search-owner"

    /// The first shipped schema: one table of runs, newest-first index.
    /// Tests rebuild this by hand to check that v2 keeps old data.
    static let v1SQL = """
        CREATE TABLE run (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            finished_at REAL,
            status TEXT NOT NULL,
            model_id TEXT NOT NULL,
            prompt TEXT NOT NULL,
            negative_prompt TEXT NOT NULL DEFAULT '',
            frame_count INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            step_count INTEGER NOT NULL,
            guidance_scale REAL NOT NULL,
            sampler TEXT NOT NULL,
            seed INTEGER NOT NULL,
            fps REAL NOT NULL,
            duration REAL,
            error_message TEXT,
            folder_path TEXT NOT NULL,
            request_json TEXT NOT NULL
        );
        CREATE INDEX run_by_created ON run(created_at, seq);
        """

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(v1) { db in
            try db.execute(sql: v1SQL)
        }
        migrator.registerMigration(v2) { db in
            try db.execute(sql: """
                ALTER TABLE run ADD COLUMN starred INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE run ADD COLUMN engine_version TEXT;
                ALTER TABLE run ADD COLUMN owner_pid INTEGER;
                ALTER TABLE run ADD COLUMN owner_start TEXT;
                ALTER TABLE run ADD COLUMN owner_token TEXT;
                CREATE INDEX run_by_status ON run(status, created_at, seq);
                CREATE INDEX run_by_model ON run(model_id, created_at, seq);
                CREATE INDEX run_by_starred ON run(starred, created_at, seq);
                CREATE TABLE run_tag (
                    run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (run_id, tag)
                ) WITHOUT ROWID;
                CREATE INDEX run_tag_by_tag ON run_tag(tag, run_id);
                CREATE TABLE store_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                """)
            let mode = try createSearchIndex(db)
            try db.execute(sql: "INSERT INTO store_meta(key, value) VALUES ('search_mode', ?)",
                           arguments: [mode.rawValue])
        }
        return migrator
    }

    /// Creates the prompt search table (FTS5, else FTS4) with triggers that keep it in step
    /// with `run`, and fills it from the rows already there.
    private static func createSearchIndex(_ db: Database) throws -> SearchMode {
        if (try? db.execute(sql: """
            CREATE VIRTUAL TABLE run_fts USING fts5(
                prompt, negative_prompt, content='run', content_rowid='seq',
                tokenize='unicode61 remove_diacritics 2')
            """)) != nil {
            try db.execute(sql: """
                CREATE TRIGGER run_fts_insert AFTER INSERT ON run BEGIN
                    INSERT INTO run_fts(rowid, prompt, negative_prompt)
                    VALUES (new.seq, new.prompt, new.negative_prompt);
                END;
                CREATE TRIGGER run_fts_delete AFTER DELETE ON run BEGIN
                    INSERT INTO run_fts(run_fts, rowid, prompt, negative_prompt)
                    VALUES ('delete', old.seq, old.prompt, old.negative_prompt);
                END;
                CREATE TRIGGER run_fts_update AFTER UPDATE OF prompt, negative_prompt ON run BEGIN
                    INSERT INTO run_fts(run_fts, rowid, prompt, negative_prompt)
                    VALUES ('delete', old.seq, old.prompt, old.negative_prompt);
                    INSERT INTO run_fts(rowid, prompt, negative_prompt)
                    VALUES (new.seq, new.prompt, new.negative_prompt);
                END;
                INSERT INTO run_fts(run_fts) VALUES ('rebuild');
                """)
            return .fts5
        }
        if (try? db.execute(sql: """
            CREATE VIRTUAL TABLE run_fts USING fts4(content="run", prompt, negative_prompt)
            """)) != nil {
            try db.execute(sql: """
                CREATE TRIGGER run_fts_before_delete BEFORE DELETE ON run BEGIN
                    DELETE FROM run_fts WHERE docid = old.seq;
                END;
                CREATE TRIGGER run_fts_before_update BEFORE UPDATE OF prompt, negative_prompt ON run BEGIN
                    DELETE FROM run_fts WHERE docid = old.seq;
                END;
                CREATE TRIGGER run_fts_insert AFTER INSERT ON run BEGIN
                    INSERT INTO run_fts(docid, prompt, negative_prompt)
                    VALUES (new.seq, new.prompt, new.negative_prompt);
                END;
                CREATE TRIGGER run_fts_after_update AFTER UPDATE OF prompt, negative_prompt ON run BEGIN
                    INSERT INTO run_fts(docid, prompt, negative_prompt)
                    VALUES (new.seq, new.prompt, new.negative_prompt);
                END;
                INSERT INTO run_fts(run_fts) VALUES ('rebuild');
                """)
            return .fts4
        }
        return .like
    }

    /// The search mode recorded when the index was made.
    static func searchMode(_ db: Database) throws -> SearchMode {
        let value = try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'search_mode'")
        return value.flatMap(SearchMode.init(rawValue:)) ?? .like
    }
}
