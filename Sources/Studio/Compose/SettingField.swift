import Engine
import Foundation
import RunArchive
import TensorCore

/// One setting of the compose screen: those every model has, and the loaded model's own
/// options (`ModelCapabilities.options`), which the studio learns from the engine.
public enum SettingField: Hashable, Sendable {
    case model
    /// An extra component folder the model takes, by slot name (`motion_adapter`).
    case component(String)
    case frames, size, steps, guidance, sampler
    /// A family option by its name (`flow_shift`).
    case option(String)
    case seed, fps
    /// Real VAE decodes while denoising, for the preview: `auto` (a fifth of the run's time at
    /// most), `off`, or every N steps.
    case liveDecode
    /// The GEMMs' arithmetic: fp32 (diffusers' numbers) or bf16 (faster where the CPU has it).
    case precision

    /// The settings every model has, in Tab order; a model's options follow the sampler.
    static let common: [SettingField] = [.model, .frames, .size, .steps, .guidance, .sampler, .seed, .fps, .liveDecode,
                                         .precision]

    var label: String {
        switch self {
        case .model: return "Model"
        case .component(let name): return name
        case .frames: return "Frames"
        case .size: return "Size"
        case .steps: return "Steps"
        case .guidance: return "CFG"
        case .sampler: return "Sampler"
        case .option(let name): return name
        case .seed: return "Seed"
        case .fps: return "FPS"
        case .liveDecode: return "Live VAE"
        case .precision: return "Dtype"  // labels take 8 columns; `--precision` on the command line
        }
    }
}

/// What the Live VAE field's text means.
enum LiveDecodeText {
    static let auto = "auto"
    static let off = "off"

    /// The field's text for `preview`.
    static func text(_ preview: PreviewSettings) -> String {
        if preview.decodeEvery > 0 { return String(preview.decodeEvery) }
        return preview.decodeBudget > 0 ? auto : off
    }

    /// The preview settings `text` asks for (nil: not one of auto, off or a whole number ≥ 1).
    static func preview(_ text: String, expectedDecodeSeconds: Double?) -> PreviewSettings? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case auto: return PreviewSettings(expectedDecodeSeconds: expectedDecodeSeconds)
        case off: return .projectionsOnly
        case let t:
            guard let n = Int(t), n >= 1 else { return nil }
            return PreviewSettings(decodeEvery: n)
        }
    }
}

/// What a field's text means: a usable value, or why not and what to use instead.
public enum FieldCheck: Equatable, Sendable {
    case valid
    /// `message` explains the rule; `suggestion` is the nearest valid text, offered with Enter.
    case invalid(message: String, suggestion: String?)

    public var isValid: Bool { self == .valid }
}

/// The compose screen's settings as the user typed them. Each field is text, checked as
/// typed against the rules the model states (`capabilities`, asked of the engine) — the
/// studio restates none of them; `request(prompt:negative:)` builds a `JobRequest` once all
/// are valid.
public struct ComposeSettings: Equatable, Sendable {
    public var texts: [SettingField: String]
    /// The sampler is chosen from the model's list, not typed.
    public var sampler: String
    /// A locked seed is reused for every run; unlocked, the engine picks one each run.
    public var seedLocked: Bool
    /// The seed the last run actually used (shown when unlocked).
    public var lastSeedUsed: UInt64?
    /// What the model in the Model field takes and offers, once the engine has said; until
    /// then only what holds for every model is checked.
    public var capabilities: ModelCapabilities?
    /// What the machine can give a run (read with each model description); nil skips the
    /// memory check, which the engine makes again before the run.
    public var availableMemoryBytes: Int?
    /// Finished runs of the model in the Model field on this machine, newest first: what the
    /// time estimate is scaled from (empty: no estimate until a first run).
    public var timingSamples: [RunTimingSample] = []

    public init(from request: JobRequest = JobRequest(prompt: ""), capabilities: ModelCapabilities? = nil) {
        texts = [:]
        sampler = request.sampler
        seedLocked = request.seed != nil
        lastSeedUsed = request.seed
        self.capabilities = capabilities
        load(request)
    }

