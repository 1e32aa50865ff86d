import Foundation
import Engine
import RunArchive

/// The studio's state machine: an event and the state give a new state and effects.
/// Pure apart from reading `state.now`; all I/O happens in whoever runs the effects.
public enum StudioReducer {
    public static func reduce(_ state: inout StudioState, _ event: StudioEvent) -> [StudioEffect] {
        let before = state.message
        let effects = reduceEvent(&state, event)
        // An error longer than the status line is shown whole in a box (issue #20: messages
        // were cut at the screen's edge).
        if let message = state.message, message != before, message.kind == .error, state.overlay == nil,
           DisplayWidth.of(message.text) > state.columns - 2 {
            state.overlay = .notes([message.text])
        }
        return effects
    }

    /// Start-up warnings: one that fits goes to the status line; several, or a long one, to a
    /// box listing them all.
    public static func showStartupWarnings(_ state: inout StudioState, _ warnings: [String]) {
        guard let first = warnings.first else { return }
        state.message = StatusMessage(text: warnings.count == 1 ? first : "\(warnings.count) warnings at start",
                                      kind: .error)
        if warnings.count > 1 || DisplayWidth.of(first) > state.columns - 2 { state.overlay = .notes(warnings) }
    }

    static func reduceEvent(_ state: inout StudioState, _ event: StudioEvent) -> [StudioEffect] {
        switch event {
        case .key(let key):
            let model = state.compose.settings.modelReference
            return handleKey(&state, key) + describeIfChanged(&state, from: model)
        case .mouse(let mouse):
            return handleMouse(&state, mouse)
        case .modelDescribed(let model, let capabilities, _):
            // An answer for a model no longer in the field is stale.
            guard model == state.compose.settings.modelReference.key else { return [] }
            state.compose.settings.capabilities = capabilities
            return []
        case .memoryAvailable(let bytes):
            state.compose.settings.availableMemoryBytes = bytes
            return []
        case .timingSamples(let model, let samples):
            guard model == state.compose.settings.modelReference.model else { return [] }
            state.compose.settings.timingSamples = samples
            return []
        case .resize(let columns, let rows):
            state.columns = columns
            state.rows = rows
            return []
        case .tick(let now):
            state.now = now
            return []
        case .jobSubmitted(let id, let request, let at, let historyID):
            let run = LiveRun(id: id, request: request, submitted: at, decodeSeconds: state.lastDecodeSeconds,
                              historyID: historyID)
            state.openJobs[id] = run
            if state.live == nil || state.live?.isActive == false {
                state.live = run
                state.playback.scrubStep = nil
                startPlayback(&state)
            }
            return [.refreshQueue]
        case .engine(let timed):
            return handleEngine(&state, timed)
        case .queueChanged(let queue):
            state.queue = queue
            let count = (queue.running == nil ? 0 : 1) + queue.waiting.count
            state.queueSelection = max(0, min(state.queueSelection, count - 1))
            return []
        case .historyLoaded(let entries):
            state.history.entries = entries
            state.history.selected = max(0, min(state.history.selected, entries.count - 1))
            return framesEffect(state)
        case .historyRecorded(let entry, let job):
            state.recorded[job] = entry.id
            state.history.frames[entry.id] = nil
            if entry.status == .finished, state.live?.id == job, state.live?.phase == "saving" {
                state.live?.phase = "finished"
                state.message = StatusMessage(text: "finished in \(formatSeconds(entry.durationSeconds))"
                                                  + (entry.request.seed.map { " · seed \($0)" } ?? "") + " · saved",
                                              kind: .info)
            }
            var effects: [StudioEffect] = []
            if state.pendingStars.remove(job) != nil {
                effects.append(.star(entry.id, true))
                if state.live?.id == job { state.message = StatusMessage(text: "★ starred", kind: .info) }
            }
            if state.mode == .history { effects.append(.loadHistory(state.history.historyQuery)) }
            return effects
        case .historyFrames(let id, let frames):
            state.history.frames[id] = frames
            return []
        case .exported(_, let url):
            state.message = StatusMessage(text: "exported to \(url.path)", kind: .info)
            return []
        case .runNotSaved(let job, let reason):
            if state.live?.id == job { state.live?.phase = "finished, not saved" }
            sayNotSaved(&state, reason)
            return []
        case .effectFailed(let text):
            state.message = StatusMessage(text: text, kind: .error)
            return []
        }
    }

    /// Asks the engine about the model in the Model field when a key changed it (typing,
    /// remix), so the settings are checked against the rules that model states.
    static func describeIfChanged(_ state: inout StudioState, from model: ModelReference) -> [StudioEffect] {
        let now = state.compose.settings.modelReference
        guard now != model else { return [] }
        return now.model.isEmpty ? [] : [.describeModel(now)]
    }

    // MARK: Engine events

