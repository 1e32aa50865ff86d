import Foundation

/// One drawn frame: the cells, where the caret goes, a picture for pixel protocols, and the
/// window title.
public struct RenderedFrame: Sendable {
    public var grid: CellGrid
    public var cursor: (row: Int, column: Int)?
    /// For kitty / sixel: the picture and the cell rectangle it should cover.
    public var picture: (rect: Rect, image: PixelImage)?
    public var title: String
}

/// Draws the whole studio for a state.
public enum StudioRenderer {
    public static func render(_ state: StudioState, theme: Theme, colours: ColourSupport) -> RenderedFrame {
        var p = Painter(columns: state.columns, rows: state.rows, theme: theme, colours: colours)
        let title = windowTitle(state)
        if state.isTooSmall {
            let lines = ["Zoetrope needs at least \(StudioState.minimumSize.columns)×\(StudioState.minimumSize.rows);",
                         "this terminal is \(state.columns)×\(state.rows).",
                         "Make it larger, or press q to quit."]
            for (i, line) in lines.enumerated() {
                let w = DisplayWidth.of(line)
                p.text(line, row: max(0, state.rows / 2 - 1 + i), column: max(0, (state.columns - w) / 2), i == 0 ? .warning : .text)
            }
            return RenderedFrame(grid: p.grid, cursor: nil, picture: nil, title: title)
        }
        let layout = Layout(columns: state.columns, rows: state.rows)
        HeaderView.draw(&p, state, layout)
        var picture: (Rect, PixelImage)?
        switch state.mode {
        case .compose: picture = ComposeView.draw(&p, state, layout)
        case .history: picture = HistoryView.draw(&p, state, layout)
        case .queue: QueueView.draw(&p, state, layout)
        }
        ProgressView.draw(&p, state, layout)
        StatusBarView.draw(&p, state, layout)
        switch state.overlay {
        case .help?:
            HelpView.draw(&p, state, layout)
            picture = nil
            p.cursor = nil
        case .confirmDelete(let id)?:
            let entry = state.history.entries.first { $0.id == id }
            let prompt = entry.map { String($0.prompt.prefix(40)) } ?? "run \(id)"
            DialogView.draw(&p, layout, lines: ["Delete “\(prompt)”?", "Its frames and settings are removed.", "", "y delete   any other key keeps it"])
            picture = nil
            p.cursor = nil
        case .notes(let notes)?:
            var lines: [String] = []
            for note in notes { lines += (lines.isEmpty ? [] : [""]) + [note] }
            DialogView.draw(&p, layout, title: notes.count == 1 ? "Message" : "\(notes.count) messages",
                            lines: lines + ["", "any key closes"], emphasisesFirst: false)
            picture = nil
            p.cursor = nil
        case .runNotSaved(let reason)?:
            DialogView.draw(&p, layout, title: "Not saved",
                            lines: ["The run finished but is not in history:", reason, "",
                                    "Its frames stay in the preview until the next run.", "", "any key closes"])
            picture = nil
            p.cursor = nil
        case .confirmLongRun(let estimate, let request)?:
            let b = estimate.basis
            DialogView.draw(&p, layout, lines: ["This run takes \(estimate.text).",
                                                "\(request.frames) frames at \(request.width)×\(request.height), \(request.steps) steps —",
                                                "scaled from a run of \(b.frames) frames at \(b.width)×\(b.height), \(b.steps) steps on this machine.",
                                                "", "y start   any other key: back to the settings"])
            picture = nil
            p.cursor = nil
        case .confirmQuit(let count)?:
            let runs = count == 1 ? "1 run is" : "\(count) runs are"
            DialogView.draw(&p, layout, lines: ["Quit? \(runs) not finished.",
                                                "Quitting cancels them (their settings stay in history).",
                                                "", "y quit   any other key stays"])
            picture = nil
            p.cursor = nil
        case nil: break
        }
        return RenderedFrame(grid: p.grid, cursor: p.cursor, picture: picture.map { (rect: $0.0, image: $0.1) }, title: title)
    }