    /// Puts a request's settings into the fields (remix).
    public mutating func load(_ request: JobRequest) {
        texts[.model] = request.model
        texts[.frames] = String(request.frames)
        texts[.size] = "\(request.width)x\(request.height)"
        texts[.steps] = String(request.steps)
        texts[.guidance] = RunArchive.format(request.guidanceScale)
        for key in texts.keys {
            switch key {
            case .option, .component: texts[key] = nil
            default: break
            }
        }
        for (name, value) in request.options { texts[.option(name)] = value.description }
        for (name, path) in request.components { texts[.component(name)] = path }
        texts[.seed] = request.seed.map(String.init) ?? ""
        texts[.fps] = String(request.fps)
        texts[.liveDecode] = LiveDecodeText.text(request.preview)
        texts[.precision] = request.precision.rawValue
        sampler = request.sampler
        seedLocked = request.seed != nil
    }

    /// The fields shown, in Tab order: the model and the component folders it takes, then the
    /// common ones with the model's options after the sampler. A component typed before the
    /// model said it takes one stays shown.
    public var fields: [SettingField] {
        let options = (capabilities?.options ?? []).map { SettingField.option($0.name) }
        var slots = (capabilities?.components ?? []).map { SettingField.component($0.name) }
        for key in texts.keys.sorted(by: { "\($0)" < "\($1)" }) {
            if case .component = key, !slots.contains(key), !(texts[key] ?? "").isEmpty { slots.append(key) }
        }
        let common = SettingField.common
        let split = (common.firstIndex(of: .sampler) ?? 0) + 1
        return [.model] + slots + Array(common[1..<split]) + options + Array(common[split...])
    }

    /// The model and the component folders typed for it, as the engine loads them.
    public var modelReference: ModelReference {
        var components: [String: String] = [:]
        for (key, text) in texts {
            guard case .component(let name) = key else { continue }
            let path = text.trimmingCharacters(in: .whitespaces)
            if !path.isEmpty { components[name] = path }
        }
        return ModelReference(model: text(.model).trimmingCharacters(in: .whitespaces), components: components)
    }

    /// The option behind a field, when the model has it.
    func spec(_ field: SettingField) -> OptionSpec? {
        guard case .option(let name) = field else { return nil }
        return capabilities?.option(name)
    }

    /// A field's label: an option's or a component slot's own label.
    public func label(_ field: SettingField) -> String {
        if case .component(let name) = field, let slot = capabilities?.components.first(where: { $0.name == name }) {
            return slot.label
        }
        return spec(field)?.label ?? field.label
    }

    public func text(_ field: SettingField) -> String {
        field == .sampler ? sampler : texts[field] ?? ""
    }

    /// The samplers the model takes (`default` first).
    var samplerChoices: [String] {
        [SamplerNames.modelDefault] + (capabilities?.samplers ?? [])
    }

    // MARK: Checking

