import Foundation
import Synchronization
import TensorCore
@testable import Engine

/// A model that behaves like a real one (steps that keep the CPU busy, cancellation checked
/// inside each step, a deterministic output from the seed) without weights, so the engine's
/// queueing and event contract can be tested quickly. Parity of the real models is tested
/// elsewhere against diffusers.
final class FakeModel: LoadedModel {
    let id: String
    let blocksPerStep: Int
    let blockMicroseconds: Int
    /// Called on the worker thread after each step's event is sent (1-based step).
    let afterStep: (@Sendable (Int, JobContext) -> Void)?

    init(id: String, blocksPerStep: Int = 4, blockMicroseconds: Int = 2_000,
         afterStep: (@Sendable (Int, JobContext) -> Void)? = nil) {
        self.id = id
        self.blocksPerStep = blocksPerStep
        self.blockMicroseconds = blockMicroseconds
        self.afterStep = afterStep
    }

    func validate(_ request: JobRequest) throws {
        guard request.steps > 0 else { throw JobFailure(.badRequest, "steps must be at least 1, got \(request.steps)") }
        guard (request.frames - 1) % 4 == 0 else {
            throw JobFailure(.badRequest, "frames must be 4k+1 (1, 5, 9, 13, 17 …), got \(request.frames)")
        }
    }

    func generate(_ request: JobRequest, seed: UInt64, context: JobContext) throws -> GeneratedClip {
        context.begin(.encoding)
        context.emit(.encodingText)
        context.begin(.denoising)
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        let start = Date()
        for step in 1...request.steps {
            for _ in 0..<blocksPerStep {
                try context.cancellation.check()
                busyWait(microseconds: blockMicroseconds)
                state = state &* 6364136223846793005 &+ 1442695040888963407
            }
            let perStep = Date().timeIntervalSince(start) / Double(step)
            context.emit(.step(index: step, count: request.steps, secondsPerStep: perStep,
                               etaSeconds: perStep * Double(request.steps - step)))
            afterStep?(step, context)
        }
        context.begin(.decoding)
        context.emit(.decoding(chunk: 1, count: 1))
        try context.cancellation.check()
        let n = request.frames * request.height * request.width * 3
        var video = [Float](repeating: 0, count: n)
        for i in 0..<n {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            video[i] = Float(state >> 40) / Float(1 << 24)
        }
        return GeneratedClip(width: request.width, height: request.height, frameCount: request.frames, video: video)
    }

    func releaseTransientMemory() {}
}

/// Keeps the CPU busy (like arithmetic would) for about `microseconds`.
func busyWait(microseconds: Int) {
    let end = DispatchTime.now().uptimeNanoseconds + UInt64(microseconds) * 1000
    var x = 0.0
    while DispatchTime.now().uptimeNanoseconds < end { x += 1 }
    _ = x
}

struct FakeLoader: ModelLoader {
    var blocksPerStep = 4
    var blockMicroseconds = 2_000
    var afterStep: (@Sendable (Int, JobContext) -> Void)?
    var log: LoadLog?

    func load(_ model: String, context: JobContext) throws -> LoadedModel {
        guard model.hasPrefix("fake") else {
            throw JobFailure(.badModel, "no model named \(model)")
        }
        context.emit(.loading(component: "transformer", fraction: 1))
        let loaded = FakeModel(id: model, blocksPerStep: blocksPerStep, blockMicroseconds: blockMicroseconds,
                               afterStep: afterStep)
        log?.loaded(loaded)
        return loaded
    }
}

/// Which models a loader made, and how many earlier ones were still alive at each load.
final class LoadLog: Sendable {
    private struct Weak: @unchecked Sendable { weak var model: FakeModel? }
    private let state = Mutex<(models: [Weak], aliveAtLoad: [Int])>(([], []))

    func loaded(_ model: FakeModel) {
        state.withLock { s in
            s.aliveAtLoad.append(s.models.filter { $0.model != nil }.count)
            s.models.append(Weak(model: model))
        }
    }

    /// For each load, how many models loaded before it were still in memory.
    var aliveAtLoad: [Int] { state.withLock { $0.aliveAtLoad } }
}

/// Spins (keeping a core busy, as arithmetic would) until `flag` is set, for at most
/// `seconds`. Lets a test hold the worker at a point until the test has acted.
func spin(until flag: CancellationFlag, atMost seconds: Double = 30) {
    let end = Date().addingTimeInterval(seconds)
    while !flag.isCancelled && Date() < end { busyWait(microseconds: 200) }
}
