// Shared helpers: temporary data folders, sample settings, and a file system that fails on demand.
import Foundation
import XCTest
@testable import HistoryStore

/// A fresh data folder under the system temp dir, removed when the test ends.
func makeDataDirectory(_ test: XCTestCase, _ name: String = #function) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("zoetrope-store-tests", isDirectory: true)
        .appendingPathComponent("\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

func sampleSettings(_ n: Int = 0, prompt: String? = nil, model: String = "tiny-shapes",
                    seed: UInt64? = nil) -> RunSettings {
    RunSettings(modelID: model, prompt: prompt ?? "a yellow square moving up number \(n)",
                negativePrompt: "blurry, static", frameCount: 17, width: 64, height: 64, stepCount: 20,
                guidanceScale: 5.0, sampler: "unipc", seed: seed ?? UInt64(1234 + n), fps: 8,
                requestJSON: #"{"model":"\#(model)","steps":20,"guidance":5.0,"n":\#(n)}"#)
}

/// A finished record for bulk inserts.
func finishedRecord(_ n: Int, createdAt: Date, model: String = "tiny-shapes", prompt: String? = nil,
                    starred: Bool = false, tags: [String] = []) -> RunRecord {
    RunRecord(createdAt: createdAt, finishedAt: createdAt.addingTimeInterval(3), status: .finished,
              settings: sampleSettings(n, prompt: prompt, model: model), isStarred: starred, tags: tags,
              duration: 3, engineVersion: "test")
}

/// The local file system, except that writes fail with `.diskFull` once `budget` bytes were
/// written, and `canWrite` can be turned off (a read-only folder, even when tests run as root).
final class FailingFileSystem: StoreFileSystem, @unchecked Sendable {
    private let lock = NSLock()
    private let base = LocalFileSystem()
    private var budget: Int
    private var writable: Bool

    init(budget: Int = .max, writable: Bool = true) {
        self.budget = budget
        self.writable = writable
    }

    func setBudget(_ bytes: Int) { lock.withLock { budget = bytes } }

    func createDirectory(at url: URL) throws {
        if !lock.withLock({ writable }) { throw HistoryStoreError.notWritable(path: url.path, reason: "Read-only file system") }
        try base.createDirectory(at: url)
    }

    func write(_ data: Data, to url: URL) throws {
        try lock.withLock {
            if !writable { throw HistoryStoreError.notWritable(path: url.path, reason: "Read-only file system") }
            if data.count > budget { throw HistoryStoreError.diskFull(path: url.path) }
            budget -= data.count
        }
        try base.write(data, to: url)
    }

    func move(_ source: URL, to destination: URL) throws { try base.move(source, to: destination) }
    func remove(_ url: URL) throws { try base.remove(url) }
    func copyTree(_ source: URL, to destination: URL) throws { try base.copyTree(source, to: destination) }
    func exists(_ url: URL) -> Bool { base.exists(url) }
    func canWrite(inDirectory url: URL) -> Bool { lock.withLock { writable } && base.canWrite(inDirectory: url) }
    func contents(ofDirectory url: URL) -> [String] { base.contents(ofDirectory: url) }
}

/// Begins a run, writes `frames` small frame files and finishes it.
@discardableResult
func makeFinishedRun(_ store: HistoryStore, _ settings: RunSettings, frames: Int = 2,
                     createdAt: Date = Date()) throws -> RunRecord {
    let run = try store.beginRun(settings, createdAt: createdAt)
    for i in 0..<frames {
        try store.writeFile(named: String(format: "frame-%04d.png", i), data: Data("frame \(i) of \(run.id)".utf8), forRun: run.id)
    }
    return try store.finishRun(run.id, engineVersion: "0.1-test", timings: ["denoise": 1.5, "decode": 0.25],
                               finishedAt: createdAt.addingTimeInterval(2))
}
