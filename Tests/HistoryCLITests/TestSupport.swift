// Shared helpers: temporary data folders with runs in them, and a console that captures.
import Foundation
import XCTest
import HistoryCLI
import HistoryStore
import Media

/// Collects what a command prints and answers its questions from a list.
final class CapturedConsole: @unchecked Sendable {
    private let lock = NSLock()
    private var outText = ""
    private var errText = ""
    private var answers: [String]
    let isTerminal: Bool

    init(isTerminal: Bool = false, answers: [String] = []) {
        self.isTerminal = isTerminal
        self.answers = answers
    }

    var out: String { lock.withLock { outText } }
    var err: String { lock.withLock { errText } }

    var console: HistoryConsole {
        HistoryConsole(out: { text in self.lock.withLock { self.outText += text } },
                       err: { text in self.lock.withLock { self.errText += text } },
                       inputIsTerminal: isTerminal,
                       readLine: { self.lock.withLock { self.answers.isEmpty ? nil : self.answers.removeFirst() } })
    }
}

/// A fresh folder under the system temp dir, removed when the test ends.
func makeFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("zoetrope-history-cli-tests", isDirectory: true)
        .appendingPathComponent(UUID().uuidString, isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

let utc = TimeZone(identifier: "UTC")!

func settings(_ prompt: String, model: String = "tiny-shapes", seed: UInt64 = 1234) -> RunSettings {
    RunSettings(modelID: model, prompt: prompt, negativePrompt: "blurry", frameCount: 2, width: 4, height: 4,
                stepCount: 20, guidanceScale: 5, sampler: "unipc", seed: seed, fps: 8,
                requestJSON: #"{"model":"\#(model)","prompt":"\#(prompt)","seed":\#(seed)}"#)
}

/// A record without files (as an import would add), created at `day` (UTC) noon.
func record(_ id: String, _ prompt: String, day: String, status: RunStatus = .finished, model: String = "tiny-shapes",
            starred: Bool = false) -> RunRecord {
    let f = ISO8601DateFormatter()
    let created = f.date(from: day + "T12:00:00Z")!
    return RunRecord(id: id, createdAt: created, finishedAt: status == .running ? nil : created.addingTimeInterval(2),
                     status: status, settings: settings(prompt, model: model), isStarred: starred,
                     duration: status == .running ? nil : 2, engineVersion: "test")
}

/// A finished run with two frame PNGs carrying both text chunks, written through the
/// store's lifecycle. Returns its id.
@discardableResult
func addFinishedRun(_ store: HistoryStore, prompt: String, seed: UInt64 = 42) throws -> String {
    let s = settings(prompt, seed: seed)
    let id = try store.beginRun(s).id
    let texts = [PNGText(keyword: "parameters", text: "\(prompt)\nSeed: \(seed)"),
                 PNGText(keyword: ZoetropeMetadata.keyword, text: ZoetropeMetadata.textChunk(for: s, runID: id).text)]
    for index in 0..<2 {
        let image = RGBImage(width: 4, height: 4, fill: RGB(UInt8(10 + index), 0, 0))
        try store.writeFile(named: String(format: "frame_%04d.png", index), data: PNG.encode(image, texts: texts),
                            forRun: id)
    }
    try store.finishRun(id, engineVersion: "test")
    return id
}

extension XCTestCase {
    /// A runner on `folder` printing into `capture`, with dates in UTC.
    func runner(_ folder: URL, _ capture: CapturedConsole, json: Bool = false,
                options: HistoryStore.Options = HistoryStore.Options()) -> HistoryCommandRunner {
        HistoryCommandRunner(dataDirectory: folder, json: json, console: capture.console, storeOptions: options,
                             timeZone: utc)
    }
}

/// Parses JSON text printed by a command.
func parseJSON(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
