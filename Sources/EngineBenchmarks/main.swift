// zoetrope-engine-bench: how quickly the engine answers while a job keeps the CPU busy.
//
//   swift build -c release --product zoetrope-engine-bench
//   .build/release/zoetrope-engine-bench [model] [--frames 33] [--width 64] [--height 64] [--steps 30]
//                                        [--live-only]   (only (c), for models whose jobs are long)
//
// `model` is a bundled id or a WanPipeline folder (default: the tiny test pipeline,
// Tests/Fixtures/wan/pipeline, run from the repository root). It measures, through a real
// `Engine` and a consumer on another task, as the studio and `zoetrope generate` consume it:
//
//   (a) cancel latency: from `cancel()` to the final `.cancelled` event (its timestamp, and
//       its arrival at the consumer), for cancels sent on step events early, mid and late in
//       the denoising loop, and on the first VAE chunk of the final decode;
//   (b) event delivery latency: the delay between an event's timestamp (taken on the worker
//       thread as it is sent) and its arrival at the consumer, over every event of a full job
//       with a preview every step and a real decode every 10 steps;
//   (c) what live decodes cost (issue #20): the same job with cheap projections only and with
//       the studio's default, `auto` (real decodes of every frame within a fifth of the run),
//       once the engine knows the model's decode time — each job's time from the text
//       encoder's start to its last frame, the time spent on live decodes, and how many.
//
// These are measurements, not tests: the numbers depend on the machine and its load (which
// is printed), so no test asserts them.
import Engine
import Foundation

// MARK: Options

struct Options {
    var model = "Tests/Fixtures/wan/pipeline"
    var frames = 33, width = 64, height = 64, steps = 30
    var liveOnly = false

    init(_ arguments: [String]) {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            func value() -> Int {
                guard let text = rest.popFirst(), let n = Int(text) else {
                    FileHandle.standardError.write(Data("\(argument) takes a number\n".utf8))
                    exit(2)
                }
                return n
            }
            switch argument {
            case "--frames": frames = value()
            case "--width": width = value()
            case "--height": height = value()
            case "--steps": steps = value()
            case "--live-only": liveOnly = true
            default: model = argument
            }
        }
    }

    func request(seed: UInt64, preview: PreviewSettings) -> JobRequest {
        JobRequest(model: model, prompt: "a red circle moving left", negativePrompt: "blurry", frames: frames,
                   width: width, height: height, steps: steps, guidanceScale: 5, seed: seed, preview: preview)
    }
}

// MARK: Reporting

func milliseconds(_ seconds: Double) -> String { String(format: "%8.2f ms", seconds * 1e3) }

/// Median, 95th percentile and maximum of `values`.
func spread(_ values: [Double]) -> String {
    guard !values.isEmpty else { return "no samples" }
    let sorted = values.sorted()
    func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)] }
    return "median \(milliseconds(at(0.5)))   p95 \(milliseconds(at(0.95)))   max \(milliseconds(sorted.last!))"
        + "   (\(values.count) events)"
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
        .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "unknown"
}

func describe(_ event: JobEvent) -> String {
    switch event {
    case .finished: return "finished"
    case .failed(let failure): return "failed: \(failure.message)"
    case .cancelled(let step): return "cancelled(atStep: \(step.map(String.init) ?? "nil"))"
    default: return "\(event)"
    }
}

// MARK: Measuring

/// When to cancel a job: on a step event, or on the first decoding event.
enum CancelPoint: Sendable, CustomStringConvertible {
    case step(Int)
    case firstDecodeChunk

    func matches(_ event: JobEvent) -> Bool {
        switch (self, event) {
        case (.step(let k), .step(let index, _, _, _)): return k == index
        case (.firstDecodeChunk, .decoding(1, _)): return true
        default: return false
        }
    }

    var description: String {
        switch self {
        case .step(let k): return "on step \(k)"
        case .firstDecodeChunk: return "on VAE chunk 1"
        }
    }
}

/// What one job's consumer saw.
struct Observation: Sendable {
    /// Arrival minus timestamp, per event, by kind.
    var delays: [(kind: String, seconds: Double)] = []
    var final: JobEvent?
    var cancelSentAt: Date?
    var finalStampedAt: Date?
    var finalArrivedAt: Date?
    var secondsPerStep: Double?
}

/// Runs `request` and consumes its events on a separate task, cancelling at `cancelAt`.
func observe(_ engine: Engine, _ request: JobRequest, cancelAt: CancelPoint? = nil) async -> Observation {
    let handle = await engine.submit(request)
    let consumer = Task.detached { () -> Observation in
        var seen = Observation()
        for await timed in handle.events {
            let arrived = Date()
            let kind: String
            switch timed.event {
            case .step(_, _, let perStep, _):
                kind = "step"
                seen.secondsPerStep = perStep
            case .preview(let p): kind = p.isDecoded ? "decoded preview" : "projected preview"
            case .decoding: kind = "decoding"
            case .loading: kind = "loading"
            default: kind = timed.event.isFinal ? "final" : "other"
            }
            seen.delays.append((kind, arrived.timeIntervalSince(timed.time)))
            if timed.event.isFinal {
                seen.final = timed.event
                seen.finalStampedAt = timed.time
                seen.finalArrivedAt = arrived
            } else if let cancelAt, seen.cancelSentAt == nil, cancelAt.matches(timed.event) {
                seen.cancelSentAt = Date()
                await handle.cancel()
            }
        }
        return seen
    }
    return await consumer.value
}

