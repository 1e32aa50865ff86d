import Foundation
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

    init(id: String, blocksPerStep: Int = 4, blockMicroseconds: Int = 2_000) {
        self.id = id
        self.blocksPerStep = blocksPerStep
        self.blockMicroseconds = blockMicroseconds
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
    func load(_ model: String, context: JobContext) throws -> LoadedModel {
        guard model.hasPrefix("fake") else {
            throw JobFailure(.badModel, "no model named \(model)")
        }
        context.emit(.loading(component: "transformer", fraction: 1))
        return FakeModel(id: model, blocksPerStep: blocksPerStep, blockMicroseconds: blockMicroseconds)
    }
}
