import Engine
import Foundation
import RunArchive

/// The compose-and-run screen: prompt, negative prompt, settings, and the preview.
enum ComposeView {
    /// Draws the screen; returns the picture for pixel protocols, if any.
    static func draw(_ p: inout Painter, _ state: StudioState, _ layout: Layout) -> (Rect, PixelImage)? {
        let c = state.compose
        let promptTitle = c.settings.capabilities?.maxTextLength.map { "Prompt · up to \($0) tokens" } ?? "Prompt"
        editorBox(&p, c.prompt, layout.promptBox, title: promptTitle, focused: c.focus == .prompt, caret: c.editing && c.focus == .prompt,
                  placeholder: "describe the video…")
        editorBox(&p, c.negative, layout.negativeBox, title: "Negative prompt", focused: c.focus == .negative,
                  caret: c.editing && c.focus == .negative, placeholder: "what to avoid (optional)")
        settings(&p, state, layout.settingsBox)
        return PreviewPane.draw(&p, state, layout.preview, focused: c.focus == .preview)
    }

    static func editorBox(_ p: inout Painter, _ editor: TextEditor, _ rect: Rect, title: String, focused: Bool, caret: Bool,
                          placeholder: String) {
        p.box(rect, title: title, focused: focused)
        let inner = rect.inset(1)
        guard inner.width > 1, inner.height > 0 else { return }
        let textRect = Rect(row: inner.row, column: inner.column + 1, width: inner.width - 1, height: inner.height)
        if editor.isEmpty && !caret {
            p.text(placeholder, row: textRect.row, column: textRect.column, .muted, limit: textRect.width)
            return
        }
        let (rows, cursorRow, cursorColumn) = editor.wrapped(width: textRect.width - 1)
        let first = max(0, cursorRow - textRect.height + 1)
        for (i, line) in rows.dropFirst(first).prefix(textRect.height).enumerated() {
            p.text(line, row: textRect.row + i, column: textRect.column, .text, limit: textRect.width)
        }
        if caret {
            p.cursor = (textRect.row + cursorRow - first, textRect.column + cursorColumn)
        }
        if first > 0 { p.text("↑", row: rect.row, column: rect.right - 3, .muted) }
    }

