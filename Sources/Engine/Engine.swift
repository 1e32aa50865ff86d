import Foundation
import TensorCore

/// The in-process generation engine: owns the loaded model, runs one job at a time on a
/// dedicated worker thread, and tells its clients everything through per-job async streams.
///
/// Queue operations (submit, cancel, remove, move, skip, pause) are actor methods and never
/// wait on arithmetic.
public actor Engine {
    /// A job as the queue panel shows it.
    public struct JobSummary: Sendable, Equatable {
        public var id: JobID
        public var request: JobRequest
    }

    /// The queue as it stands.
    public struct QueueSnapshot: Sendable, Equatable {
        public var running: JobSummary?
        public var waiting: [JobSummary]
        public var pausedAfterCurrent: Bool
    }

    private let loader: ModelLoader
    private let worker = WorkerThread(name: "zoetrope.engine")
    private var waiting: [JobChannel] = []
    private var running: JobChannel?
    private var paused = false
    private var driving = false
    private var loaded: LoadedModel?
    private var outcomes: [JobID: JobEvent] = [:]
    private var seedSource: @Sendable () -> UInt64

    /// - Parameters:
    ///   - loader: loads a model by id or path.
    ///   - seedSource: picks a seed when a request has none (random by default).
    public init(loader: ModelLoader,
                seedSource: @escaping @Sendable () -> UInt64 = { UInt64.random(in: 0..<(1 << 32)) }) {
        self.loader = loader
        self.seedSource = seedSource
        HeapPolicy.keepFreedBlocksForReuse()
    }

    // MARK: Submitting and steering

    /// Queues a job and returns its handle. The first event is `queued(position:)`.
    public func submit(_ request: JobRequest) -> JobHandle {
        let id = JobID()
        let (stream, continuation) = AsyncStream<TimedEvent>.makeStream(bufferingPolicy: .unbounded)
        let channel = JobChannel(id: id, request: request, continuation: continuation)
        let cancellation = channel.cancellation
        continuation.onTermination = { [weak self] termination in
            // The consumer went away: nobody will see the result, so stop computing it. The
            // flag is set here, synchronously, so the drop takes effect before the engine's
            // next step: the running job stops at its next check, and a waiting job is gone
            // from the queue for every engine call made after the drop (`settle()`).
            guard case .cancelled = termination else { return }
            cancellation.cancel()
            Task { await self?.settle() }
        }
        settle()
        waiting.append(channel)
        channel.send(.queued(position: waiting.count - 1))
        startDriving()
        return JobHandle(id: id, events: stream, flag: cancellation) { [weak self] in await self?.cancel(id) }
    }

    /// Cancels a job: a waiting job ends at once with `cancelled(atStep: nil)`; the running
    /// job stops at its next check (inside a step, between VAE chunks).
    public func cancel(_ id: JobID) {
        settle()
        if let index = waiting.firstIndex(where: { $0.id == id }) {
            let channel = waiting.remove(at: index)
            end(channel, with: .cancelled(atStep: nil))
            announcePositions()
        } else if running?.id == id {
            running?.cancellation.cancel()
        }
    }

    /// Removes a waiting job (the same as cancelling it). Returns false if it was not waiting.
    @discardableResult
    public func remove(_ id: JobID) -> Bool {
        settle()
        guard waiting.contains(where: { $0.id == id }) else { return false }
        cancel(id)
        return true
    }

    /// Moves a waiting job to `position` (clamped) in the queue.
    public func move(_ id: JobID, to position: Int) {
        settle()
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        let channel = waiting.remove(at: index)
        waiting.insert(channel, at: max(0, min(position, waiting.count)))
        announcePositions()
    }

    /// Cancels the running job and goes on with the queue.
    public func skip() {
        running?.cancellation.cancel()
    }

    /// When paused, the running job finishes but the next one does not start.
    public func pauseAfterCurrent(_ pause: Bool) {
        paused = pause
        if !pause { startDriving() }
    }

    public var queue: QueueSnapshot {
        settle()
        return QueueSnapshot(running: running.map { JobSummary(id: $0.id, request: $0.request) },
                      waiting: waiting.map { JobSummary(id: $0.id, request: $0.request) },
                      pausedAfterCurrent: paused)
    }

    /// The final event a job ended with, if it has ended (kept for the life of the engine).
    public func outcome(of id: JobID) -> JobEvent? {
        settle()
        return outcomes[id]
    }

    /// The id of the model currently in memory.
    public var loadedModelID: String? { loaded?.id }

    /// What `model` takes and offers — its frame and size rules, defaults, samplers and
    /// options — from the model in memory when it is that one, else read from its folder's
    /// configs (no weights). Throws `JobFailure(.badModel, …)` when it cannot be read.
    public func describe(_ model: String, components: [String: String] = [:]) async throws -> ModelCapabilities {
        let reference = ModelReference(model: model, components: components)
        if let loaded, loaded.id == reference.key, let capabilities = loaded.capabilities { return capabilities }
        let loader = self.loader
        return try await Task.detached { try loader.describe(reference) }.value
    }

    /// The model currently in memory (for tests).
    var loadedModel: LoadedModel? { loaded }

    // MARK: Memory

    /// Asks the loaded model to free what it can rebuild before its next job (e.g. a text
    /// encoder, which the next job reads again). Runs on the worker thread,
    /// so never during a job: after the running one, before the next.
    public func releaseTransientMemory() async {
        guard let model = loaded else { return }
        await worker.run { model.releaseTransientMemory() }
    }

    // MARK: Running

    private func startDriving() {
        guard !driving else { return }
        driving = true
        Task { await self.drive() }
    }

    private func drive() async {
        // Everything between two awaits runs without interleaving on the actor, so a pause
        // or a dropped stream seen by `settle()` here is seen before the next job starts.
        while true {
            settle()
            guard !paused, !waiting.isEmpty else { break }
            let channel = waiting.removeFirst()
            announcePositions()
            running = channel
            let seed = channel.request.seed ?? seedSource()
            if let current = loaded, current.id != channel.request.modelReference.key {
                // Switching models: this was the last reference to the old weights, so they
                // are freed before the new ones load and the two never share memory.
                loaded = nil
            }
            let cache = loaded
            let loader = self.loader
            let (event, model) = await worker.run {
                let outcome = Engine.execute(channel, seed: seed, cached: cache, loader: loader)
                HeapPolicy.releaseFreeMemory()  // the job's activations, kept for reuse while it ran
                return outcome
            }
            loaded = model
            running = nil
            end(channel, with: event)
        }
        driving = false
    }

    private func end(_ channel: JobChannel, with event: JobEvent) {
        if channel.finish(event) { outcomes[channel.id] = event }
    }

    /// Ends the waiting jobs whose consumers dropped their streams (see `submit`), so that
    /// the queue never shows, moves or starts a job nobody is listening to.
    private func settle() {
        let abandoned = waiting.filter { $0.cancellation.isCancelled }
        guard !abandoned.isEmpty else { return }
        waiting.removeAll { $0.cancellation.isCancelled }
        for channel in abandoned { end(channel, with: .cancelled(atStep: nil)) }
        announcePositions()
    }

    private func announcePositions() {
        for (position, channel) in waiting.enumerated() {
            channel.send(.queued(position: position))
        }
    }

    /// Runs one job on the worker thread. Never throws: every outcome becomes one final event.
    private static func execute(_ channel: JobChannel, seed: UInt64, cached: LoadedModel?,
                                loader: ModelLoader) -> (JobEvent, LoadedModel?) {
        let context = JobContext(id: channel.id, cancellation: channel.cancellation) { event in
            channel.send(event)
        }
        var model = cached
        do {
            try context.cancellation.check()
            let request = channel.request.withSeed(seed)
            // Checked before the model loads, so a bad fps costs nothing (it used to fail only
            // after the whole generation, when the animation was written).
            if let problem = request.commonProblem { throw JobFailure(.badRequest, problem) }
            if let reason = request.precision.unavailableReason {
                throw JobFailure(.badRequest, "precision \(request.precision.rawValue) cannot be used: \(reason)")
            }
            if model?.id != request.modelReference.key {
                model = nil  // release the old weights before loading the new ones
                context.begin(.loading)
                model = try loader.load(request.modelReference, context: context)
            }
            guard let model else { throw JobFailure(.badModel, "no model loaded for \(request.model)") }
            try model.validate(request)
            // Long kernels (attention) see the job's flag through `CancellationFlag.current`.
            // GEMMs see the requested arithmetic through `ComputePrecision.current`.
            let clip = try CancellationFlag.withCurrent(context.cancellation) {
                try ComputePrecision.with(request.precision) {
                    try model.generate(request, seed: seed, context: context)
                }
            }
            try context.cancellation.check()
            let timings = context.finishTimings()
            let result = JobResult(request: request, seed: seed, frames: clip.rgbFrames,
                                   width: clip.width, height: clip.height, video: clip.video,
                                   timings: timings, peakMemoryBytes: peakResidentBytes())
            return (.finished(result), model)
        } catch is CancelledError {
            // The step being computed when the cancel took effect (1-based); the last step when
            // it took effect while decoding.
            let atStep = channel.lastStep.map { min($0.index + 1, $0.count) } ?? (context.reachedDenoising ? 1 : nil)
            return (.cancelled(atStep: atStep), model)
        } catch let failure as JobFailure {
            return (.failed(failure), model)
        } catch {
            return (.failed(JobFailure(.generation, String(describing: error))), model)
        }
    }
}

/// Peak resident set size of this process, in bytes: `VmHWM` of `/proc/self/status` on Linux.
/// Not `ru_maxrss`, which Linux carries across `fork`/`exec`: started from a large process
/// (a benchmark's Python), Zoetrope reported that process's peak as its own (issue #18).
public func peakResidentBytes() -> Int {
    #if os(Linux)
    // Read to EOF: procfs files report a size of 0, so a read sized by stat gets nothing.
    if let handle = FileHandle(forReadingAtPath: "/proc/self/status"),
       let data = try? handle.readToEnd(), (try? handle.close()) != nil,
       let kilobytes = highWaterMarkKilobytes(String(decoding: data, as: UTF8.self)) {
        return kilobytes * 1024
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
    #else
    var usage = rusage()
    getrusage(RUSAGE_SELF, &usage)
    return Int(usage.ru_maxrss)  // bytes on macOS
    #endif
}

/// The `VmHWM:  123456 kB` line of a `/proc/<pid>/status` text, in kilobytes.
func highWaterMarkKilobytes(_ status: String) -> Int? {
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let fields = line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
        return fields.first.flatMap { Int($0) }
    }
    return nil
}
