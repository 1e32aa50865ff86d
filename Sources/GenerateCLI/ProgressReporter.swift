import Engine
import Foundation
import Media

/// What `zoetrope generate` tells the person (or script) running it: a progress bar on
/// stderr when stderr is a terminal, or one JSON object per event on stdout with `--json`.
final class ProgressReporter {
    let json: Bool
    let isTerminal = isatty(2) != 0
    private var lineOpen = false

    init(json: Bool) { self.json = json }

    func report(_ timed: TimedEvent) {
        if json {
            emitJSON(Self.fields(timed))
            return
        }
        switch timed.event {
        case .loading(let component, _):
            status("loading \(component)…")
        case .encodingText:
            status("encoding the prompt…")
        case .denoising(let steps):
            status("step 0/\(steps)…")
        case let .step(index, count, secondsPerStep, eta):
            let width = 24
            let filled = count > 0 ? width * index / count : 0
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let etaText = eta.map { String(format: ", ETA %.1fs", $0) } ?? ""
            status(String(format: "step %d/%d %@ %.2fs/it%@", index, count, bar, secondsPerStep, etaText))
        case let .decoding(chunk, count):
            status("decoding \(chunk)/\(count)…")
        case .queued, .preview, .decodingPreview, .finished, .failed, .cancelled:
            break
        }
    }

    func finish() {
        if lineOpen { FileHandle.standardError.write(Data("\n".utf8)) }
        lineOpen = false
    }

    func wrote(folder: URL, result: JobResult, written: VideoExporter.Result) {
        if json {
            var fields: [String: Any] = ["event": "written", "folder": folder.path, "seed": result.seed,
                                         "frames": written.frameFiles.map(\.path)]
            if let apng = written.apng { fields["apng"] = apng.path }
            if let gif = written.gif { fields["gif"] = gif.path }
            if let mp4 = written.mp4 { fields["mp4"] = mp4.path }
            emitJSON(fields)
            return
        }
        let total = result.timings.values.reduce(0, +)
        var text = "wrote \(written.frameFiles.count) frames to \(folder.path) (seed \(result.seed), "
            + String(format: "%.1fs)", total)
        if let note = written.mp4Note { text += "\n\(note)" }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// A remark that is not a failure (history could not be written), on standard error.
    func note(_ message: String) {
        finish()
        if json { emitJSON(["event": "note", "message": message]) }
        FileHandle.standardError.write(Data("zoetrope: note: \(message)\n".utf8))
    }

    func error(_ message: String) {
        finish()
        if json { emitJSON(["event": "error", "message": message]) }
        FileHandle.standardError.write(Data("zoetrope: \(message)\n".utf8))
    }

    private func status(_ text: String) {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
        lineOpen = true
    }

    private func emitJSON(_ fields: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// One event as JSON fields.
    static func fields(_ timed: TimedEvent) -> [String: Any] {
        var f: [String: Any] = ["time": timed.time.timeIntervalSince1970, "job": timed.job.description]
        switch timed.event {
        case .queued(let position):
            f["event"] = "queued"; f["position"] = position
        case let .loading(component, fraction):
            f["event"] = "loading"; f["component"] = component; f["fraction"] = fraction
        case .encodingText:
            f["event"] = "encoding"
        case .denoising(let steps):
            f["event"] = "denoising"; f["count"] = steps
        case let .step(index, count, secondsPerStep, eta):
            f["event"] = "step"; f["index"] = index; f["count"] = count
            f["seconds_per_step"] = secondsPerStep
            if let eta { f["eta_seconds"] = eta }
        case .preview(let preview):
            f["event"] = "preview"; f["step"] = preview.step; f["width"] = preview.width
            f["height"] = preview.height; f["frames"] = preview.frames.count; f["decoded"] = preview.isDecoded
        case .decodingPreview(let step):
            f["event"] = "decoding_preview"; f["step"] = step
        case let .decoding(chunk, count):
            f["event"] = "decoding"; f["chunk"] = chunk; f["count"] = count
        case .finished(let result):
            f["event"] = "finished"; f["seed"] = result.seed
            f["timings"] = Dictionary(uniqueKeysWithValues: result.timings.map { ($0.key.rawValue, $0.value) })
            f["peak_memory_bytes"] = result.peakMemoryBytes
        case .failed(let failure):
            f["event"] = "failed"; f["kind"] = failure.kind.rawValue; f["message"] = failure.message
        case .cancelled(let step):
            f["event"] = "cancelled"
            if let step { f["at_step"] = step }
        }
        return f
    }
}
