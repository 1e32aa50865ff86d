import Foundation
import RunArchive

/// The history browser: the list of past runs beside the selected run's preview and settings.
enum HistoryView {
    static let timeFormat: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "MM-dd HH:mm"
        return f
    }()

    static func draw(_ p: inout Painter, _ state: StudioState, _ layout: Layout) -> (Rect, PixelImage)? {
        let h = state.history
        let list = layout.historyList
        var title = "History · \(h.entries.count) run\(h.entries.count == 1 ? "" : "s")"
        if h.starredOnly { title += " · ★ only" }
        p.box(list, title: title, focused: true)
        var top = list.row + 1
        if h.searching || !h.query.isEmpty {
            let c = p.text("/ ", row: top, column: list.column + 2, .key)
            p.text(h.query.text, row: top, column: list.column + 2 + c, .text, limit: list.width - 6)
            if h.searching {
                p.cursor = (top, list.column + 2 + c + DisplayWidth.of(String(h.query.characters[..<h.query.cursor])))
            }
            top += 1
        }
        let visible = list.bottom - 1 - top
        if h.entries.isEmpty {
            let hint = h.query.isEmpty && !h.starredOnly ? "no runs yet" : "no runs match"
            p.text(hint, row: top + 1, column: list.column + 3, .muted)
        }
        let offset = HistoryKeys.scrollOffset(state, visibleRows: visible)
        for (i, entry) in h.entries.enumerated().dropFirst(offset).prefix(max(0, visible)) {
            let row = top + i - offset
            let selected = i == h.selected
            let role: ThemeRole = selected ? .selection : .text
            if selected { p.fill(Rect(row: row, column: list.column + 1, width: list.width - 2, height: 1), .selection) }
            var c = list.column + 2
            c += p.text(entry.starred ? "★ " : "  ", row: row, column: c, selected ? .selection : .star)
            let status: String
            switch entry.status {
            case .finished: status = "✓"
            case .failed: status = "✗"
            case .cancelled: status = "–"
            case .running: status = state.isQueued(historyID: entry.id) ? "⧗" : "…"
            case .interrupted: status = "!"
            }
            let statusRole: ThemeRole
            switch entry.status {
            case .finished: statusRole = .success
            // Under way, or stopped by the user: nothing went wrong.
            case .running, .cancelled: statusRole = .muted
            case .failed, .interrupted: statusRole = .error
            }
            c += p.text(status + " ", row: row, column: c, selected ? .selection : statusRole)
            c += p.text(timeFormat.string(from: entry.date) + "  ", row: row, column: c, selected ? .selection : .muted)
            let tail = "  \(entry.frames)f \(entry.width)×\(entry.height) \(entry.steps)st \(formatSeconds(entry.durationSeconds))"
            let room = list.right - 2 - c - DisplayWidth.of(tail)
            let prompt = entry.prompt.replacingOccurrences(of: "\n", with: " ")
            p.text(prompt, row: row, column: c, role, limit: max(0, room))
            p.text(tail, row: row, column: list.right - 2 - DisplayWidth.of(tail), selected ? .selection : .muted)
        }
        return detail(&p, state, layout.historyDetail)
    }

    static func detail(_ p: inout Painter, _ state: StudioState, _ rect: Rect) -> (Rect, PixelImage)? {
        p.box(rect, title: "Run", focused: false)
        guard let entry = state.history.current else { return nil }
        let inner = rect.inset(1)
        let r = entry.request
        var lines: [(String, String)] = [
            ("prompt", r.prompt.replacingOccurrences(of: "\n", with: " ")),
            ("negative", r.negativePrompt.isEmpty ? "—" : r.negativePrompt),
            ("model", DisplayWidth.keepingEnd(of: r.model, fitting: max(1, inner.width - 12))),
            ("frames", "\(r.frames) at \(r.fps) fps, \(r.width)×\(r.height)"),
            // bf16 says so: its numbers are not diffusers' fp32 ones
            ("steps", "\(r.steps), CFG \(RunArchive.format(r.guidanceScale))"
                + (r.precision == .float32 ? "" : ", \(r.precision.rawValue)")),
            ("sampler", r.samplerSummary),
            ("seed", r.seed.map(String.init) ?? "random"),
            ("status", state.isQueued(historyID: entry.id) ? "queued"
                : "\(entry.status.rawValue) in \(formatSeconds(entry.durationSeconds))"),
        ]
        // Why it failed or was interrupted (issue #20: the detail did not say), up to 3 rows.
        if let why = entry.failureMessage, entry.status == .failed || entry.status == .interrupted {
            let wrapped = DisplayWidth.wrap(why.replacingOccurrences(of: "\n", with: " "), width: max(1, inner.width - 12))
            for (i, part) in wrapped.prefix(3).enumerated() {
                lines.append((i == 0 ? "why" : "", i == 2 && wrapped.count > 3 ? part + "…" : part))
            }
        }
        let textRows = lines.count
        let pictureRect = Rect(row: inner.row, column: inner.column, width: inner.width, height: max(0, inner.height - textRows - 1))
        var picture: (Rect, PixelImage)?
        let frames = state.history.frames[entry.id] ?? entry.thumbnail.map { [$0] } ?? []
        if !frames.isEmpty, pictureRect.height >= 3 {
            let elapsed = max(0, state.now.timeIntervalSince(state.playback.started))
            let frame = frames[Int(elapsed * Double(max(1, r.fps))) % frames.count]
            picture = PreviewPane.drawPicture(&p, frame, pictureRect, tier: state.graphics)
        } else {
            p.text("no frames", row: pictureRect.row + pictureRect.height / 2, column: inner.column + 2, .muted)
        }
        for (i, (key, value)) in lines.enumerated() {
            let row = inner.bottom - textRows + i
            p.text(key, row: row, column: inner.column + 1, .muted)
            p.text(value, row: row, column: inner.column + 11, .text, limit: inner.width - 12)
        }
        return picture
    }
}

