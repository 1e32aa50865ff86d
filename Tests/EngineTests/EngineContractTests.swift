import Foundation
import Synchronization
import TensorCore
import TestSupport
import XCTest
@testable import Engine

/// The engine's event contract: order, exactly one final event, queue operations.
final class EngineContractTests: XCTestCase {
    func request(_ prompt: String = "a red circle", steps: Int = 3, frames: Int = 5, seed: UInt64? = 7,
                 model: String = "fake-a") -> JobRequest {
        JobRequest(model: model, prompt: prompt, frames: frames, width: 8, height: 8, steps: steps, seed: seed)
    }

    func collect(_ handle: JobHandle) async -> [JobEvent] {
        var events: [JobEvent] = []
        for await e in handle.events { events.append(e.event) }
        return events
    }

    func finals(_ events: [JobEvent]) -> [JobEvent] { events.filter(\.isFinal) }

    func testEventOrderOnSuccess() async throws {
        let engine = Engine(loader: FakeLoader())
        let events = await collect(await engine.submit(request(steps: 3)))
        guard case .queued(0) = events.first else { return XCTFail("first event \(String(describing: events.first))") }
        XCTAssertEqual(finals(events).count, 1)
        guard case .finished(let result) = events.last else { return XCTFail("last event \(String(describing: events.last))") }
        XCTAssertEqual(result.seed, 7)
        XCTAssertEqual(result.frames.count, 5)
        let steps = events.compactMap { e -> Int? in if case .step(let i, _, _, _) = e { return i } else { return nil } }
        XCTAssertEqual(steps, [1, 2, 3])
        // loading before encoding before steps before decoding
        func index(_ match: (JobEvent) -> Bool) -> Int? { events.firstIndex(where: match) }
        let load = index { if case .loading = $0 { return true } else { return false } }
        let encode = index { if case .encodingText = $0 { return true } else { return false } }
        let step = index { if case .step = $0 { return true } else { return false } }
        let decode = index { if case .decoding = $0 { return true } else { return false } }
        XCTAssertNotNil(load)
        XCTAssertLessThan(load!, encode!)
        XCTAssertLessThan(encode!, step!)
        XCTAssertLessThan(step!, decode!)
        XCTAssertNotNil(result.timings[.denoising])
        XCTAssertGreaterThan(result.peakMemoryBytes, 0)
    }

    func testBadRequestFailsOnceWithAMessage() async {
        let engine = Engine(loader: FakeLoader())
        let events = await collect(await engine.submit(request(frames: 6)))
        XCTAssertEqual(finals(events).count, 1)
        guard case .failed(let failure) = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(failure.kind, .badRequest)
        XCTAssertTrue(failure.message.contains("4k+1"), failure.message)
    }