    static func handleEngine(_ state: inout StudioState, _ timed: TimedEvent) -> [StudioEffect] {
        let id = timed.job
        guard var run = state.openJobs[id] ?? (state.live?.id == id ? state.live : nil) else { return [] }
        run.apply(timed)
        // The run view follows whichever job is actually working.
        let working: Bool
        switch timed.event {
        case .loading, .encodingText, .step, .preview, .decoding: working = true
        default: working = false
        }
        if working && state.live?.id != id {
            state.live = run
            state.playback.scrubStep = nil
            startPlayback(&state)
        }
        var effects: [StudioEffect] = []
        if timed.event.isFinal {
            state.openJobs[id] = nil
            let duration = timed.time.timeIntervalSince(run.submitted)
            let outcome: RunEnding.Outcome?
            switch timed.event {
            case .finished(let result):
                if let decode = result.timings[.decoding] { state.lastDecodeSeconds = decode }
                // This run calibrates the next estimate at once (history has it for next time).
                if result.request.model == state.compose.settings.modelReference.model {
                    state.compose.settings.timingSamples.insert(RunTimingSample(request: result.request, seconds: result.timings), at: 0)
                }
                state.compose.settings.lastSeedUsed = result.seed
                // Issue #19 data loss 4: "finished" used to show here, before the run was saved;
                // killed in that moment, the run came back `interrupted` without its frames.
                if run.historyID == nil {
                    sayNotSaved(&state, "history could not be written when it started")
                } else {
                    state.message = StatusMessage(text: "saving to history… (generated in \(formatSeconds(duration)))",
                                                  kind: .info)
                }
                outcome = .finished
            case .failed(let failure):
                state.message = StatusMessage(text: "failed: \(failure.message)", kind: .error)
                outcome = .failed(message: failure.message)
            case .cancelled(let atStep):
                state.message = StatusMessage(text: atStep.map { "cancelled at step \($0)" } ?? "cancelled before it started",
                                              kind: .info)
                outcome = .cancelled
            default:
                outcome = nil
            }
            // The row begun at submission gets its end: frames, failure or cancellation.
            if let runID = run.historyID, let outcome {
                effects.append(.endRun(RunEnding(job: id, runID: runID, outcome: outcome, durationSeconds: duration)))
            }
            effects.append(.refreshQueue)
        } else {
            state.openJobs[id] = run
        }
        if state.live?.id == id { state.live = run }
        if case .preview = timed.event, state.playback.started.timeIntervalSince1970 == 0 {
            state.playback.started = timed.time
        }
        return effects
    }

    /// A finished run is not in history: said on the status line and in a box that stays
    /// until a key acknowledges it.
    static func sayNotSaved(_ state: inout StudioState, _ reason: String) {
        state.message = StatusMessage(text: "finished, but not saved: \(reason)", kind: .error)
        state.overlay = .runNotSaved(reason)
    }

    /// A new run in the run view plays from its first frame: a pause (space) or a frame
    /// stepped to belonged to the clip before (issue #20 item 8: it stayed paused).
    static func startPlayback(_ state: inout StudioState) {
        state.playback.playing = true
        state.playback.frame = 0
        state.playback.started = state.now
    }

    // MARK: Keys

    static func handleKey(_ state: inout StudioState, _ key: Key) -> [StudioEffect] {
        if case .confirmDelete(let id) = state.overlay {
            state.overlay = nil
            if key == .character("y") || key == .character("Y") {
                state.history.entries.removeAll { $0.id == id }
                state.history.selected = max(0, min(state.history.selected, state.history.entries.count - 1))
                state.message = StatusMessage(text: "deleted", kind: .info)
                return [.delete(id)] + framesEffect(state)
            }
            state.message = StatusMessage(text: "kept", kind: .info)
            return []
        }
        if case .confirmLongRun(_, let request) = state.overlay {
            state.overlay = nil
            if key == .character("y") || key == .character("Y") {
                state.message = StatusMessage(text: "queued", kind: .info)
                return [.submit(request)]
            }
            state.message = StatusMessage(text: "not started", kind: .info)
            return []
        }
        if case .confirmQuit = state.overlay {
            state.overlay = nil
            if key == .character("y") || key == .character("Y") || key == .character("Q") { return quitNow(&state) }
            state.message = StatusMessage(text: "still here: the runs go on", kind: .info)
            return []
        }
        if state.overlay == .help {
            state.overlay = nil
            return []
        }
        if case .notes = state.overlay {
            state.overlay = nil
            return []
        }
        if case .runNotSaved = state.overlay {
            // Acknowledged: the status line keeps saying so until the next message.
            state.overlay = nil
            return []
        }
        // Keys that work everywhere.
        switch key {
        case .function(1):
            state.overlay = .help
            return []
        case .control("x"):
            return cancelWatched(&state)
        default: break
        }
        if state.isTooSmall {
            if key == .character("q") || key == .escape { return quit(&state) }
            return []
        }
        switch state.mode {
        case .compose: return ComposeKeys.handle(&state, key)
        case .history: return HistoryKeys.handle(&state, key)
        case .queue: return QueueKeys.handle(&state, key)
        }
    }