/// The queue panel: the running job and those waiting.
enum QueueView {
    static func draw(_ p: inout Painter, _ state: StudioState, _ layout: Layout) {
        let rect = layout.body
        var title = "Queue"
        if state.queue.pausedAfterCurrent { title += " · paused after the current job (p resumes)" }
        p.box(rect, title: title, focused: true)
        let items = QueueKeys.items(state)
        if items.isEmpty {
            p.text("nothing queued · ⏎ on the compose screen adds a job", row: rect.row + 2, column: rect.column + 3, .muted)
            return
        }
        for (i, (item, running)) in items.enumerated() where i < rect.height - 2 {
            let row = rect.row + 1 + i
            let selected = i == state.queueSelection
            if selected { p.fill(Rect(row: row, column: rect.column + 1, width: rect.width - 2, height: 1), .selection) }
            let role: ThemeRole = selected ? .selection : .text
            var c = rect.column + 2
            var label = running ? "▶ running " : "  #\(i + (state.queue.running == nil ? 1 : 0))      "
            if running, let live = state.live, live.id == item.id, live.step > 0 { label = "▶ \(live.step)/\(live.stepCount)".padding(toLength: 10, withPad: " ", startingAt: 0) }
            c += p.text(label, row: row, column: c, selected ? .selection : (running ? .success : .muted))
            let r = item.request
            let tail = "  \(r.frames)f \(r.width)×\(r.height) \(r.steps)st seed \(r.seed.map(String.init) ?? "random")"
            p.text(r.prompt.replacingOccurrences(of: "\n", with: " "), row: row, column: c, role,
                   limit: max(0, rect.right - 2 - c - DisplayWidth.of(tail)))
            p.text(tail, row: row, column: rect.right - 2 - DisplayWidth.of(tail), selected ? .selection : .muted)
        }
    }
}