    static func settings(_ p: inout Painter, _ state: StudioState, _ rect: Rect) {
        let c = state.compose
        let settingFocused: SettingField? = { if case .setting(let f) = c.focus { return f }; return nil }()
        p.box(rect, title: "Settings", focused: settingFocused != nil)
        let layout = Layout(columns: state.columns, rows: state.rows)
        let fields = c.settings.fields
        let half = layout.settingColumnWidth(fields.count)
        for (i, field) in fields.enumerated() {
            let (row, column) = layout.settingOrigin(i, of: fields.count)
            let check = c.settings.check(field)
            let focused = settingFocused == field
            var value: String
            switch field {
            case .seed: value = c.settings.seedDisplay
            case .option:
                let typed = c.settings.text(field)
                value = typed.isEmpty ? c.settings.spec(field).map { "model's \($0.defaultValue)" } ?? "model's" : typed
            case .size: value = c.settings.text(.size).replacingOccurrences(of: "x", with: "×")
            default: value = c.settings.text(field)
            }
            if focused && c.editing && field != .sampler && field != .seed { value = c.settings.text(field) }
            // Labels take 8 columns; a longer one (a model's option) is cut to 8 and keeps a space.
            let name = String(c.settings.label(field).prefix(8))
            let label = name.count < 8 ? name.padding(toLength: 8, withPad: " ", startingAt: 0) : name + " "
            var col = column
            col += p.text(label, row: row, column: col, focused ? .focus : .muted)
            let role: ThemeRole = focused ? .selection : (check.isValid ? .text : .error)
            let room = half - 10 - (check.isValid ? 0 : 2)
            if field == .model { value = DisplayWidth.keepingEnd(of: value, fitting: room) }
            let shown = check.isValid ? value : value + " !"
            col += p.text(shown, row: row, column: col, role, limit: half - 10)
            if focused && c.editing && field != .sampler {
                p.cursor = (row, min(col, column + half - 2))
            }
        }
        // The message for the focused field, or for the first bad one.
        let messageRow = rect.bottom - 3
        let firstInvalid = c.settings.firstInvalid
        let field = settingFocused.flatMap { c.settings.check($0).isValid ? nil : $0 } ?? firstInvalid
        // Both estimates exist only while every field is valid; each is worked out once a draw.
        let memory = firstInvalid == nil ? c.settings.memoryEstimate : nil
        let time = memory == nil ? nil : c.settings.timeEstimate
        if let field, case .invalid(let message, let suggestion) = c.settings.check(field) {
            p.text("\(c.settings.label(field)): \(message)", row: messageRow, column: rect.column + 2, .error, limit: rect.width - 4)
            if let suggestion, !suggestion.isEmpty {
                p.text("⏎ → \(suggestion)", row: messageRow + 1, column: rect.column + 2, .warning, limit: rect.width - 4)
            }
        } else if let focused = settingFocused, let spec = c.settings.spec(focused) {
            p.text("\(spec.name): \(spec.help)", row: messageRow, column: rect.column + 2, .muted, limit: rect.width - 4)
            p.text("+/- or ←/→ step · type a value · empty = model's", row: messageRow + 1, column: rect.column + 2,
                   .muted, limit: rect.width - 4)
        } else if settingFocused != nil {
            p.text("+/- or ←/→ step · type a value · Tab next", row: messageRow, column: rect.column + 2, .muted, limit: rect.width - 4)
            if let memory {
                // Short, beside the memory: without "⏎ asks first".
                let line = (time.map { "time \($0.text) · " } ?? "") + memoryText(memory, available: nil)
                p.text(line, row: messageRow + 1, column: rect.column + 2, .muted, limit: rect.width - 4)
            }
        } else if let memory {
            p.text(time.map(timeText) ?? "time: known after a first run here", row: messageRow,
                   column: rect.column + 2, .muted, limit: rect.width - 4)
            p.text(memoryText(memory, available: c.settings.availableMemoryBytes), row: messageRow + 1,
                   column: rect.column + 2, .muted, limit: rect.width - 4)
        }
    }

    /// "time ≈ 12 s": how long the run as set takes, scaled from this model's runs on this
    /// machine; a run over a minute asks first.
    static func timeText(_ estimate: RunTimeEstimate) -> String {
        "time \(estimate.text)" + (estimate.needsConfirmation ? " (⏎ asks first)" : "")
    }

    /// "memory ≈ 310 MiB of 21.4 GiB available": what the run as set would need beyond the
    /// weights at its peak, and what the machine has.
    static func memoryText(_ estimate: MemoryEstimate, available: Int?) -> String {
        "memory ≈ \(MachineMemory.text(estimate.workingPeak.bytes))"
            + (available.map { " of \(MachineMemory.text($0)) available" } ?? "")
    }
}

/// The preview pane: the frames of the watched run (or a history run), looping at the
/// request's fps or as a contact sheet, with the step being shown.
enum PreviewPane {
    static func draw(_ p: inout Painter, _ state: StudioState, _ rect: Rect, focused: Bool) -> (Rect, PixelImage)? {
        var title = "Preview"
        let live = state.live
        if let live {
            if let scrub = state.playback.scrubStep { title += " · step \(scrub)/\(live.stepCount) (scrubbing)" }
            else if !live.result.isEmpty { title += " · result" }
            else if let shown = live.shownStep {
                let kind = live.previews[shown]?.isDecoded == true ? "decoded" : (live.request.preview.showNoisy ? "noisy" : "x0")
                title += " · step \(shown)/\(live.stepCount) · \(kind)"
            }
        }
        p.box(rect, title: title, focused: focused)
        let inner = rect.inset(1)
        let frames = live?.frames(atStep: state.playback.scrubStep) ?? []
        guard !frames.isEmpty, inner.height > 3 else {
            let hint = live == nil ? "the video appears here while it forms" : "waiting for the first preview…"
            p.text(hint, row: inner.row + inner.height / 2, column: inner.column + max(0, (inner.width - DisplayWidth.of(hint)) / 2), .muted)
            return nil
        }
        let pictureRect = previewPictureArea(inner)
        let index = PreviewClock.frameIndex(state) % frames.count
        var picture: (Rect, PixelImage)?
        if state.playback.contactSheet {
            drawContactSheet(&p, frames, pictureRect, tier: state.graphics)
        } else {
            picture = drawPicture(&p, frames[index], pictureRect, tier: state.graphics)
        }
        let playing = state.playback.playing ? "▶" : "⏸"
        let footer = state.playback.contactSheet
            ? "contact sheet · \(frames.count) frames · c loop"
            : "frame \(index + 1)/\(frames.count) \(playing) \(live?.request.fps ?? 8) fps · space play · c sheet · [ ] step"
        p.text(footer, row: inner.bottom - 1, column: inner.column + 1, .muted, limit: inner.width - 2)
        return picture
    }