    /// "Zoetrope · 12/20 · ETA 3 s" while running, else "Zoetrope".
    static func windowTitle(_ state: StudioState) -> String {
        guard let live = state.live, live.isActive else { return "Zoetrope" }
        var t = "Zoetrope · \(live.phase)"
        if live.step > 0 { t += " · \(live.step)/\(live.stepCount)" }
        if let eta = live.eta.remaining(at: state.now) { t += " · ETA \(formatSeconds(eta))" }
        return t
    }
}

enum HeaderView {
    static func draw(_ p: inout Painter, _ state: StudioState, _ layout: Layout) {
        p.fill(layout.header, .status)
        let screen: String
        switch state.mode {
        case .compose: screen = "compose"
        case .history: screen = "history"
        case .queue: screen = "queue"
        }
        let running = state.queue.running == nil ? 0 : 1
        let waiting = state.queue.waiting.count
        var right = "queue: \(running) running · \(waiting) waiting"
        if state.queue.pausedAfterCurrent { right += " (paused)" }
        let left = " Zoetrope · \(screen) · model: "
        // The model (often a long folder path) gets what is left, keeping its end; the theme
        // and graphics tier give way first when the terminal is narrow.
        let details = " · theme \(state.themeName) · \(state.graphics.rawValue)"
        let fixed = DisplayWidth.of(left) + DisplayWidth.of(right) + 3
        if state.columns - fixed - DisplayWidth.of(details) >= 16 { right += details }
        let room = max(1, state.columns - DisplayWidth.of(left) - DisplayWidth.of(right) - 3)
        let model = DisplayWidth.keepingEnd(of: state.compose.settings.text(.model), fitting: room)
        p.text(left + model, row: 0, column: 0, .status)
        let w = DisplayWidth.of(right)
        p.text(right + " ", row: 0, column: max(0, state.columns - w - 1), .status)
    }
}

enum StatusBarView {
    static func draw(_ p: inout Painter, _ state: StudioState, _ layout: Layout) {
        p.fill(layout.statusBar, .status)
        let row = layout.statusBar.row
        var column = 1
        let entries = KeyHelp.entries(KeyHelp.context(of: state)).filter(\.inBar)
            + (KeyHelp.context(of: state) == .historySearch ? [] : [KeyHelp("F1", "help", bar: true)])
        for entry in entries {
            let needed = DisplayWidth.of(entry.keys) + DisplayWidth.of(entry.action) + 3
            if column + needed > state.columns { break }
            column += p.text(entry.keys, row: row, column: column, .key)
            column += p.text(" " + entry.action + "  ", row: row, column: column, .status)
        }
    }
}

enum ProgressView {
    static func draw(_ p: inout Painter, _ state: StudioState, _ layout: Layout) {
        let row = layout.progress.row
        let width = state.columns
        if let message = state.message, !(state.live?.isActive ?? false) {
            p.text(" " + message.text, row: row, column: 0, message.kind == .error ? .error : .muted, limit: width - 1)
            return
        }
        guard let live = state.live else {
            p.text(" " + idleText(state), row: row, column: 0, .muted, limit: width - 1)
            return
        }
        let line = progressText(live, now: state.now)
        let barWidth = min(40, max(10, width / 4))
        let fraction = live.stepCount > 0 ? Double(live.step) / Double(live.stepCount) : 0
        let done = Int((Double(barWidth) * fraction).rounded(.down))
        var column = 1
        column += p.text(String(repeating: "█", count: done), row: row, column: column, .progress)
        column += p.text(String(repeating: "░", count: barWidth - done), row: row, column: column, .track)
        p.text(" " + line, row: row, column: column, live.outcome == .failed ? .error : .text, limit: width - column - 1)
    }

