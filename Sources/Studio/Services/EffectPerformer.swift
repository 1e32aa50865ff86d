import Foundation
import Engine
import Synchronization

/// Carries out the studio's effects against a generation service and a history store, and
/// says what happened as events. Used by the app (with real services) and by tests (with
/// fakes) alike.
public final class EffectPerformer: Sendable {
    public let service: GenerationService
    public let history: HistoryProviding
    private let results = Mutex<[JobID: JobResult]>([:])

    public init(service: GenerationService, history: HistoryProviding) {
        self.service = service
        self.history = history
    }

    /// Notes an engine event on its way to the studio (keeps finished results for history).
    public func observe(_ event: TimedEvent) {
        if case .finished(let result) = event.event {
            results.withLock { $0[event.job] = result }
        }
    }

    /// Performs `effect`. For `.submit`, also returns the job whose events the caller must
    /// pump into the studio (after the `.jobSubmitted` event).
    public func perform(_ effect: StudioEffect) async -> (events: [StudioEvent], job: SubmittedJob?) {
        do {
            switch effect {
            case .submit(let request):
                let job = await service.submit(request)
                return ([.jobSubmitted(job.id, request, at: Date())], job)
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
            case .recordRun(let record):
                let result = results.withLock { $0.removeValue(forKey: record.job) }
                let entry = try await history.record(request: record.request, status: record.status, result: result,
                                                     started: record.started, durationSeconds: record.durationSeconds,
                                                     failureMessage: record.failureMessage)
                return ([.historyRecorded(entry, job: record.job)], nil)
            case .star(let id, let starred):
                try await history.setStarred(id, starred)
            case .delete(let id):
                try await history.delete(id)
            case .loadFrames(let id):
                return ([.historyFrames(id: id, try await history.frames(of: id))], nil)
            case .export(let id):
                return ([.exported(id: id, try await history.export(id))], nil)
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
        case .recordRun: return "saving the run to history"
        case .star: return "starring"
        case .delete: return "deleting the run"
        case .loadFrames: return "loading the run's frames"
        case .export: return "exporting"
        case .quit: return "quitting"
        }
    }
}
