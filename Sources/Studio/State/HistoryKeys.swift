import Foundation

/// Keys of the history browser.
enum HistoryKeys {
    static func handle(_ state: inout StudioState, _ key: Key) -> [StudioEffect] {
        if state.history.searching { return search(&state, key) }
        var h = state.history
        defer { state.history = h }
        switch key {
        case .character("q"), .escape, .character("h"):
            state.mode = .compose
            return []
        case .character("?"): state.overlay = .help
        case .down, .character("j"):
            h.selected = min(max(0, h.entries.count - 1), h.selected + 1)
            state.history = h
            return StudioReducer.framesEffect(state)
        case .up, .character("k"):
            h.selected = max(0, h.selected - 1)
            state.history = h
            return StudioReducer.framesEffect(state)
        case .pageDown:
            h.selected = min(max(0, h.entries.count - 1), h.selected + 10)
            state.history = h
            return StudioReducer.framesEffect(state)
        case .pageUp:
            h.selected = max(0, h.selected - 10)
            state.history = h
            return StudioReducer.framesEffect(state)
        case .home, .character("g"): h.selected = 0
        case .end, .character("G"): h.selected = max(0, h.entries.count - 1)
        case .character("/"):
            h.searching = true
        case .character("f"):
            guard let entry = h.current else { return [] }
            h.entries[h.selected].starred.toggle()
            state.message = StatusMessage(text: entry.starred ? "unstarred" : "★ starred", kind: .info)
            return [.star(entry.id, !entry.starred)]
        case .character("F"), .character("*"):
            h.starredOnly.toggle()
            h.selected = 0
            state.message = StatusMessage(text: h.starredOnly ? "showing favourites only" : "showing all runs", kind: .info)
            return [.loadHistory(h.historyQuery)]
        case .character("r"):
            guard let entry = h.current else { return [] }
            remix(&state, entry)
        case .character("e"):
            guard let entry = h.current else { return [] }
            state.message = StatusMessage(text: "exporting…", kind: .info)
            return [.export(entry.id)]
        case .character("d"), .delete:
            guard let entry = h.current else { return [] }
            state.overlay = .confirmDelete(entry.id)
        case .enter, .character("o"):
            guard let entry = h.current else { return [] }
            state.message = StatusMessage(text: "playing run \(entry.id)", kind: .info)
            return h.frames[entry.id] == nil ? [.loadFrames(entry.id)] : []
        default: break
        }
        return []
    }

    /// Typing a search: every change reloads the list.
    static func search(_ state: inout StudioState, _ key: Key) -> [StudioEffect] {
        var q = state.history.query
        switch key {
        case .enter:
            state.history.searching = false
            return []
        case .escape:
            state.history.searching = false
            q.setText("")
        case .character(let c): q.insert(String(c))
        case .paste(let text): q.insert(text.replacingOccurrences(of: "\n", with: " "))
        case .backspace: q.deleteBackward()
        case .control("w"), .altBackspace: q.deleteWordBackward()
        case .left: q.moveLeft()
        case .right: q.moveRight()
        case .control("z"), .control("_"): q.undo()
        default: return []
        }
        state.history.query = q
        state.history.selected = 0
        return [.loadHistory(state.history.historyQuery)]
    }

    /// Loads a past run's settings into the compose screen.
    static func remix(_ state: inout StudioState, _ entry: HistoryEntry) {
        state.compose.prompt.setText(entry.request.prompt)
        state.compose.negative.setText(entry.request.negativePrompt)
        state.compose.settings.load(entry.request)
        state.compose.settings.lastSeedUsed = entry.request.seed
        state.compose.focus = .prompt
        state.compose.editing = true
        state.mode = .compose
        state.message = StatusMessage(text: "remixing run \(entry.id): settings loaded (seed \(entry.request.seed.map(String.init) ?? "random"), l unlocks)", kind: .info)
    }

    /// The first visible row of the list so the selection stays in view.
    static func scrollOffset(_ state: StudioState, visibleRows: Int) -> Int {
        max(0, state.history.selected - max(1, visibleRows) + 1)
    }
}
