import Foundation
import Engine
import Synchronization

/// Carries out the studio's effects against a generation service and a history store, and
/// says what happened as events. Used by the app (with real services) and by tests (with
/// fakes) alike.
///
/// Submitting writes the run's history row first (`running`, with the seed), so a crash or
/// kill mid-run still leaves its settings; `.endRun` later finishes, fails or cancels it.
public final class EffectPerformer: Sendable {
    public let service: GenerationService
    public let history: HistoryProviding
    /// Draws the seed of a request that asks for a random one.
    private let seedSource: @Sendable () -> UInt64
    private let open = Mutex(OpenRows())

    /// Jobs with a history row still `running`, and their results once finished.
    private struct OpenRows {
        var jobs: Set<JobID> = []
        var results: [JobID: JobResult] = [:]
    }

    /// - Parameter seedSource: picks the seed when a request asks for a random one (the
    ///   studio chooses it, not the engine, so the row written before the run holds it).
    public init(service: GenerationService, history: HistoryProviding,
                seedSource: @escaping @Sendable () -> UInt64 = EffectPerformer.randomSeed) {
        self.service = service
        self.history = history
        self.seedSource = seedSource
    }

    /// A random seed in the range the engine draws from when it picks one itself.
    @Sendable public static func randomSeed() -> UInt64 { UInt64.random(in: 0..<(1 << 32)) }

    /// Notes an engine event on its way to the studio (keeps finished results for history).
    public func observe(_ event: TimedEvent) {
        if case .finished(let result) = event.event {
            open.withLock { if $0.jobs.contains(event.job) { $0.results[event.job] = result } }
        }
    }

    /// Performs `effect`. For `.submit`, also returns the job whose events the caller must
    /// pump into the studio (after the `.jobSubmitted` event).
    public func perform(_ effect: StudioEffect) async -> (events: [StudioEvent], job: SubmittedJob?) {
        do {
            switch effect {
            case .submit(let asked):
                // The engine runs with `request.seed` when it is set, so the seed chosen here is
                // the one used, and the row can hold it before generation starts.
                let request = asked.seed == nil ? asked.withSeed(seedSource()) : asked
                let started = Date()
                var historyID: String?
                var problems: [StudioEvent] = []
                do {
                    historyID = try await history.begin(request: request, started: started)
                } catch {
                    problems.append(.effectFailed("saving the run to history failed (it runs, but is not kept): \(error)"))
                }
                let job = await service.submit(request)
                if historyID != nil { open.withLock { _ = $0.jobs.insert(job.id) } }
                return ([.jobSubmitted(job.id, request, at: started, historyID: historyID)] + problems, job)
            case .cancel(let id):
                await service.cancel(id)
            case .remove(let id):
                _ = await service.remove(id)
            case .move(let id, let position):
                await service.move(id, to: position)
            case .skip:
                await service.skip()
            case .pauseAfterCurrent(let pause):
                await service.pauseAfterCurrent(pause)
            case .refreshQueue:
                return ([.queueChanged(await service.queue())], nil)
            case .loadHistory(let query):
                return ([.historyLoaded(try await history.entries(matching: query))], nil)
            case .endRun(let ending):
                let result = open.withLock { rows -> JobResult? in
                    rows.jobs.remove(ending.job)
                    return rows.results.removeValue(forKey: ending.job)
                }
                let entry: HistoryEntry
                switch ending.outcome {
                case .finished:
                    guard let result else {
                        let reason = "its frames never reached the history"
                        let failed = try? await history.fail(ending.runID, message: reason)
                        return (failed.map { [.historyRecorded($0, job: ending.job)] } ?? []
                                + [.runNotSaved(ending.job, reason: reason)], nil)
                    }
                    do {
                        entry = try await history.finish(ending.runID, result: result,
                                                         durationSeconds: ending.durationSeconds)
                    } catch {
                        // Disk full, store gone: said until acknowledged (issue #19 data loss 3).
                        return ([.runNotSaved(ending.job, reason: "\(error)")], nil)
                    }
                case .failed(let message):
                    entry = try await history.fail(ending.runID, message: message)
                case .cancelled:
                    entry = try await history.cancel(ending.runID)
                }
                return ([.historyRecorded(entry, job: ending.job)], nil)
            case .star(let id, let starred):
                try await history.setStarred(id, starred)
            case .delete(let id):
                try await history.delete(id)
            case .loadFrames(let id):
                return ([.historyFrames(id: id, try await history.frames(of: id))], nil)
            case .export(let id):
                return ([.exported(id: id, try await history.export(id))], nil)
            case .describeModel(let reference):
                do {
                    let described = try await service.describe(reference)
                    // Without readable timings the studio shows no time estimate; nothing else changes.
                    let samples = (try? await history.timingSamples(model: reference.model)) ?? []
                    return ([.modelDescribed(model: reference.key, described, problem: nil),
                             .memoryAvailable(MachineMemory.availableBytes()),
                             .timingSamples(model: reference.model, samples)], nil)
                } catch {
                    return ([.modelDescribed(model: reference.key, nil, problem: "\(error)")], nil)
                }
            case .quit:
                break
            }
        } catch {
            return ([.effectFailed("\(effect.summary) failed: \(error)")], nil)
        }
        return ([], nil)
    }
}

extension StudioEffect {
    /// A few words naming the effect, for error messages.
    var summary: String {
        switch self {
        case .submit: return "submitting the job"
        case .cancel: return "cancelling"
        case .remove: return "removing the job"
        case .move: return "moving the job"
        case .skip: return "skipping"
        case .pauseAfterCurrent: return "pausing the queue"
        case .refreshQueue: return "reading the queue"
        case .loadHistory: return "reading history"
        case .endRun: return "saving the run to history"
        case .star: return "starring"
        case .delete: return "deleting the run"
        case .loadFrames: return "loading the run's frames"
        case .export: return "exporting"
        case .describeModel: return "reading the model's settings"
        case .quit: return "quitting"
        }
    }
}