// MARK: Main

let options = Options(Array(CommandLine.arguments.dropFirst()))
let engine = Engine(loader: PipelineLoader())
print("zoetrope-engine-bench — \(options.model), \(options.frames) frames of \(options.width)×\(options.height), "
      + "\(options.steps) steps, guidance 5; \(ProcessInfo.processInfo.activeProcessorCount) cores, "
      + "load average \(loadAverage())")

// Load the model and warm up with a full job.
let warmUp = await observe(engine, options.request(seed: 1, preview: .none))
guard case .finished(let warm) = warmUp.final else {
    print("the warm-up job did not finish: \(warmUp.final.map(describe) ?? "no final event")")
    exit(1)
}
let phases = warm.timings.sorted { $0.value > $1.value }
    .map { "\($0.key.rawValue) \(String(format: "%.3f", $0.value)) s" }.joined(separator: ", ")
print("warm-up job: \(phases); \(String(format: "%.1f", (warmUp.secondsPerStep ?? 0) * 1e3)) ms/step")
print("")

// (b) Event delivery while the job keeps the CPU busy.
if !options.liveOnly {
    print("(b) event delivery latency (event timestamp → arrival at a consumer task), full job with previews")
    let busy = await observe(engine, options.request(seed: 2, preview: PreviewSettings(projectEveryStep: true,
                                                                                       decodeEvery: 10)))
    print("    all events           " + spread(busy.delays.map(\.seconds)))
    for kind in ["step", "projected preview", "decoded preview", "decoding", "final"] {
        let delays = busy.delays.filter { $0.kind == kind }.map(\.seconds)
        if !delays.isEmpty { print("    " + kind.padding(toLength: 21, withPad: " ", startingAt: 0) + spread(delays)) }
    }
    print("")

    // (a) Cancel latency.
    print("(a) cancel latency (cancel() → final event)")
    let points: [CancelPoint] = [.step(1), .step(max(1, options.steps / 2)), .step(max(1, options.steps - 1)),
                                 .firstDecodeChunk]
    var worst = 0.0
    for (index, point) in points.enumerated() {
        let run = await observe(engine, options.request(seed: UInt64(10 + index), preview: .none), cancelAt: point)
        guard let sent = run.cancelSentAt, let stamped = run.finalStampedAt, let arrived = run.finalArrivedAt else {
            print("    \(point): the job ended before the cancel point (\(run.final.map(describe) ?? "?"))")
            continue
        }
        worst = max(worst, stamped.timeIntervalSince(sent))
        print("    \(point.description.padding(toLength: 15, withPad: " ", startingAt: 0)) → "
              + "\(run.final.map(describe) ?? "?"): final event after \(milliseconds(stamped.timeIntervalSince(sent))), "
              + "at the consumer after \(milliseconds(arrived.timeIntervalSince(sent)))")
    }
    print("    worst \(milliseconds(worst)); one denoising step takes "
          + "\(milliseconds(warmUp.secondsPerStep ?? 0))")
    print("")
}

// (c) What live decodes cost.
print("(c) live decodes: the same job with projections only and with the default budget "
      + "(\(Int(PreviewSettings.defaultDecodeBudget * 100))% of the run)")
func liveRun(_ preview: PreviewSettings, seed: UInt64) async -> (seconds: Double, previewing: Double, decodes: Int)? {
    let handle = await engine.submit(options.request(seed: seed, preview: preview))
    var decodes = 0
    var timings: [JobPhase: Double]?
    for await timed in handle.events {
        if case .preview(let p) = timed.event, p.isDecoded { decodes += 1 }
        if case .finished(let result) = timed.event { timings = result.timings }
    }
    guard let timings else { return nil }
    let seconds = [JobPhase.encoding, .denoising, .previewing, .decoding].compactMap { timings[$0] }.reduce(0, +)
    return (seconds, timings[.previewing] ?? 0, decodes)
}
var plain: [Double] = [], budgeted: [Double] = [], spent: [Double] = []
var decodeCounts: Set<Int> = []
for round in 0..<3 {
    if let a = await liveRun(.projectionsOnly, seed: UInt64(20 + round)) { plain.append(a.seconds) }
    if let b = await liveRun(.default, seed: UInt64(20 + round)) {
        budgeted.append(b.seconds)
        spent.append(b.previewing)
        decodeCounts.insert(b.decodes)
    }
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
if plain.isEmpty || budgeted.isEmpty {
    print("    a job did not finish")
} else {
    let (p, b, l) = (median(plain), median(budgeted), median(spent))
    print(String(format: "    projections only %.3f s; auto %.3f s, of it live decodes %.3f s (%.1f%% of the run), "
                 + "%@ decode(s) per run; %.1f%% longer (median of 3)",
                 p, b, l, 100 * l / b, decodeCounts.sorted().map(String.init).joined(separator: "/"),
                 100 * (b - p) / p))
}