    /// Checks one field's text.
    public func check(_ field: SettingField) -> FieldCheck {
        let t = text(field).trimmingCharacters(in: .whitespaces)
        let caps = capabilities
        switch field {
        case .model:
            return t.isEmpty ? .invalid(message: "name a model (\(JobRequest.bundledModelID) is bundled)",
                                        suggestion: JobRequest.bundledModelID) : .valid
        case .frames:
            guard let n = Int(t), n > 0 else {
                let rule = caps.map { "frames is a whole number \($0.frameRule.text)" } ?? "frames is a whole number"
                return .invalid(message: rule, suggestion: caps.map { String($0.nearestFrames(1)) })
            }
            if let caps, let problem = caps.framesProblem(n) {
                return .invalid(message: problem, suggestion: String(caps.nearestFrames(n)))
            }
            return .valid
        case .size:
            guard let size = typedSize else {
                return .invalid(message: "size is width x height, e.g. 64x64", suggestion: "64x64")
            }
            let (w, h) = size
            if let caps, let problem = caps.sideProblem(w, name: "width") ?? caps.sideProblem(h, name: "height") {
                return .invalid(message: problem, suggestion: "\(caps.nearestSide(w))x\(caps.nearestSide(h))")
            }
            // A size the machine cannot hold is refused here, before ⏎ (issue #20: 4096×4096 was
            // marked valid and grew past 4.5 GB before anything said so).
            if let caps, let available = availableMemoryBytes, let settings = videoSettings(width: w, height: h),
               let estimate = caps.memoryEstimate(for: settings), estimate.bytesNeeded(weightsLoaded: true) > available {
                let fits = caps.largestFittingSize(settings, availableBytes: available, weightsLoaded: true)
                return .invalid(message: "needs about \(MachineMemory.text(estimate.workingPeak.bytes)), "
                                    + "\(MachineMemory.text(available)) available",
                                suggestion: fits.map { "\($0.width)x\($0.height)" })
            }
            return .valid
        case .steps:
            guard let n = Int(t) else { return .invalid(message: "steps is a whole number", suggestion: "20") }
            let problem = caps?.stepsProblem(n) ?? (n < 1 ? "steps must be at least 1" : nil)
            if let problem {
                let nearest = max(1, min(caps?.maxSteps ?? Int.max, n))
                return .invalid(message: problem, suggestion: String(nearest))
            }
            return .valid
        case .guidance:
            guard let g = Double(t), g.isFinite else {
                return .invalid(message: "guidance is a number, e.g. 5.0", suggestion: "5.0")
            }
            if g < 0 { return .invalid(message: "guidance cannot be negative", suggestion: "0.0") }
            if g > 100 { return .invalid(message: "guidance is at most 100", suggestion: "100.0") }
            return .valid
        case .component:
            return .valid  // a folder path, or empty for none; the engine reads it
        case .sampler:
            if caps != nil, !samplerChoices.contains(sampler) {
                return .invalid(message: "this model's samplers: " + samplerChoices.joined(separator: ", "),
                                suggestion: SamplerNames.modelDefault)
            }
            return .valid
        case .option(let name):
            if t.isEmpty { return .valid }  // the model's own value
            guard let caps else { return .valid }  // checked once the model has said what it takes
            guard let spec = caps.option(name) else {
                return .invalid(message: "this model has no option \(name)", suggestion: "")
            }
            guard let value = spec.parse(t), spec.checked(value) != nil else {
                return .invalid(message: "must be \(spec.validValues)",
                                suggestion: spec.parse(t).flatMap(spec.nearest).map(\.description) ?? "")
            }
            return .valid
        case .seed:
            if t.isEmpty || t == "random" { return .valid }
            guard UInt64(t) != nil else {
                return .invalid(message: "seed is a whole number from 0 to 2^64−1, or empty for random",
                                suggestion: "")
            }
            return .valid
        case .fps:
            let range = JobRequest.fpsRange
            guard let n = Int(t), range.contains(n) else {
                return .invalid(message: JobRequest.fpsRule,
                                suggestion: "8")
            }
            return .valid
        case .liveDecode:
            guard LiveDecodeText.preview(t, expectedDecodeSeconds: nil) != nil else {
                return .invalid(message: "auto (decodes costing at most a fifth of the run), off, "
                                    + "or decode every N steps", suggestion: LiveDecodeText.auto)
            }
            return .valid
        case .precision:
            guard let precision = typedPrecision else {
                return .invalid(message: "precision is \(ComputePrecision.spellings)",
                                suggestion: ComputePrecision.float32.rawValue)
            }
            // bf16 on a machine without it is refused here, with the reason (oneDNN missing, or
            // no bf16 instructions), not after ⏎.
            if let reason = precision.unavailableReason {
                return .invalid(message: reason, suggestion: ComputePrecision.float32.rawValue)
            }
            return .valid
        }
    }

    /// The Size field as `width`x`height` (or ×, *), both positive; nil otherwise.
    var typedSize: (width: Int, height: Int)? {
        let parts = text(.size).trimmingCharacters(in: .whitespaces).lowercased()
            .split(whereSeparator: { $0 == "x" || $0 == "×" || $0 == "*" })
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else { return nil }
        return (w, h)
    }

    /// The settings as typed with the size `width`×`height`, for the memory estimate (nil while
    /// frames or guidance do not parse).
    func videoSettings(width: Int, height: Int) -> VideoSettings? {
        guard let frames = Int(text(.frames).trimmingCharacters(in: .whitespaces)), frames > 0,
              let guidance = Double(text(.guidance).trimmingCharacters(in: .whitespaces)), guidance.isFinite else { return nil }
        return VideoSettings(prompt: "", frames: frames, width: width, height: height, steps: 1,
                             guidanceScale: Float(guidance), options: typedOptions)
    }

