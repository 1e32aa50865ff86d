// Readers are never blocked by a writer and always see whole transactions (WAL + DatabasePool).
import Foundation
import GRDB
import XCTest
@testable import HistoryStore

final class ConcurrencyTests: XCTestCase {
    func testReadDuringOpenWriteTransactionSeesCommittedSnapshot() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        try store.add((0..<100).map { finishedRecord($0, createdAt: Date(timeIntervalSince1970: Double($0))) })

        let writerInside = DispatchSemaphore(value: 0)
        let readerDone = DispatchSemaphore(value: 0)
        let writerResult = LockedBox<Result<DispatchTimeoutResult, Error>?>(nil)
        let writerFinished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let result = Result {
                try store.write { db -> DispatchTimeoutResult in
                    for n in 100..<200 {
                        try RunRow.insert(finishedRecord(n, createdAt: Date(timeIntervalSince1970: Double(n))), owner: nil, db)
                    }
                    writerInside.signal()
                    // Hold the transaction open until the reader has read. A pool lets the
                    // reader in; a serialized queue would make this wait time out.
                    return readerDone.wait(timeout: .now() + 30)
                }
            }
            writerResult.value = result
            writerFinished.signal()
        }
        writerInside.wait()
        let seenDuringWrite = try store.count()
        let newestDuringWrite = try store.runs(limit: 1).first?.settings.seed
        readerDone.signal()
        writerFinished.wait()

        XCTAssertEqual(seenDuringWrite, 100, "the reader sees the last committed state, not half a transaction")
        XCTAssertEqual(newestDuringWrite, 1234 + 99)
        XCTAssertEqual(try writerResult.value?.get(), .success, "the reader was not blocked by the open write")
        XCTAssertEqual(try store.count(), 200)
    }

    func testManyReadersWhileWriterCommitsBatches() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let batch = 50, batches = 20
        let counts = LockedBox<[Int]>([])
        let failures = LockedBox<[String]>([])
        let writing = LockedBox(true)

        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            if worker == 0 {
                do {
                    for b in 0..<batches {
                        try store.add((0..<batch).map { i in
                            finishedRecord(b * batch + i, createdAt: Date(timeIntervalSince1970: Double(b * batch + i)))
                        })
                    }
                } catch {
                    failures.withValue { $0.append("writer: \(error)") }
                }
                writing.value = false
                return
            }
            var reads = 0
            while writing.value || reads < 5 {
                do {
                    let count = try store.count()
                    let page = try store.runs(limit: 10)
                    counts.withValue { $0.append(count) }
                    if count % batch != 0 { failures.withValue { $0.append("reader saw \(count) rows mid-batch") } }
                    // Two reads, two snapshots: the page is read later, so it is never shorter.
                    if page.count < min(10, count) {
                        failures.withValue { $0.append("page of \(page.count) after \(count) rows") }
                    }
                    let seeds = page.map(\.settings.seed)
                    if seeds != seeds.sorted(by: >) { failures.withValue { $0.append("page not newest first") } }
                } catch {
                    failures.withValue { $0.append("reader: \(error)") }
                }
                reads += 1
            }
        }
        XCTAssertEqual(failures.value, [])
        XCTAssertEqual(try store.count(), batch * batches)
        print("concurrent readers made \(counts.value.count) reads; distinct counts seen: \(Set(counts.value).count)")
    }
}

/// A value shared between threads in a test.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
    func withValue(_ body: (inout T) -> Void) { lock.withLock { body(&stored) } }
}