    static func handleMouse(_ state: inout StudioState, _ mouse: MouseEvent) -> [StudioEffect] {
        guard state.overlay == nil else { state.overlay = nil; return [] }
        let layout = Layout(columns: state.columns, rows: state.rows)
        switch state.mode {
        case .compose:
            if mouse.kind == .press {
                if let focus = layout.composeFocus(at: mouse.row, column: mouse.column, fields: state.compose.settings.fields) {
                    state.compose.focus = focus
                    state.compose.editing = focus != .preview
                }
            } else if mouse.kind == .wheelUp || mouse.kind == .wheelDown {
                if layout.preview.contains(row: mouse.row, column: mouse.column) {
                    return ComposeKeys.handle(&state, mouse.kind == .wheelUp ? .character("[") : .character("]"))
                }
            }
            return []
        case .history:
            switch mouse.kind {
            case .wheelUp: return HistoryKeys.handle(&state, .up)
            case .wheelDown: return HistoryKeys.handle(&state, .down)
            case .press:
                let list = layout.historyList
                let index = mouse.row - list.row - 1 + HistoryKeys.scrollOffset(state, visibleRows: list.height - 2)
                if list.contains(row: mouse.row, column: mouse.column), state.history.entries.indices.contains(index) {
                    state.history.selected = index
                    return framesEffect(state)
                }
                return []
            }
        case .queue:
            switch mouse.kind {
            case .wheelUp: return QueueKeys.handle(&state, .up)
            case .wheelDown: return QueueKeys.handle(&state, .down)
            case .press: return []
            }
        }
    }

    // MARK: Shared actions

    /// Quits, asking first when running or queued runs would be cancelled (issue #20 item 6:
    /// three queued runs were dropped without a word). `Q` quits without asking.
    static func quit(_ state: inout StudioState) -> [StudioEffect] {
        let pending = unfinishedRunCount(state)
        if pending > 0 {
            state.overlay = .confirmQuit(pending)
            return []
        }
        return quitNow(&state)
    }

    static func quitNow(_ state: inout StudioState) -> [StudioEffect] {
        state.quitting = true
        return [.quit]
    }

    /// Runs submitted in this session that have not ended: the queue as the engine last said,
    /// or the open jobs the studio follows, whichever knows of more.
    static func unfinishedRunCount(_ state: StudioState) -> Int {
        let queued = (state.queue.running == nil ? 0 : 1) + state.queue.waiting.count
        return max(queued, state.openJobs.values.filter(\.isActive).count)
    }

    /// Cancels the job the run view shows (or the running one).
    static func cancelWatched(_ state: inout StudioState) -> [StudioEffect] {
        if let live = state.live, live.isActive { return [.cancel(live.id)] }
        if let running = state.queue.running { return [.cancel(running.id)] }
        state.message = StatusMessage(text: "nothing is running", kind: .info)
        return []
    }

    static func framesEffect(_ state: StudioState) -> [StudioEffect] {
        guard let entry = state.history.current, state.history.frames[entry.id] == nil else { return [] }
        return [.loadFrames(entry.id)]
    }

    /// Starts a job from the compose fields, or explains why not.
    static func generate(_ state: inout StudioState) -> [StudioEffect] {
        let prompt = state.compose.prompt.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !prompt.isEmpty else {
            state.message = StatusMessage(text: "write a prompt first", kind: .error)
            state.compose.focus = .prompt
            state.compose.editing = true
            return []
        }
        if let bad = state.compose.settings.firstInvalid {
            if case .invalid(let message, let suggestion) = state.compose.settings.check(bad) {
                let offer = suggestion.map { $0.isEmpty ? "" : " — ⏎ on the field uses \($0)" } ?? ""
                state.message = StatusMessage(text: "\(bad.label): \(message)\(offer)", kind: .error)
            }
            state.compose.focus = .setting(bad)
            state.compose.editing = true
            return []
        }
        guard let request = state.compose.settings.request(prompt: state.compose.prompt.text,
                                                           negativePrompt: state.compose.negative.text) else { return [] }
        // Issue #20: a run over a minute asks first, with how long it will take.
        if let estimate = state.compose.settings.timeEstimate, estimate.needsConfirmation {
            state.overlay = .confirmLongRun(estimate, request)
            return []
        }
        state.message = StatusMessage(text: "queued", kind: .info)
        return [.submit(request)]
    }
}

/// "1.2 s", "3 min 4 s", "1 h 02 min".
func formatSeconds(_ s: Double) -> String { DurationText.format(s) }
