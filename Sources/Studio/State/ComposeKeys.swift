import Foundation

/// Keys of the compose-and-run screen.
enum ComposeKeys {
    static func handle(_ state: inout StudioState, _ key: Key) -> [StudioEffect] {
        if state.compose.editing {
            switch state.compose.focus {
            case .prompt: return editText(&state, key, negative: false)
            case .negative: return editText(&state, key, negative: true)
            case .setting(let field): return editSetting(&state, key, field)
            case .preview: break
            }
        }
        return command(&state, key)
    }

    // MARK: Text fields

    static func editText(_ state: inout StudioState, _ key: Key, negative: Bool) -> [StudioEffect] {
        var editor = negative ? state.compose.negative : state.compose.prompt
        defer {
            if negative { state.compose.negative = editor } else { state.compose.prompt = editor }
        }
        switch key {
        case .character(let c): editor.insert(String(c))
        case .paste(let text): editor.insert(text)
        case .enter: return StudioReducer.generate(&state)
        case .altEnter, .control("j"): editor.insert("\n")
        case .backspace, .control("h"): editor.deleteBackward()
        case .delete, .control("d"): editor.deleteForward()
        case .left, .control("b"): editor.moveLeft()
        case .right, .control("f"): editor.moveRight()
        case .home, .control("a"): editor.moveToLineStart()
        case .end, .control("e"): editor.moveToLineEnd()
        case .wordLeft, .alt("b"): editor.moveWordLeft()
        case .wordRight, .alt("f"): editor.moveWordRight()
        case .control("w"), .altBackspace: editor.deleteWordBackward()
        case .control("k"): editor.deleteToLineEnd()
        case .control("z"), .control("_"): editor.undo()
        case .up:
            if !editor.moveUp() { moveFocus(&state, by: -1) }
        case .down:
            if !editor.moveDown() { moveFocus(&state, by: 1) }
        case .tab: moveFocus(&state, by: 1)
        case .backTab: moveFocus(&state, by: -1)
        case .escape: state.compose.editing = false
        default: break
        }
        return []
    }

    // MARK: Settings

    static func editSetting(_ state: inout StudioState, _ key: Key, _ field: SettingField) -> [StudioEffect] {
        let isPath: Bool
        if case .component = field { isPath = true } else { isPath = field == .model }
        let replaces = state.compose.replacesOnType && !isPath && field != .sampler
        state.compose.replacesOnType = false
        /// The focused number field's value goes when typing starts (see `replacesOnType`).
        func clearIfFresh() { if replaces { state.compose.settings.texts[field] = "" } }
        switch key {
        case .character(let c):
            // In a path (the model, a component folder) + = - are characters, not steps.
            if (c == "+" || c == "=") && !isPath { state.compose.settings.adjust(field, by: 1) }
            else if c == "-" && !isPath { state.compose.settings.adjust(field, by: -1) }
            else if c == " " && field == .sampler { state.compose.settings.adjust(field, by: 1) }
            else if c == "l" && field == .seed { state.compose.settings.toggleSeedLock() }
            else if isPath || accepts(c, field) {
                clearIfFresh()
                state.compose.settings.type(String(c), into: field)
            }
        case .paste(let text):
            clearIfFresh()
            state.compose.settings.type(text.filter { isPath || accepts($0, field) }, into: field)
        case .backspace, .control("h"):
            state.compose.settings.deleteBackward(in: field)
        case .control("w"), .altBackspace, .control("u"):
            if field != .sampler { state.compose.settings.texts[field] = "" }
            if field == .seed { state.compose.settings.seedLocked = false }
        case .right: state.compose.settings.adjust(field, by: 1)
        case .left: state.compose.settings.adjust(field, by: -1)
        case .enter:
            if state.compose.settings.acceptSuggestion(field) {
                let label = state.compose.settings.label(field)
                state.message = StatusMessage(text: "\(label) set to \(state.compose.settings.text(field))", kind: .info)
                return []
            }
            return StudioReducer.generate(&state)
        case .up, .backTab: moveFocus(&state, by: -1)
        case .down, .tab: moveFocus(&state, by: 1)
        case .escape: state.compose.editing = false
        default: break
        }
        return []
    }

    /// Characters a numeric field takes as typing.
    static func accepts(_ c: Character, _ field: SettingField) -> Bool {
        switch field {
        case .model, .component: return true
        case .size: return c.isASCII && (c.isNumber || c == "x" || c == "X")
        case .guidance: return c.isASCII && (c.isNumber || c == ".")
        case .option: return c.isASCII && (c.isNumber || c.isLetter || c == "." || c == "-" || c == "_")
        case .sampler: return false
        case .liveDecode, .precision: return c.isASCII && (c.isNumber || c.isLetter)
        default: return c.isASCII && c.isNumber
        }
    }