    /// The cells the preview's picture may use inside the preview box's `inner` rectangle: all
    /// but the bottom row, which holds the playback line.
    static func previewPictureArea(_ inner: Rect) -> Rect {
        Rect(row: inner.row, column: inner.column, width: inner.width, height: inner.height - 1)
    }

    /// The cells a picture of `imageWidth × imageHeight` covers in `rect`: fitted as half-blocks
    /// are (a cell two pixels tall), centred. Pixel tiers use the same cells, so every tier
    /// shows the picture in one place.
    static func placedPicture(imageWidth: Int, imageHeight: Int, in rect: Rect) -> Rect {
        let (columns, rows) = CellPictureRenderer.fittedSize(imageWidth: imageWidth, imageHeight: imageHeight,
                                                             in: rect)
        return Rect(row: rect.row + (rect.height - rows) / 2, column: rect.column + (rect.width - columns) / 2,
                    width: columns, height: rows)
    }

    /// Draws one picture: in cells for character tiers; for pixel tiers the cells are blanked
    /// and the picture is returned for the screen to write.
    static func drawPicture(_ p: inout Painter, _ image: PixelImage, _ rect: Rect, tier: GraphicsTier) -> (Rect, PixelImage)? {
        if tier.usesPixels {
            return (placedPicture(imageWidth: image.width, imageHeight: image.height, in: rect), image)
        }
        CellPictureRenderer.draw(image, into: &p.grid, rect: rect, mode: tier.cellMode)
        return nil
    }

    /// The grid a contact sheet of `count` frames of `imageWidth × imageHeight` pixels uses in
    /// `rect`: the column count whose tiles show the frames largest (by the fitted picture's
    /// area — issue #20 item 7: comparing a picture's width with a tile's left every sheet one
    /// column of tiny thumbnails).
    static func contactSheetGrid(count: Int, imageWidth: Int, imageHeight: Int, in rect: Rect)
        -> (columns: Int, tileWidth: Int, tileHeight: Int) {
        var best = (columns: 1, tileWidth: max(1, rect.width - 1), tileHeight: max(1, rect.height), area: 0)
        for columns in 1...max(1, count) {
            let rows = (count + columns - 1) / columns
            let tileWidth = rect.width / columns - 1
            let tileHeight = rect.height / rows
            guard tileWidth > 0, tileHeight > 0 else { continue }
            let fitted = CellPictureRenderer.fittedSize(imageWidth: imageWidth, imageHeight: imageHeight,
                                                        in: Rect(row: 0, column: 0, width: tileWidth, height: tileHeight))
            let area = fitted.columns * fitted.rows
            if area > best.area { best = (columns, tileWidth, tileHeight, area) }
        }
        return (best.columns, best.tileWidth, best.tileHeight)
    }

    static func drawContactSheet(_ p: inout Painter, _ frames: [PixelImage], _ rect: Rect, tier: GraphicsTier) {
        guard let first = frames.first else { return }
        let best = contactSheetGrid(count: frames.count, imageWidth: first.width, imageHeight: first.height, in: rect)
        let mode = tier.usesPixels ? CellPictureMode.halfBlockTruecolor : tier.cellMode
        for (i, frame) in frames.enumerated() {
            let tile = Rect(row: rect.row + (i / best.columns) * best.tileHeight,
                            column: rect.column + (i % best.columns) * (best.tileWidth + 1),
                            width: best.tileWidth, height: best.tileHeight)
            CellPictureRenderer.draw(frame, into: &p.grid, rect: tile, mode: mode)
        }
    }
}
