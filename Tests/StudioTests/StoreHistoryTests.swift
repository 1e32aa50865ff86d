import XCTest
import Engine
import HistoryStore
import Media
import RunArchive
@testable import Studio

/// `StoreHistory` against a real SQLite store in a temporary folder.
final class StoreHistoryTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func makeFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("zoetrope-storehistory-tests", isDirectory: true)
            .appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A history in a new folder; no MP4s unless `ffmpeg` is given (so a machine's own ffmpeg
    /// does not change what the tests see).
    func makeHistory(ffmpeg: URL? = nil) throws -> (StoreHistory, URL) {
        let folder = try makeFolder()
        let store = try HistoryStore.open(at: folder.appendingPathComponent("data"))
        return (StoreHistory(store: store, exportFolder: folder.appendingPathComponent("exports"),
                             engineVersion: "test", ffmpeg: ffmpeg), folder)
    }

    /// A stand-in ffmpeg (a shell script) that writes what it is piped to its last argument,
    /// after recording its arguments, or fails with a message.
    func fakeFFmpeg(in folder: URL, failing: Bool = false) throws -> URL {
        let fake = folder.appendingPathComponent("ffmpeg")
        let script = failing ? "#!/bin/sh\necho 'Unknown encoder libx264' >&2\nexit 1\n" : """
            #!/bin/sh
            for last; do :; done
            printf '%s\\n' "$@" > "\(folder.path)/args.txt"
            cat > "$last"
            """
        try script.write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        return fake
    }

    /// Studio runs get the MP4 `zoetrope generate` writes when ffmpeg is there (issue #20 item
    /// 11): every frame piped as raw RGB at the run's fps, the settings as its comment. A failing
    /// ffmpeg costs the MP4, never the run.
    func testAFinishedRunGetsAnMP4WhenFFmpegIsThere() async throws {
        let tools = try makeFolder()
        let (history, _) = try makeHistory(ffmpeg: try fakeFFmpeg(in: tools))
        let entry = try await finishedRun(history, request, seed: 42, started: t0, durationSeconds: 1)
        let record = try XCTUnwrap(history.store.run(id: entry.id))
        let mp4 = history.store.folderURL(for: record).appendingPathComponent(RunArchive.mp4FileName)
        let frames = result(for: request, seed: 42).frames
        XCTAssertEqual([UInt8](try Data(contentsOf: mp4)), frames.flatMap { $0 })
        let args = try String(contentsOf: tools.appendingPathComponent("args.txt"), encoding: .utf8)
        XCTAssertTrue(args.contains("rgb24\n-s\n16x8\n-framerate\n8.0\n"), args)
        XCTAssertTrue(args.contains("Seed: 42"), args)
        let exported = try await history.export(entry.id)
        XCTAssertTrue(FileManager.default.fileExists(atPath: exported.appendingPathComponent("video.mp4").path))

        let failingTools = try makeFolder()
        let (failing, _) = try makeHistory(ffmpeg: try fakeFFmpeg(in: failingTools, failing: true))
        let kept = try await finishedRun(failing, request, seed: 7, started: t0, durationSeconds: 1)
        XCTAssertEqual(kept.status, .finished)
        let keptRecord = try XCTUnwrap(failing.store.run(id: kept.id))
        let names = try FileManager.default.contentsOfDirectory(atPath: failing.store.folderURL(for: keptRecord).path)
        XCTAssertFalse(names.contains(RunArchive.mp4FileName), "\(names)")
        XCTAssertFalse(names.contains { $0.hasSuffix(".tmp") }, "no temporary file left: \(names)")
        XCTAssertTrue(names.contains(RunArchive.gifFileName))
    }

    /// Frame f is filled with grey level 40·f + 10, so frames are told apart after a round trip.
    func result(for request: JobRequest, seed: UInt64) -> JobResult {
        let frames = (0..<request.frames).map { f in
            [UInt8](repeating: UInt8(40 * f + 10), count: request.width * request.height * 3)
        }
        return JobResult(request: request.withSeed(seed), seed: seed, frames: frames, width: request.width,
                         height: request.height, video: [], timings: [.denoising: 1.5, .decoding: 0.25],
                         peakMemoryBytes: 0)
    }

    let request = JobRequest(prompt: "a yellow square moving up", negativePrompt: "blurry", frames: 3,
                             width: 16, height: 8, steps: 4, guidanceScale: 5, sampler: "unipc",
                             seed: nil, fps: 8, options: ["flow_shift": .number(3)])

    /// Begins `request` with `seed`, then finishes it with frames.
    func finishedRun(_ history: StoreHistory, _ request: JobRequest, seed: UInt64, started: Date,
                     durationSeconds: Double) async throws -> HistoryEntry {
        let id = try await history.begin(request: request.withSeed(seed), started: started)
        return try await history.finish(id, result: result(for: request, seed: seed), durationSeconds: durationSeconds)
    }

    /// The engine's phase timings go into each run's `run.json` and come back as the time
    /// estimate's samples, newest first, for that model only; a damaged sidecar is passed over.
    func testPhaseTimingsComeBackAsTimeSamples() async throws {
        let (history, _) = try makeHistory()
        _ = try await finishedRun(history, request, seed: 1, started: t0, durationSeconds: 2)
        var larger = request
        larger.width = 32
        larger.steps = 8
        let newest = try await finishedRun(history, larger, seed: 2, started: t0.addingTimeInterval(10), durationSeconds: 3)
        var other = request
        other.model = "another-model"
        _ = try await finishedRun(history, other, seed: 3, started: t0.addingTimeInterval(20), durationSeconds: 2)

        let samples = try await history.timingSamples(model: request.model)
        XCTAssertEqual(samples.map(\.width), [32, 16], "newest first, the other model's run left out")
        XCTAssertEqual(samples.first, RunTimingSample(frames: 3, width: 32, height: 8, steps: 8, guided: true,
                                                      seconds: [.denoising: 1.5, .decoding: 0.25]))
        // A run.json that is not one any more is passed over, not an error.
        let record = try XCTUnwrap(history.store.run(id: newest.id))
        try Data("{".utf8).write(to: history.store.folderURL(for: record).appendingPathComponent("run.json"))
        let left = try await history.timingSamples(model: request.model)
        XCTAssertEqual(left.map(\.width), [16])
    }

    func testFinishedRunRoundTrip() async throws {
        let (history, folder) = try makeHistory()
        // Begun: listed as running with its seed, no frames yet, nothing in runs/.
        let id = try await history.begin(request: request.withSeed(42), started: t0)
        let running = try await history.entries(matching: HistoryQuery())
        XCTAssertEqual(running.map(\.id), [id])
        XCTAssertEqual(running.first?.status, .running)
        XCTAssertEqual(running.first?.seed, 42)
        XCTAssertNil(running.first?.thumbnail)
        let runFolderBefore = history.store.folderURL(for: try XCTUnwrap(history.store.run(id: id)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: runFolderBefore.path), "frames go to staging first")

        let entry = try await history.finish(id, result: result(for: request, seed: 42), durationSeconds: 2.5)
        XCTAssertEqual(entry.id, id, "the row begun is the row finished")
        XCTAssertEqual(entry.status, .finished)
        XCTAssertEqual(entry.request, request.withSeed(42), "the seed used is kept")
        XCTAssertEqual(entry.date, t0)
        XCTAssertEqual(entry.durationSeconds, 2.5, accuracy: 1e-6)
        XCTAssertEqual(entry.thumbnail?.width, 16)
        XCTAssertEqual(entry.thumbnail?.pixel(0, 0).0, 10, "the thumbnail is the first frame")

        // Listed, newest first, with the thumbnail read back.
        let other = try await finishedRun(history, JobRequest(prompt: "a red ball bouncing", frames: 1, width: 8, height: 8),
                                          seed: 7, started: t0 + 10, durationSeconds: 1)
        var all = try await history.entries(matching: HistoryQuery())
        XCTAssertEqual(all.map(\.id), [other.id, entry.id])
        XCTAssertEqual(all.last?.thumbnail, entry.thumbnail)

        // Search goes through the store's prompt index (prefix words).
        let found = try await history.entries(matching: HistoryQuery(text: "yell squ"))
        XCTAssertEqual(found.map(\.id), [entry.id])

        // Star, then only starred.
        try await history.setStarred(entry.id, true)
        let starred = try await history.entries(matching: HistoryQuery(starredOnly: true))
        XCTAssertEqual(starred.map(\.id), [entry.id])
        XCTAssertTrue(starred[0].starred)

        // Remix and play.
        let remix = try await history.request(of: entry.id)
        XCTAssertEqual(remix, request.withSeed(42))
        let missing = try await history.request(of: "no-such-run")
        XCTAssertNil(missing)
        let frames = try await history.frames(of: entry.id)
        XCTAssertEqual(frames.count, 3)
        XCTAssertEqual(frames.map { $0.pixel(5, 5).1 }, [10, 50, 90])

        // Export: a folder whose PNGs carry both chunks, and the settings load back.
        let exported = try await history.export(entry.id)
        let names = try FileManager.default.contentsOfDirectory(atPath: exported.path).sorted()
        XCTAssertEqual(names, ["frame_0000.png", "frame_0001.png", "frame_0002.png", "run.json",
                               "thumbnail.png", "video.apng", "video.gif"])
        // The GIF (issue #20: studio runs had none) holds every frame and the settings as a comment.
        let gif = try Data(contentsOf: exported.appendingPathComponent("video.gif"))
        let pictures = try (0..<3).map { try PNG.read(contentsOf: exported.appendingPathComponent("frame_000\($0).png")).image }
        let record = try XCTUnwrap(history.store.run(id: entry.id))
        XCTAssertEqual(gif, try GIF.encode(frames: pictures, fps: record.settings.fps,
                                           comments: [RunArchive.parametersText(for: record.settings)]))
        XCTAssertNotNil(String(decoding: gif, as: UTF8.self).range(of: "Seed: 42"))
        let png = try PNG.read(contentsOf: exported.appendingPathComponent("frame_0001.png"))
        XCTAssertEqual(png.texts.map(\.keyword), ["parameters", "zoetrope"])
        XCTAssertTrue(png.texts[0].text.contains("Seed: 42"), png.texts[0].text)
        let settings = try ZoetropeMetadata.settings(fromTextChunks: png.texts.map { ($0.keyword, $0.text) })
        XCTAssertEqual(settings.seed, 42)
        XCTAssertEqual(RunArchive.request(from: settings), request.withSeed(42))
        let again = try await history.export(entry.id)
        XCTAssertNotEqual(again, exported, "a second export never overwrites the first")

        // Delete removes the row and the folder.
        let runFolder = history.store.folderURL(for: try XCTUnwrap(history.store.run(id: entry.id)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: runFolder.path))
        try await history.delete(entry.id)
        all = try await history.entries(matching: HistoryQuery())
        XCTAssertEqual(all.map(\.id), [other.id])
        XCTAssertFalse(FileManager.default.fileExists(atPath: runFolder.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: exported.path), "exports are the user's")

        // The history survives reopening the store.
        let reopened = StoreHistory(store: try HistoryStore.open(at: folder.appendingPathComponent("data")),
                                    exportFolder: folder, engineVersion: "test")
        let afterReopen = try await reopened.entries(matching: HistoryQuery())
        XCTAssertEqual(afterReopen.map(\.id), [other.id])
    }

    func testCancelledAndFailedRunsKeepSettingsAndSeedButNoFrames() async throws {
        let (history, _) = try makeHistory()
        let cancelledID = try await history.begin(request: request.withSeed(9), started: t0)
        try history.store.writeFile(named: "frame_0000.png", data: Data([1, 2, 3]), forRun: cancelledID)
        let cancelled = try await history.cancel(cancelledID)
        XCTAssertEqual(cancelled.status, .cancelled)
        XCTAssertNil(cancelled.thumbnail)
        let remix = try await history.request(of: cancelled.id)
        XCTAssertEqual(remix, request.withSeed(9))
        let frames = try await history.frames(of: cancelled.id)
        XCTAssertEqual(frames, [])
        let record = try XCTUnwrap(history.store.run(id: cancelled.id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: history.store.folderURL(for: record).path))
        let staging = history.store.directory.appendingPathComponent("staging").appendingPathComponent(cancelledID)
        XCTAssertFalse(FileManager.default.fileExists(atPath: staging.path), "half-written frames are removed")

        let failedID = try await history.begin(request: request.withSeed(5), started: t0 + 1)
        let failed = try await history.fail(failedID, message: "out of memory in the VAE")
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(try history.store.run(id: failed.id)?.errorMessage, "out of memory in the VAE")
        XCTAssertEqual(failed.request.seed, 5, "the seed chosen before the run is kept, not a placeholder")
        XCTAssertEqual(try history.store.run(id: failed.id)?.settings.seed, 5)

        // Neither can be exported (no folder), and the message says so.
        do {
            _ = try await history.export(cancelled.id)
            XCTFail("exported a run without frames")
        } catch let error as HistoryStoreError {
            guard case .missingRunFolder = error else { return XCTFail("\(error)") }
        }
    }

    func testRefusesWhatCannotBeRecordedAndUnknownIds() async throws {
        let (history, _) = try makeHistory()
        do {
            _ = try await history.begin(request: request, started: t0)
            XCTFail("began a run whose seed was never chosen")
        } catch let error as HistoryWriteError {
            XCTAssertEqual(error, .seedNotChosen)
        }
        XCTAssertEqual(try history.store.count(), 0, "nothing is written for a refused run")

        // A run ends once.
        let id = try await history.begin(request: request.withSeed(1), started: t0)
        _ = try await history.cancel(id)
        do {
            _ = try await history.finish(id, result: result(for: request, seed: 1), durationSeconds: 1)
            XCTFail("finished a cancelled run")
        } catch let error as HistoryStoreError {
            XCTAssertEqual(error, .wrongStatus(id: id, status: .cancelled, expected: [.running]))
        }
        XCTAssertEqual(try history.store.run(id: id)?.status, .cancelled)

        // Frames made with another seed than the row's are not saved under the row's seed.
        let other = try await history.begin(request: request.withSeed(2), started: t0)
        do {
            _ = try await history.finish(other, result: result(for: request, seed: 3), durationSeconds: 1)
            XCTFail("saved frames of seed 3 as seed 2")
        } catch let error as RunArchive.SeedMismatch {
            XCTAssertEqual(error, RunArchive.SeedMismatch(begun: 2, used: 3))
        }
        XCTAssertEqual(try history.store.run(id: other)?.status, .failed, "never left running")

        for call in [{ try await history.setStarred("nope", true) }, { try await history.delete("nope") },
                     { _ = try await history.frames(of: "nope") }, { _ = try await history.fail("nope", message: "x") },
                     { _ = try await history.cancel("nope") }] {
            do {
                try await call()
                XCTFail("no error for an unknown id")
            } catch let error as HistoryStoreError {
                XCTAssertEqual(error, .runNotFound(id: "nope"))
            }
        }
    }

    func testForeignRequestJSONFallsBackToColumns() {
        let settings = RunSettings(modelID: "wan-1.3b", prompt: "p", frameCount: 5, width: 32, height: 16,
                                   stepCount: 7, guidanceScale: 4.5, sampler: "euler shift 2", seed: 11, fps: 12,
                                   requestJSON: #"{"something":"else"}"#)
        let request = RunArchive.request(from: settings)
        XCTAssertEqual(request, JobRequest(model: "wan-1.3b", prompt: "p", frames: 5, width: 32, height: 16, steps: 7,
                                           guidanceScale: 4.5, sampler: "euler", seed: 11, fps: 12))
    }
}

/// The studio's own keys against the real store: a run finished in the studio is in the
/// SQLite history, and star, search and delete from the history screen reach it.
final class StudioOnStoreTests: XCTestCase {
    func testStudioRecordsStarsSearchesAndDeletesInTheStore() async throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("zoetrope-studio-store-tests", isDirectory: true)
            .appendingPathComponent(UUID().uuidString, isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let store = try HistoryStore.open(at: folder)
        let history = StoreHistory(store: store, exportFolder: folder.appendingPathComponent("exports"),
                                   engineVersion: "test")
        let h = StudioHarness(provider: history)
        let t0 = Date(timeIntervalSince1970: 10_000)

        await h.type("a green snake")
        await h.press(.enter)
        let job = try XCTUnwrap(h.service.jobIDs.first)
        let request = h.service.submitted[0]
        let seed = try XCTUnwrap(request.seed, "the studio chose the seed")
        let frame = [UInt8](repeating: 90, count: request.width * request.height * 3)
        let result = JobResult(request: request, seed: seed, frames: Array(repeating: frame, count: request.frames),
                               width: request.width, height: request.height, video: [], timings: [:], peakMemoryBytes: 0)
        await h.emit(.step(index: 1, count: 1, secondsPerStep: 1, etaSeconds: 0), job: job, at: t0)
        await h.emit(.finished(result), job: job, at: t0 + 1)
        XCTAssertNil(h.state.message.flatMap { $0.kind == .error ? $0.text : nil })

        var records = try store.runs()
        XCTAssertEqual(records.map(\.settings.prompt), ["a green snake"])
        XCTAssertEqual(records.first?.settings.seed, seed)
        XCTAssertEqual(records.first?.status, .finished)

        // History screen: listed; f stars it in the store; / finds it; d y deletes it.
        await h.press(.escape, .character("h"))
        XCTAssertNotNil(h.line(containing: "a green snake"), h.text)
        await h.press(.character("f"))
        records = try store.runs(matching: RunFilter(starredOnly: true))
        XCTAssertEqual(records.count, 1)
        await h.press(.character("/"))
        await h.type("snak")
        await h.press(.enter)
        XCTAssertEqual(h.state.history.entries.map(\.prompt), ["a green snake"])
        await h.press(.character("d"), .character("y"))
        XCTAssertEqual(try store.count(), 0)
        XCTAssertNil(h.state.message.flatMap { $0.kind == .error ? $0.text : nil })
    }
}
