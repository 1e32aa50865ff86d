import ArgumentParser
import Engine
import Foundation
import HistoryStore
import Media
import RunArchive
import TensorCore

/// `zoetrope generate`. A library type (not in the executable) so tests run it in-process,
/// e.g. against a pipeline family they register themselves.
public struct GenerateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a video from a prompt.",
        discussion: """
            Writes PNG frames (with every setting in their text chunks), video.apng and video.gif \
            (video.mp4 when ffmpeg is on the PATH) into --output.
            Exit codes: 0 written, 1 generation or writing failed, 2 bad request, 3 bad model folder, \
            130 interrupted.
            """)

    @Option(help: "A bundled model id or a diffusers model folder.")
    var model: String = JobRequest.bundledModelID
    @Option(help: "What the video shows.")
    var prompt: String
    @Option(name: .customLong("negative-prompt"), help: "What to steer away from.")
    var negativePrompt: String = ""
    // Numbers parse `.unconditional`ly, so `--steps -1` reaches the model's check ("steps must be
    // at least 1") instead of being taken for a flag ("Missing value").
    @Option(parsing: .unconditional, help: "Pixel frames (each model has its rule, e.g. 4k + 1: see `zoetrope models inspect`).")
    var frames: Int = 17
    @Option(parsing: .unconditional) var width: Int = 64
    @Option(parsing: .unconditional) var height: Int = 64
    @Option(parsing: .unconditional, help: "Denoising steps.")
    var steps: Int = 20
    @Option(parsing: .unconditional, help: "Classifier-free guidance scale (1 or less turns guidance off).")
    var guidance: Double = 5.0
    @Option(help: "default (the model's own) or a sampler the model lists (`zoetrope models inspect`).")
    var sampler: String = SamplerNames.modelDefault
    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("A model option, NAME=VALUE (repeatable), e.g. --set flow_shift=5; "
                               + "`zoetrope models inspect` lists a model's options.", valueName: "name=value"))
    var optionSettings: [String] = []
    @Option(name: .customLong("component"), parsing: .singleValue,
            help: ArgumentHelp("An extra component folder the model takes, NAME=PATH (repeatable), as diffusers' "
                               + "from_pretrained(model, NAME=…); `zoetrope models inspect` lists them.",
                               valueName: "name=path"))
    var componentSettings: [String] = []
    @Option(name: .customLong("motion-adapter"),
            help: "An AnimateDiff MotionAdapter folder for a Stable Diffusion 1.5 model (the same as --component motion_adapter=PATH).")
    var motionAdapter: String?
    @Option(name: .customLong("flow-shift"), help: "The same as --set flow_shift=VALUE.")
    var flowShift: Double?
    @Option(help: ArgumentHelp(
        "fp32 (the default: diffusers' numbers) or bf16 (the large GEMMs in bf16 through oneDNN: "
            + "about twice as fast on CPUs with AVX512-BF16 or AMX, at bf16's rounding).", valueName: "fp32|bf16"))
    var precision: String = ComputePrecision.float32.rawValue
    @Option(help: "Seed (random when not given; the one used is printed).")
    var seed: UInt64?
    @Option(parsing: .unconditional, help: "Frames per second of the animated files (1 to 60).")
    var fps: Int = 8
    @Option(help: "Folder to write into (default: ./zoetrope-output/<time>-<seed>).")
    var output: String?
    @Option(name: .customLong("init-noise"),
            help: "A safetensors file with one tensor `latents` in the diffusers pipeline's `latents=` shape; replaces the seeded noise.")
    var initNoise: String?
    @Option(name: .customLong("save-tensor"),
            help: "Also write the decoded video as float32 tensor `video` [frames, height, width, 3] in [0, 1].")
    var saveTensor: String?
    @Option(name: .customLong("max-sequence-length"),
            help: "The same as --set max_sequence_length=VALUE (text tokens the prompt is padded to).")
    var maxSequenceLength: Int?
    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "The data folder whose history the run goes into (default: $ZOETROPE_DATA_DIR, $XDG_DATA_HOME/zoetrope "
            + "or ~/.local/share/zoetrope).", valueName: "dir"))
    var dataDir: String?

    @Flag(name: .customLong("no-history"), help: "Do not add the run to the history (`zoetrope history`, the studio).")
    var noHistory = false

    @Flag(help: "Print the memory the run would need, phase by phase, and what this machine has; run nothing.")
    var estimate = false

    @Flag(help: "One JSON line per event on stdout instead of a progress bar.")
    var json = false

    /// `--set` values and the named option flags, as the request's options. The model checks
    /// them (names, kinds, limits) when the job starts.
    func options() throws -> ModelOptions {
        var options: ModelOptions = [:]
        for setting in optionSettings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ValidationError("--set \(setting): expected NAME=VALUE, e.g. --set flow_shift=5")
            }
            let name = String(setting[..<equals]).trimmingCharacters(in: .whitespaces)
            options[name] = OptionValue(parsing: String(setting[setting.index(after: equals)...]))
        }
        if let flowShift { options["flow_shift"] = .number(flowShift) }
        if let maxSequenceLength { options["max_sequence_length"] = .integer(maxSequenceLength) }
        return options
    }

    public init() {}

    /// `--component` values and `--motion-adapter`, by component name.
    func components() throws -> [String: String] {
        var components: [String: String] = [:]
        for setting in componentSettings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex,
                  setting.index(after: equals) != setting.endIndex else {
                throw ValidationError("--component \(setting): expected NAME=PATH, e.g. --component motion_adapter=/adapters/v1-5-2")
            }
            components[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
        }
        if let motionAdapter { components["motion_adapter"] = motionAdapter }
        return components
    }

    /// `--precision` read, or the bad-request exit with what would be valid.
    func computePrecision() throws -> ComputePrecision {
        guard let value = ComputePrecision(rawValue: precision.lowercased()) else {
            ProgressReporter(json: json).error(
                "--precision \(precision) cannot be used: expected one of \(ComputePrecision.spellings)")
            throw ZoetropeExit.badRequest
        }
        return value
    }

    public func run() async throws {
        // A chosen --output that already holds a clip's frames would end up with the new frames
        // beside stale ones (a longer earlier run's): refused before anything runs.
        if let output, let stale = Self.existingFrames(in: URL(fileURLWithPath: output)), !stale.isEmpty {
            ProgressReporter(json: json).error(
                "--output \(output) already holds \(stale.count) clip file(s) (\(stale[0]) …) of another clip; "
                    + "choose an empty or new folder")
            throw ZoetropeExit.badRequest
        }
        var request = JobRequest(model: model, prompt: prompt, negativePrompt: negativePrompt, frames: frames,
                                 width: width, height: height, steps: steps, guidanceScale: guidance,
                                 sampler: sampler, seed: seed, fps: fps,
                                 preview: .none, initNoisePath: initNoise, options: try options(),
                                 components: try components(), precision: try computePrecision())
        let reporter = ProgressReporter(json: json)
        if estimate {
            try printEstimate(request, reporter: reporter)
            return
        }
        // The run goes into the history as a studio run does (issue #20: generate's runs never
        // appeared there): its row is written `running` with the seed before generating, so a
        // kill leaves it `interrupted` with its settings. The seed is chosen here for that, in
        // the range the engine draws from.
        var history: (store: HistoryStore, runID: String)?
        if !noHistory {
            if request.seed == nil { request = request.withSeed(UInt64.random(in: 0..<(1 << 32))) }
            do {
                let store = try HistoryStore.open(at: StoreLocation.dataDirectory(flag: dataDir))
                history = (store, try store.beginRun(RunArchive.settings(for: request)).id)
            } catch {
                reporter.note("the run is not added to the history: \(error)")
            }
        }
        let started = Date()
        let engine = Engine(loader: PipelineLoader())
        let handle = await engine.submit(request)
        let interrupt = InterruptWatcher {
            handle.cancelNow()
            Task { await handle.cancel() }
        }
        defer { interrupt.stop() }
        var final: JobEvent?
        for await timed in handle.events {
            reporter.report(timed)
            if timed.event.isFinal { final = timed.event }
        }
        interrupt.runEnded()
        reporter.finish()
        switch final {
        case .finished(let result):
            do {
                if output == nil {
                    // Run folders of earlier runs killed while writing their clip (issue #19).
                    let parent = URL(fileURLWithPath: Self.defaultOutput(seed: 0)).deletingLastPathComponent()
                    for folder in VideoExporter.removeAbandonedExports(under: parent) {
                        reporter.note("removed \(folder.path): a run killed while writing its clip left it unfinished")
                    }
                }
                let folder = try output.map { URL(fileURLWithPath: $0) }
                    ?? Self.claimFolder(Self.defaultOutput(seed: result.seed))
                let written = try ClipWriter.write(result, to: folder)
                if let saveTensor { try ClipWriter.saveTensor(result, to: URL(fileURLWithPath: saveTensor)) }
                reporter.wrote(folder: folder, result: result, written: written)
            } catch {
                try? history?.store.failRun(history?.runID ?? "", message: "cannot write the clip: \(error)")
                reporter.error("cannot write the clip: \(error)")
                throw ZoetropeExit.failure
            }
            if let history {
                do {
                    try RunArchive.finish(history.runID, result: result, in: history.store,
                                          engineVersion: RunArchive.engineVersion,
                                          durationSeconds: Date().timeIntervalSince(started),
                                          ffmpeg: VideoExporter.findExecutable("ffmpeg"))
                } catch {
                    // The clip is written; only its copy in the history is missing.
                    reporter.note("the clip is written, but adding it to the history failed: \(error)")
                }
            }
        case .failed(let failure):
            if let history { try? history.store.failRun(history.runID, message: failure.message) }
            reporter.error(failure.message)
            switch failure.kind {
            case .badRequest: throw ZoetropeExit.badRequest
            case .badModel: throw ZoetropeExit.badModel
            case .generation, .output: throw ZoetropeExit.failure
            }
        case .cancelled:
            if let history { try? history.store.cancelRun(history.runID) }
            reporter.error("interrupted; nothing was written")
            throw ZoetropeExit.cancelled
        default:
            if let history { try? history.store.failRun(history.runID, message: "the engine ended the job without a result") }
            reporter.error("the engine ended the job without a result")
            throw ZoetropeExit.failure
        }
    }

    /// `--estimate`: the run's memory from the model's configs and weight headers (nothing is
    /// loaded), and whether it fits in what this machine has available; its time, scaled from
    /// the nearest earlier run of the model in the history (none before a first run here).
    func printEstimate(_ request: JobRequest, reporter: ProgressReporter) throws {
        let caps: ModelCapabilities
        do {
            caps = try PipelineLoader().describe(request.modelReference)
        } catch {
            reporter.error("\(error)")
            throw ZoetropeExit.badModel
        }
        let settings = PipelineModel.settings(request)
        guard let estimate = caps.memoryEstimate(for: settings) else {
            reporter.error("\(caps.pipelineClass) states no memory model")
            throw ZoetropeExit.failure
        }
        let text = MachineMemory.text
        let available = MachineMemory.availableBytes()
        let problem = available.flatMap { caps.memoryProblem(settings, availableBytes: $0, weightsLoaded: false) }
        let time = timeEstimate(request, reporter: reporter)
        if json {
            let fields: [String: Any] = [
                "event": "estimate", "peak_bytes": estimate.peakBytes, "weight_bytes": estimate.weightBytes,
                "text_encoding_bytes": estimate.textEncodingBytes, "denoising_bytes": estimate.denoisingBytes,
                "decoding_bytes": estimate.decodingBytes, "output_bytes": estimate.outputBytes, "tokens": estimate.tokens,
                "available_bytes": available ?? NSNull(), "fits": problem == nil,
                "seconds": time?.seconds ?? NSNull()]
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("memory: about \(text(estimate.peakBytes)) at the peak (\(estimate.workingPeak.phase.rawValue))")
            print("  weights \(text(estimate.weightBytes)); text encoding \(text(estimate.textEncodingBytes)); "
                + "denoising \(text(estimate.denoisingBytes)) (\(estimate.tokens) tokens); "
                + "decoding \(text(estimate.decodingBytes)) + the clip \(text(estimate.outputBytes))")
            if let available { print("available: \(text(available))" + (problem.map { "; it does not fit: \($0)" } ?? "; it fits")) }
            if let time {
                let b = time.basis
                print("time: \(time.text) from text encoding to the last frame (scaled from a run here of "
                      + "\(b.frames) frames at \(b.width)×\(b.height), \(b.steps) steps; loading the model comes on top)")
            } else {
                print("time: not known before a first run of this model on this machine")
            }
        }
        if problem != nil { throw ZoetropeExit.badRequest }
    }

    /// The run's time from this model's earlier runs in the history, or nil (none there, or no
    /// history yet: reading it never creates one).
    func timeEstimate(_ request: JobRequest, reporter: ProgressReporter) -> RunTimeEstimate? {
        let folder = StoreLocation.dataDirectory(flag: dataDir)
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(HistoryStore.indexFileName).path) else {
            return nil
        }
        do {
            let store = try HistoryStore.open(at: folder)
            let samples = try RunArchive.timingSamples(of: request.model, in: store)
            return RunTimeEstimate.estimate(frames: request.frames, width: request.width, height: request.height,
                                            steps: request.steps, guided: request.guidanceScale > 1, from: samples)
        } catch {
            reporter.note("the time estimate could not read the history: \(error)")
            return nil
        }
    }

    /// The clip files in `folder` (`frame_*.png`, `video.*`), or nil when it does not exist.
    static func existingFrames(in folder: URL) -> [String]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return nil }
        return names.filter { ($0.hasPrefix("frame_") && $0.hasSuffix(".png")) || $0.hasPrefix("video.") }.sorted()
    }

    /// Creates `path` (or `path-2`, `path-3` … when it exists) exclusively — `mkdir` fails
    /// on an existing folder — so two runs started in the same second with the same seed never
    /// share a folder (one clip overwrote the other).
    static func claimFolder(_ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        for attempt in 1...1_000 {
            let candidate = attempt == 1 ? url : URL(fileURLWithPath: "\(path)-\(attempt)")
            if mkdir(candidate.path, 0o755) == 0 { return candidate }
            guard errno == EEXIST else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: candidate.path,
                                                              NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        }
        throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: path])
    }

    static func defaultOutput(seed: UInt64) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "zoetrope-output/\(formatter.string(from: Date()))-\(seed)"
    }
}


