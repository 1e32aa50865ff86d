// 10,000 runs: list, filter and search are served by indexes (asserted on the query plan,
// not on the clock; timings are printed for the record).
import Foundation
import XCTest
@testable import HistoryStore

final class ScaleTests: XCTestCase {
    private static let animals = ["cat", "dog", "heron", "otter", "fox", "whale", "moth", "lynx", "crab", "owl"]
    private static let colours = ["red", "blue", "green", "amber", "violet", "grey", "white"]

    func testTenThousandRunsListAndSearchUseIndexes() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let records = (0..<10_000).map { n in
            finishedRecord(n, createdAt: start.addingTimeInterval(Double(n) * 60),
                           model: n % 4 == 0 ? "wan-1.3b" : "tiny-shapes",
                           prompt: "a \(Self.colours[n % 7]) \(Self.animals[n % 10]) in scene \(n)",
                           starred: n % 50 == 0)
        }
        var clock = ContinuousClock.now
        try store.add(records)
        print("inserted 10000 runs in \(ContinuousClock.now - clock)")

        func timed<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
            clock = ContinuousClock.now
            let result = try body()
            print("10k runs: \(label) took \(ContinuousClock.now - clock)")
            return result
        }
        let page = try timed("first page of 50") { try store.runs(limit: 50) }
        XCTAssertEqual(page.first?.settings.seed, 1234 + 9_999)
        let deep = try timed("page at offset 5000") { try store.runs(limit: 50, offset: 5_000) }
        XCTAssertEqual(deep.first?.settings.seed, 1234 + 4_999)
        let wan = try timed("model filter") { try store.runs(matching: RunFilter(modelID: "wan-1.3b"), limit: 50) }
        XCTAssertEqual(wan.count, 50)
        XCTAssertTrue(wan.allSatisfy { $0.settings.modelID == "wan-1.3b" })
        let starred = try timed("starred filter") { try store.count(matching: RunFilter(starredOnly: true)) }
        XCTAssertEqual(starred, 200)
        // "otter" is n % 10 == 3 and "violet" n % 7 == 4: n ≡ 53 (mod 70), 143 of 10,000.
        let hits = try timed("search 'violet otter'") { try store.search("violet otter", limit: 1_000) }
        XCTAssertEqual(hits.count, 143)
        XCTAssertEqual(hits.first?.settings.prompt, "a violet otter in scene 9993")
        let count = try timed("count of search") { try store.count(matching: RunFilter(text: "whale")) }
        XCTAssertEqual(count, 1_000)

        // Query plans: the newest-first list walks an index backwards (no sort step), and each
        // filter has an index whose order already matches.
        let listPlan = try store.queryPlan().joined(separator: " | ")
        print("plan, list: \(listPlan)")
        XCTAssertTrue(listPlan.contains("run_by_created"), listPlan)
        XCTAssertFalse(listPlan.contains("TEMP B-TREE"), "no sort of the whole table: \(listPlan)")
        for (filter, index) in [(RunFilter(modelID: "wan-1.3b"), "run_by_model"),
                                (RunFilter(starredOnly: true), "run_by_starred"),
                                (RunFilter(statuses: [.finished]), "run_by_status")] {
            let plan = try store.queryPlan(matching: filter).joined(separator: " | ")
            print("plan, \(index): \(plan)")
            XCTAssertTrue(plan.contains(index), plan)
            XCTAssertFalse(plan.contains("TEMP B-TREE"), plan)
        }
        let searchPlan = try store.queryPlan(matching: RunFilter(text: "otter")).joined(separator: " | ")
        print("plan, search: \(searchPlan)")
        XCTAssertTrue(searchPlan.contains("VIRTUAL TABLE INDEX"), "the FTS index answers the MATCH: \(searchPlan)")
        XCTAssertFalse(searchPlan.contains("SCAN run "), "no full scan of the run table: \(searchPlan)")
    }
}
