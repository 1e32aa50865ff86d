/// The keys of each screen: the help overlay lists all of them, the bottom bar the ones
/// marked `inBar` for the current context.
struct KeyHelp {
    let keys: String
    let action: String
    let inBar: Bool

    init(_ keys: String, _ action: String, bar: Bool = false) {
        self.keys = keys
        self.action = action
        inBar = bar
    }

    enum Context { case composeText, composeSetting, composeCommand, history, historySearch, queue }

    static func context(of state: StudioState) -> Context {
        switch state.mode {
        case .history: return state.history.searching ? .historySearch : .history
        case .queue: return .queue
        case .compose:
            guard state.compose.editing else { return .composeCommand }
            if case .setting = state.compose.focus { return .composeSetting }
            return state.compose.focus == .preview ? .composeCommand : .composeText
        }
    }

    static let global: [KeyHelp] = [
        KeyHelp("F1", "help (every key of this screen)"),
        KeyHelp("^X", "cancel the running job now", bar: true),
    ]

    static func entries(_ context: Context) -> [KeyHelp] {
        switch context {
        case .composeText:
            return [
                KeyHelp("⏎", "generate", bar: true),
                KeyHelp("Alt-⏎ ^J", "new line"),
                KeyHelp("Tab S-Tab", "next / previous field", bar: true),
                KeyHelp("Esc", "commands (history, queue, theme, quit …)", bar: true),
                KeyHelp("← → ↑ ↓", "move"),
                KeyHelp("Home End ^A ^E", "start / end of line"),
                KeyHelp("^← ^→ Alt-b Alt-f", "word left / right"),
                KeyHelp("^W Alt-⌫", "delete word"),
                KeyHelp("^K", "delete to end of line"),
                // ^Z is the terminal's suspend key (job control): it never reaches the studio.
                KeyHelp("^_", "undo", bar: true),
            ] + global
        case .composeSetting:
            return [
                KeyHelp("0-9 x .", "type a value"),
                KeyHelp("+ - ← →", "step the value", bar: true),
                KeyHelp("⏎", "use the offered value / generate", bar: true),
                KeyHelp("space", "next sampler"),
                KeyHelp("l", "lock / unlock the seed (on Seed)"),
                KeyHelp("^U", "clear the field"),
                KeyHelp("Tab ↑ ↓", "next / previous field", bar: true),
                KeyHelp("Esc", "commands", bar: true),
            ] + global
        case .composeCommand:
            return [
                KeyHelp("⏎ g", "generate", bar: true),
                KeyHelp("i a", "edit the focused field", bar: true),
                KeyHelp("j k Tab", "next / previous field"),
                KeyHelp("space", "play / pause the preview"),
                KeyHelp("c", "contact sheet / loop"),
                KeyHelp(", .", "previous / next frame"),
                KeyHelp("[ ]", "previous / next step's preview"),
                KeyHelp("x", "cancel the running job"),
                KeyHelp("s", "skip (cancel and go on with the queue)"),
                KeyHelp("p", "pause the queue after the current job"),
                KeyHelp("f", "star the last result"),
                KeyHelp("l", "lock / unlock the seed"),
                KeyHelp("h", "history", bar: true),
                KeyHelp("u", "queue", bar: true),
                KeyHelp("t", "next theme", bar: true),
                KeyHelp("?", "help", bar: true),
                KeyHelp("q", "quit", bar: true),
                KeyHelp("Q", "quit now, cancelling running and queued runs (q asks first)"),
            ] + global
        case .history:
            return [
                KeyHelp("j k ↑ ↓", "select"),
                KeyHelp("⏎ o", "play the run"),
                KeyHelp("/", "search", bar: true),
                KeyHelp("f", "star / unstar", bar: true),
                KeyHelp("F *", "favourites only", bar: true),
                KeyHelp("r", "remix: load its settings", bar: true),
                KeyHelp("e", "export", bar: true),
                KeyHelp("d", "delete (asks first)", bar: true),
                KeyHelp("g G", "first / last"),
                KeyHelp("q Esc", "back", bar: true),
            ] + global
        case .historySearch:
            return [
                KeyHelp("type", "words that must all appear", bar: true),
                KeyHelp("⏎", "keep the search", bar: true),
                KeyHelp("Esc", "clear the search", bar: true),
            ]
        case .queue:
            return [
                KeyHelp("j k ↑ ↓", "select"),
                KeyHelp("x d", "cancel / remove", bar: true),
                KeyHelp("s", "skip the running job", bar: true),
                KeyHelp("p", "pause after current", bar: true),
                KeyHelp("K J", "move up / down", bar: true),
                KeyHelp("q Esc", "back", bar: true),
            ] + global
        }
    }
}