    static func moveFocus(_ state: inout StudioState, by delta: Int) {
        let order = ComposeFocus.order(state.compose.settings.fields)
        let i = order.firstIndex(of: state.compose.focus) ?? 0
        state.compose.focus = order[(i + delta + order.count) % order.count]
        state.compose.editing = state.compose.focus != .preview
    }

    // MARK: Commands (not typing)

    static func command(_ state: inout StudioState, _ key: Key) -> [StudioEffect] {
        switch key {
        case .character("q"): return StudioReducer.quit(&state)
        case .character("Q"): return StudioReducer.quitNow(&state)
        case .character("?"): state.overlay = .help
        case .character("i"), .character("a"):
            if state.compose.focus == .preview { state.compose.focus = .prompt }
            state.compose.editing = true
        case .enter, .character("g"): return StudioReducer.generate(&state)
        case .tab, .character("j"), .down: moveFocus(&state, by: 1)
        case .backTab, .character("k"), .up: moveFocus(&state, by: -1)
        case .escape: state.compose.focus = .preview
        case .character("h"), .character("H"):
            state.mode = .history
            return [.loadHistory(state.history.historyQuery)]
        case .character("u"), .character("Q"):
            state.mode = .queue
            return [.refreshQueue]
        case .character("t"):
            state.themeIndex = (state.themeIndex + 1) % max(1, state.themeNames.count)
            state.message = StatusMessage(text: "theme: \(state.themeName)", kind: .info)
        case .character("x"): return StudioReducer.cancelWatched(&state)
        case .character("s"): return [.skip]
        case .character("p"):
            let pause = !state.queue.pausedAfterCurrent
            state.queue.pausedAfterCurrent = pause
            state.message = StatusMessage(text: pause ? "queue pauses after the current job" : "queue resumed", kind: .info)
            return [.pauseAfterCurrent(pause), .refreshQueue]
        case .character("f"):
            if let live = state.live, let entry = state.recorded[live.id] {
                state.message = StatusMessage(text: "★ starred", kind: .info)
                return [.star(entry, true)]
            }
            if let live = state.live, live.outcome == .finished || live.outcome == .failed {
                // Ended but still being saved: star it once its entry exists.
                state.pendingStars.insert(live.id)
                state.message = StatusMessage(text: "★ starred (saving the run…)", kind: .info)
                return []
            }
            state.message = StatusMessage(text: "nothing finished to star yet", kind: .info)
        case .character("l"): state.compose.settings.toggleSeedLock()
        case .character(" "):
            state.playback.playing.toggle()
            if state.playback.playing { state.playback.started = state.now }
            else { state.playback.frame = PreviewClock.frameIndex(state) }
        case .character("c"): state.playback.contactSheet.toggle()
        case .character(","):
            state.playback.playing = false
            state.playback.frame = max(0, PreviewClock.frameIndex(state) - 1)
        case .character("."):
            state.playback.playing = false
            state.playback.frame = PreviewClock.frameIndex(state) + 1
        case .character("["), .character("]"), .character("{"), .character("}"):
            scrub(&state, by: (key == .character("[") || key == .character("{")) ? -1 : 1)
        default: break
        }
        return []
    }

    /// Steps through the previews kept for each step; past the newest, follows live again.
    static func scrub(_ state: inout StudioState, by delta: Int) {
        guard let live = state.live else { return }
        let steps = live.previewSteps
        guard !steps.isEmpty else { return }
        // Following live shows the newest step.
        let current = state.playback.scrubStep.flatMap { steps.firstIndex(of: $0) } ?? steps.count - 1
        let next = current + delta
        if next >= steps.count - 1 { state.playback.scrubStep = nil }
        else { state.playback.scrubStep = steps[max(0, next)] }
    }
}

/// Which frame of the preview loop to show at `state.now`.
enum PreviewClock {
    static func frameIndex(_ state: StudioState) -> Int {
        let count = max(1, state.live?.frames(atStep: state.playback.scrubStep).count ?? 1)
        guard state.playback.playing else { return state.playback.frame % count }
        let fps = Double(max(1, state.live?.request.fps ?? 8))
        let elapsed = max(0, state.now.timeIntervalSince(state.playback.started))
        return Int(elapsed * fps) % count
    }
}