    /// The Dtype field as a precision (any case, spaces around ignored); nil when it is neither.
    var typedPrecision: ComputePrecision? {
        ComputePrecision(rawValue: text(.precision).trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// The model's options the user typed (empty fields take the model's own).
    var typedOptions: ModelOptions {
        var options: ModelOptions = [:]
        for field in fields {
            guard case .option(let name) = field, let spec = spec(field) else { continue }
            let t = text(field).trimmingCharacters(in: .whitespaces)
            if !t.isEmpty, let value = spec.parse(t) { options[name] = value }
        }
        return options
    }

    /// The memory a run of these settings needs, once the model has said how it grows and every
    /// field is valid.
    public var memoryEstimate: MemoryEstimate? {
        guard firstInvalid == nil, let caps = capabilities, let size = typedSize,
              let settings = videoSettings(width: size.width, height: size.height) else { return nil }
        return caps.memoryEstimate(for: settings)
    }

    /// How long a run of these settings will take, once every field is valid and the model has
    /// run here before.
    public var timeEstimate: RunTimeEstimate? {
        guard firstInvalid == nil, let size = typedSize, let settings = videoSettings(width: size.width, height: size.height),
              let steps = Int(text(.steps).trimmingCharacters(in: .whitespaces)) else { return nil }
        return RunTimeEstimate.estimate(frames: settings.frames, width: size.width, height: size.height, steps: steps,
                                        guided: settings.guidanceScale > 1, from: timingSamples)
    }

    /// The first invalid field, if any (options the model does not show are not checked).
    public var firstInvalid: SettingField? { fields.first { !check($0).isValid } }

    /// The request these settings describe, or nil while a field is invalid. Its preview
    /// settings come from the Live VAE field unless `preview` is given.
    public func request(prompt: String, negativePrompt: String, preview: PreviewSettings? = nil) -> JobRequest? {
        guard firstInvalid == nil else { return nil }
        guard let size = typedSize, let frames = Int(text(.frames)), let steps = Int(text(.steps)),
              let guidance = Double(text(.guidance)), let fps = Int(text(.fps)),
              let preview = preview ?? LiveDecodeText.preview(text(.liveDecode),
                                                              expectedDecodeSeconds: timeEstimate?.decodeSeconds)
        else { return nil }
        let seed: UInt64? = seedLocked ? UInt64(text(.seed)) : nil
        let reference = modelReference
        return JobRequest(model: reference.model,
                          prompt: prompt, negativePrompt: negativePrompt,
                          frames: frames, width: size.width, height: size.height, steps: steps,
                          guidanceScale: guidance, sampler: sampler,
                          seed: seed, fps: fps, preview: preview, options: typedOptions, components: reference.components,
                          precision: typedPrecision ?? .float32)
    }

    // MARK: Changing with keys

    /// Typed text into a field (the sampler ignores typing).
    public mutating func type(_ s: String, into field: SettingField) {
        guard field != .sampler else { return }
        texts[field, default: ""] += s
        if field == .seed { seedLocked = !text(.seed).isEmpty }
    }

    public mutating func deleteBackward(in field: SettingField) {
        guard field != .sampler, var t = texts[field], !t.isEmpty else { return }
        t.removeLast()
        texts[field] = t
        if field == .seed { seedLocked = !t.isEmpty }
    }

    /// Steps a field up or down by its natural unit (frames by the model's stride, size by its
    /// multiple …), never past the model's limits and without overflow.
    public mutating func adjust(_ field: SettingField, by direction: Int) {
        let d = direction >= 0 ? 1 : -1
        let caps = capabilities
        switch field {
        case .model, .component: break
        case .frames:
            let n = Int(text(.frames)) ?? 17
            guard let caps else {
                texts[.frames] = String(max(1, min(100_000, n) + d))
                return
            }
            let stride: Int
            if case .stridePlusOne(let s) = caps.frameRule { stride = s } else { stride = 1 }
            let base = caps.framesProblem(n) == nil ? n : caps.nearestFrames(n)
            texts[.frames] = String(caps.nearestFrames(base + stride * d))
        case .size:
            let parts = text(.size).lowercased().split(separator: "x").compactMap { Int($0) }
            let (w, h) = parts.count == 2 ? (parts[0], parts[1]) : (64, 64)
            let m = caps?.sizeMultiple ?? 16
            let top = caps?.maxSide ?? 4_096
            let step = { (v: Int) in min(top / m * m, max(m, (min(v, top) / m) * m + m * d)) }
            texts[.size] = "\(step(w))x\(step(h))"
        case .steps:
            let n = min(caps?.maxSteps ?? 1_000, max(0, Int(text(.steps)) ?? 20))
            texts[.steps] = String(min(caps?.maxSteps ?? 1_000, max(1, n + d)))
        case .guidance:
            let g = min(100, max(0, (Double(text(.guidance)) ?? 5) + 0.5 * Double(d)))
            texts[.guidance] = RunArchive.format(g)
        case .sampler:
            let all = samplerChoices
            let i = all.firstIndex(of: sampler) ?? 0
            sampler = all[(i + d + all.count) % all.count]
        case .option:
            guard let spec = spec(field) else { return }
            let current = spec.parse(text(field)) ?? spec.defaultValue
            switch spec.kind {
            case .number(let range):
                let v = current.doubleValue ?? range.lowerBound
                let stepSize = range.upperBound - range.lowerBound > 10 ? 0.5 : 0.1
                texts[field] = RunArchive.format(min(range.upperBound, max(range.lowerBound, v + stepSize * Double(d))))
            case .integer(let range):
                let v = min(range.upperBound, max(range.lowerBound, current.intValue ?? range.lowerBound))
                let next = d > 0 ? (v < range.upperBound ? v + 1 : v) : (v > range.lowerBound ? v - 1 : v)
                texts[field] = String(next)
            case .choice(let choices):
                guard !choices.isEmpty else { return }
                let i = choices.firstIndex(of: current.description) ?? 0
                texts[field] = choices[(i + d + choices.count) % choices.count]
            case .flag:
                if case .flag(let b) = current { texts[field] = b ? "false" : "true" }
            }
        case .seed:
            let s = UInt64(text(.seed)) ?? lastSeedUsed ?? 0
            texts[.seed] = String(d > 0 ? s &+ 1 : (s == 0 ? 0 : s - 1))
            seedLocked = true
        case .fps:
            let range = JobRequest.fpsRange
            let n = min(range.upperBound, max(range.lowerBound - 1, Int(text(.fps)) ?? 8))
            texts[.fps] = String(min(range.upperBound, max(range.lowerBound, n + d)))
        case .liveDecode:
            // off, auto, 1, 2, … steps: each press one further along.
            let t = text(.liveDecode).trimmingCharacters(in: .whitespaces).lowercased()
            let top = max(1, min(caps?.maxSteps ?? 1_000, Int(text(.steps)) ?? 1_000))
            let position = t == LiveDecodeText.off ? -1 : (Int(t).map { min(max(1, $0), top) } ?? 0)
            let next = min(top, max(-1, position + d))
            texts[.liveDecode] = next == -1 ? LiveDecodeText.off : (next == 0 ? LiveDecodeText.auto : String(next))
        case .precision:
            // Only the precisions this machine can run (fp32 alone on a CPU without bf16).
            let all = ComputePrecision.allCases.filter { $0.unavailableReason == nil }
            let i = typedPrecision.flatMap { all.firstIndex(of: $0) } ?? 0
            texts[.precision] = all[(i + d + all.count) % all.count].rawValue
        }
    }

    /// Replaces an invalid field by its suggestion. Returns whether anything changed.
    @discardableResult
    public mutating func acceptSuggestion(_ field: SettingField) -> Bool {
        guard case .invalid(_, let suggestion?) = check(field) else { return false }
        if field == .sampler {
            sampler = suggestion
            return true
        }
        texts[field] = suggestion
        if field == .seed { seedLocked = !suggestion.isEmpty }
        return true
    }

    /// Locks the seed (keeping the last one used if none is typed) or unlocks it.
    public mutating func toggleSeedLock() {
        if seedLocked {
            seedLocked = false
            texts[.seed] = ""
        } else {
            seedLocked = true
            if text(.seed).isEmpty { texts[.seed] = String(lastSeedUsed ?? 0) }
        }
    }

    /// What the seed field shows.
    public var seedDisplay: String {
        if seedLocked { return "\(text(.seed)) 🔒" }
        if let last = lastSeedUsed { return "random (last \(last))" }
        return "random"
    }
}