    /// What the progress line says when no run is followed, for the screen showing.
    static func idleText(_ state: StudioState) -> String {
        switch state.mode {
        case .compose:
            return "ready · write a prompt and press ⏎"
        case .history:
            let count = state.history.entries.count
            let runs = count == 1 ? "1 run" : "\(count) runs"
            return state.history.starredOnly ? "\(runs) starred" : "\(runs) in history"
        case .queue:
            let waiting = state.queue.waiting.count
            return waiting == 0 ? "queue empty" : "\(waiting) waiting in the queue"
        }
    }

    /// "12/20 · 0.21 s/it · ETA 2.1 s (incl. decode ≈ 0.4 s) · denoising".
    static func progressText(_ live: LiveRun, now: Date) -> String {
        var parts = ["\(live.step)/\(live.stepCount)"]
        if let per = live.eta.secondsPerStep {
            parts.append(per >= 1 ? String(format: "%.2f s/it", per) : String(format: "%.2f it/s", 1 / max(per, 1e-9)))
        }
        if live.isActive {
            if let eta = live.eta.remaining(at: now) {
                var e = "ETA \(formatSeconds(eta))"
                if let d = live.eta.decodeSeconds { e += " (incl. decode ≈ \(formatSeconds(d)))" }
                parts.append(e)
            } else if live.step > 0 {
                parts.append("ETA after step \(live.eta.hiddenSteps + 1)")
            }
        }
        var phase = live.phase
        if let (chunk, count) = live.decodeChunk, live.phase == "decoding" { phase += " \(chunk)/\(count)" }
        if let failure = live.failureMessage { phase += ": " + failure }
        if let seed = live.usedSeed { phase += " · seed \(seed)" }
        parts.append(phase)
        return parts.joined(separator: " · ")
    }
}

enum HelpView {
    static func draw(_ p: inout Painter, _ state: StudioState, _ layout: Layout) {
        let entries = KeyHelp.entries(KeyHelp.context(of: state))
        let keyWidth = entries.map { DisplayWidth.of($0.keys) }.max() ?? 4
        let textWidth = entries.map { DisplayWidth.of($0.action) }.max() ?? 10
        let width = min(state.columns - 4, keyWidth + textWidth + 7)
        let height = min(state.rows - 2, entries.count + 4)
        let rect = Rect(row: (state.rows - height) / 2, column: (state.columns - width) / 2, width: width, height: height)
        p.fill(rect, .text)
        p.box(rect, title: "Keys — any key closes", focused: true)
        for (i, e) in entries.enumerated() where i < height - 4 {
            p.text(e.keys, row: rect.row + 2 + i, column: rect.column + 2, .key)
            p.text(e.action, row: rect.row + 2 + i, column: rect.column + 4 + keyWidth, .text, limit: textWidth)
        }
    }
}

enum DialogView {
    /// A box in the middle of the screen; lines longer than it are wrapped at spaces (a long
    /// error message is read whole, not cut at the box edge), and the box never outgrows
    /// the screen.
    static func draw(_ p: inout Painter, _ layout: Layout, title: String = "Confirm", lines: [String],
                     emphasisesFirst: Bool = true) {
        let width = min(layout.columns - 4, (lines.map { DisplayWidth.of($0) }.max() ?? 10) + 6)
        var rows: [(text: String, first: Bool)] = []
        for (i, line) in lines.enumerated() {
            rows += DisplayWidth.wrap(line, width: max(1, width - 6)).map { ($0, emphasisesFirst && i == 0) }
        }
        rows = Array(rows.prefix(max(1, layout.rows - 4)))
        let top = max(0, min(layout.rows / 2 - 3, layout.rows - rows.count - 3))
        let rect = Rect(row: top, column: (layout.columns - width) / 2, width: width, height: rows.count + 2)
        p.fill(rect, .text)
        p.box(rect, title: title, focused: true)
        for (i, row) in rows.enumerated() {
            p.text(row.text, row: rect.row + 1 + i, column: rect.column + 3, row.first ? .warning : .text, limit: width - 4)
        }
    }
}