    /// `precision` reaches the model's thread as `ComputePrecision.current` (where the GEMMs read
    /// it); a CPU without bf16 gets a bad-request failure that says what to use; requests
    /// written before precision existed read back as fp32, and fp32 is not written.
    func testPrecisionReachesTheModelOrIsRefusedInWords() async throws {
        final class Seen: Sendable { let precisions = Mutex<[ComputePrecision]>([]) }
        let seen = Seen()
        let loader = FakeLoader(afterStep: { _, _ in seen.precisions.withLock { $0.append(ComputePrecision.current) } })
        var bf16 = request(steps: 2)
        bf16.precision = .bfloat16
        let events = await collect(await Engine(loader: loader).submit(bf16))
        if CPUFeatures.hasBF16 {
            guard case .finished(let result) = events.last else { return XCTFail("\(events)") }
            XCTAssertEqual(result.request.precision, .bfloat16)
            XCTAssertEqual(seen.precisions.withLock { $0 }, [.bfloat16, .bfloat16])
        } else {
            guard case .failed(let failure) = events.last else { return XCTFail("\(events)") }
            XCTAssertEqual(failure.kind, .badRequest)
            XCTAssertTrue(failure.message.contains("precision bf16") && failure.message.contains("fp32"), failure.message)
        }
        let fp32Events = await collect(await Engine(loader: loader).submit(request(steps: 1)))
        guard case .finished = fp32Events.last else { return XCTFail("\(fp32Events)") }
        XCTAssertEqual(seen.precisions.withLock { $0 }.last, .float32)

        let old = #"{"model":"fake-a","prompt":"p","frames":5,"width":8,"height":8,"steps":1,"guidanceScale":5,"fps":8}"#
        let decoded = try JSONDecoder().decode(JobRequest.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.precision, .float32)
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self).contains("precision"))
        let again = try JSONDecoder().decode(JobRequest.self, from: try JSONEncoder().encode(bf16))
        XCTAssertEqual(again, bf16)
        XCTAssertThrowsError(try JSONDecoder().decode(JobRequest.self, from: Data(
            old.replacingOccurrences(of: "}", with: #","precision":"fp16"}"#).utf8)))
    }

    func testUnknownModelFails() async {
        let engine = Engine(loader: FakeLoader())
        let events = await collect(await engine.submit(request(model: "nope")))
        guard case .failed(let failure) = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(failure.kind, .badModel)
        XCTAssertEqual(finals(events).count, 1)
    }

    func testCancelBeforeStart() async {
        let engine = Engine(loader: FakeLoader(blockMicroseconds: 20_000))
        await engine.pauseAfterCurrent(true)
        let handle = await engine.submit(request())
        await handle.cancel()
        let events = await collect(handle)
        XCTAssertEqual(finals(events).count, 1)
        guard case .cancelled(nil) = events.last else { return XCTFail("\(events)") }
    }

    func testCancelMidStepStopsInsideTheNextStep() async {
        // The worker waits after step 2 until the cancel has landed, so the cancel is seen at
        // the first block check of step 3: inside the step, before it reports done.
        let cancelled = CancellationFlag()
        let engine = Engine(loader: FakeLoader(blocksPerStep: 4, blockMicroseconds: 1_000, afterStep: { step, context in
            if step == 2 { spin(until: context.cancellation) }
        }))
        let handle = await engine.submit(request(steps: 50))
        var events: [JobEvent] = []
        for await e in handle.events {
            events.append(e.event)
            if case .step(2, _, _, _) = e.event, !cancelled.isCancelled {
                cancelled.cancel()
                await handle.cancel()
            }
        }
        XCTAssertEqual(finals(events).count, 1)
        guard case .cancelled(let step) = events.last else { return XCTFail("\(events.suffix(2))") }
        XCTAssertEqual(step, 3)
        let steps = events.compactMap { e -> Int? in if case .step(let i, _, _, _) = e { return i } else { return nil } }
        XCTAssertEqual(steps, [1, 2])
        XCTAssertFalse(events.contains { if case .decoding = $0 { return true } else { return false } })
    }

    func testConsumerDroppingItsStreamEndsTheJobOnce() async throws {
        let engine = Engine(loader: FakeLoader(blocksPerStep: 4, blockMicroseconds: 20_000))
        var handle: JobHandle? = await engine.submit(request(steps: 200))
        let id = handle!.id
        // Read one event, then drop the stream.
        var iterator: AsyncStream<TimedEvent>.Iterator? = handle!.events.makeAsyncIterator()
        _ = await iterator?.next()
        iterator = nil
        handle = nil
        // The job must end (cancelled) with one recorded outcome; wait up to 10 s.
        var outcome: JobEvent?
        for _ in 0..<200 {
            outcome = await engine.outcome(of: id)
            if outcome != nil { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        guard case .cancelled = outcome else { return XCTFail("outcome \(String(describing: outcome))") }
        // A later job still runs normally.
        let next = await collect(await engine.submit(request(steps: 1)))
        guard case .finished = next.last else { return XCTFail("\(next)") }
    }

    func testQueueOfThreeWithTheMiddleRemoved() async {
        let engine = Engine(loader: FakeLoader(blockMicroseconds: 5_000))
        await engine.pauseAfterCurrent(true)
        let a = await engine.submit(request("a"))
        let b = await engine.submit(request("b"))
        let c = await engine.submit(request("c"))
        let snapshot = await engine.queue
        XCTAssertEqual(snapshot.waiting.map(\.request.prompt), ["a", "b", "c"])
        let removed = await engine.remove(b.id)
        XCTAssertTrue(removed)
        let afterRemove = await engine.queue.waiting.map(\.request.prompt)
        XCTAssertEqual(afterRemove, ["a", "c"])
        await engine.pauseAfterCurrent(false)
        let (ea, eb, ec) = await (collect(a), collect(b), collect(c))
        guard case .finished = ea.last, case .cancelled(nil) = eb.last, case .finished = ec.last else {
            return XCTFail("\(ea.last!) \(eb.last!) \(ec.last!)")
        }
        // c moved from position 2 to 1 when b left.
        let positions = ec.compactMap { e -> Int? in if case .queued(let p) = e { return p } else { return nil } }
        XCTAssertEqual(Array(positions.prefix(2)), [2, 1])
        for events in [ea, eb, ec] { XCTAssertEqual(finals(events).count, 1) }
    }

    func testMoveReordersTheQueue() async {
        let engine = Engine(loader: FakeLoader())
        await engine.pauseAfterCurrent(true)
        // The handles are kept: a dropped handle cancels its job (see the next test).
        let a = await engine.submit(request("a"))
        let b = await engine.submit(request("b"))
        let c = await engine.submit(request("c"))
        await engine.move(c.id, to: 0)
        let order = await engine.queue.waiting.map(\.request.prompt)
        XCTAssertEqual(order, ["c", "a", "b"])
        let positions = await engine.queue.waiting.map(\.id)
        XCTAssertEqual(positions, [c.id, a.id, b.id])
    }

    func testDroppedHandlesLeaveTheQueueAtOnce() async {
        let engine = Engine(loader: FakeLoader())
        await engine.pauseAfterCurrent(true)
        // Only the id is kept: the handle, and with it the event stream, is dropped here.
        let a = await engine.submit(request("a")).id
        let b = await engine.submit(request("b")).id
        let c = await engine.submit(request("c"))
        let order = await engine.queue.waiting.map(\.request.prompt)
        XCTAssertEqual(order, ["c"])
        for id in [a, b] {
            let outcome = await engine.outcome(of: id)
            guard case .cancelled(nil) = outcome else { return XCTFail("\(String(describing: outcome))") }
        }
        await engine.pauseAfterCurrent(false)
        let events = await collect(c)
        guard case .finished = events.last else { return XCTFail("\(events)") }
    }

    func testPausedQueueNeverStartsAJob() async throws {
        let engine = Engine(loader: FakeLoader())
        await engine.pauseAfterCurrent(true)
        let handles = [await engine.submit(request("a")), await engine.submit(request("b"))]
        for _ in 0..<20 { await Task.yield() }
        try await Task.sleep(nanoseconds: 20_000_000)
        let queue = await engine.queue
        XCTAssertNil(queue.running)
        XCTAssertEqual(queue.waiting.map(\.id), handles.map(\.id))
        for handle in handles {
            let outcome = await engine.outcome(of: handle.id)
            XCTAssertNil(outcome)
        }
    }

    func testSkipCancelsTheRunningJobAndGoesOn() async {
        let engine = Engine(loader: FakeLoader(blocksPerStep: 4, blockMicroseconds: 20_000))
        let first = await engine.submit(request("first", steps: 100))
        let second = await engine.submit(request("second", steps: 1))
        for await e in first.events {
            if case .step(1, _, _, _) = e.event { await engine.skip() }
            if e.event.isFinal { guard case .cancelled = e.event else { return XCTFail("\(e.event)") } }
        }
        let events = await collect(second)
        guard case .finished = events.last else { return XCTFail("\(events)") }
    }

    func testSameRequestAndSeedGiveIdenticalFrames() async {
        let engine = Engine(loader: FakeLoader())
        let one = await collect(await engine.submit(request(seed: 123)))
        let two = await collect(await engine.submit(request(seed: 123)))
        guard case .finished(let a) = one.last, case .finished(let b) = two.last else { return XCTFail() }
        XCTAssertEqual(a.frames, b.frames)
    }

    func testRandomSeedIsReported() async {
        let engine = Engine(loader: FakeLoader(), seedSource: { 4242 })
        let events = await collect(await engine.submit(request(seed: nil)))
        guard case .finished(let result) = events.last else { return XCTFail() }
        XCTAssertEqual(result.seed, 4242)
        XCTAssertEqual(result.request.seed, 4242)
    }

    func testModelStaysLoadedBetweenJobsOfTheSameModel() async {
        let engine = Engine(loader: FakeLoader())
        _ = await collect(await engine.submit(request()))
        let second = await collect(await engine.submit(request()))
        XCTAssertFalse(second.contains { if case .loading = $0 { return true } else { return false } })
        let other = await collect(await engine.submit(request(model: "fake-b")))
        XCTAssertTrue(other.contains { if case .loading = $0 { return true } else { return false } })
        let loaded = await engine.loadedModelID
        XCTAssertEqual(loaded, "fake-b")
    }

    func testSwitchingModelsFreesTheOldWeightsBeforeLoading() async {
        let log = LoadLog()
        let engine = Engine(loader: FakeLoader(log: log))
        for model in ["fake-a", "fake-a", "fake-b", "fake-a"] {
            let events = await collect(await engine.submit(request(model: model)))
            guard case .finished = events.last else { return XCTFail("\(events)") }
        }
        // Three loads (a, b, a), and no earlier model in memory when each began.
        XCTAssertEqual(log.aliveAtLoad, [0, 0, 0])
    }

    func testEventsReachTheConsumerWhileTheWorkerIsBusy() async {
        // After step 1 the worker keeps a core busy until the consumer has seen step 1: events
        // are delivered as they happen, not when the worker lets go. (The delay itself is
        // measured by `zoetrope-engine-bench`, not here.)
        let seen = CancellationFlag()
        let gaveUp = CancellationFlag()
        let engine = Engine(loader: FakeLoader(blocksPerStep: 1, blockMicroseconds: 1_000, afterStep: { step, _ in
            guard step == 1 else { return }
            spin(until: seen)
            if !seen.isCancelled { gaveUp.cancel() }
        }))
        let handle = await engine.submit(request(steps: 3))
        var events: [JobEvent] = []
        for await e in handle.events {
            events.append(e.event)
            if case .step(1, _, _, _) = e.event { seen.cancel() }
        }
        XCTAssertFalse(gaveUp.isCancelled, "step 1 did not reach the consumer while the worker was busy")
        guard case .finished = events.last else { return XCTFail("\(events)") }
    }
}
