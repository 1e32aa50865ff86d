import Engine

/// The settings of the compose screen, in the order Tab visits them.
public enum SettingField: String, CaseIterable, Sendable {
    case model, frames, size, steps, guidance, sampler, shift, seed, fps

    var label: String {
        switch self {
        case .model: return "Model"
        case .frames: return "Frames"
        case .size: return "Size"
        case .steps: return "Steps"
        case .guidance: return "CFG"
        case .sampler: return "Sampler"
        case .shift: return "Shift"
        case .seed: return "Seed"
        case .fps: return "FPS"
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
/// typed; `request(prompt:negative:)` builds a `JobRequest` once all are valid.
public struct ComposeSettings: Equatable, Sendable {
    public var texts: [SettingField: String]
    /// The sampler is chosen from a list, not typed.
    public var sampler: Sampler.Kind
    /// A locked seed is reused for every run; unlocked, the engine picks one each run.
    public var seedLocked: Bool
    /// The seed the last run actually used (shown when unlocked).
    public var lastSeedUsed: UInt64?

    public init(from request: JobRequest = JobRequest(prompt: "")) {
        texts = [:]
        sampler = request.sampler.kind
        seedLocked = request.seed != nil
        lastSeedUsed = request.seed
        load(request)
    }

    /// Puts a request's settings into the fields (remix).
    public mutating func load(_ request: JobRequest) {
        texts[.model] = request.model
        texts[.frames] = String(request.frames)
        texts[.size] = "\(request.width)x\(request.height)"
        texts[.steps] = String(request.steps)
        texts[.guidance] = ComposeSettings.format(request.guidanceScale)
        texts[.shift] = request.sampler.flowShift.map(ComposeSettings.format) ?? ""
        texts[.seed] = request.seed.map(String.init) ?? ""
        texts[.fps] = String(request.fps)
        sampler = request.sampler.kind
        seedLocked = request.seed != nil
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() ? String(format: "%.1f", x) : String(format: "%g", x)
    }

    public func text(_ field: SettingField) -> String {
        field == .sampler ? sampler.rawValue : texts[field] ?? ""
    }

    // MARK: Checking

    /// Checks one field's text.
    public func check(_ field: SettingField) -> FieldCheck {
        let t = text(field).trimmingCharacters(in: .whitespaces)
        switch field {
        case .model:
            return t.isEmpty ? .invalid(message: "name a model (\(JobRequest.bundledModelID) is bundled)",
                                        suggestion: JobRequest.bundledModelID) : .valid
        case .frames:
            guard let n = Int(t), n > 0 else {
                return .invalid(message: "frames is a whole number 4k+1 (1, 5, 9, 13, 17 …)", suggestion: "17")
            }
            if (n - 1) % 4 != 0 {
                let rounded = max(1, Int((Double(n - 1) / 4).rounded()) * 4 + 1)
                return .invalid(message: "frames must be 4k+1 (1, 5, 9, 13 …)", suggestion: String(rounded))
            }
            return .valid
        case .size:
            let parts = t.lowercased().split(whereSeparator: { $0 == "x" || $0 == "×" || $0 == "*" })
            guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else {
                return .invalid(message: "size is width x height, e.g. 64x64", suggestion: "64x64")
            }
            if w % 16 != 0 || h % 16 != 0 {
                let round16 = { (v: Int) in max(16, Int((Double(v) / 16).rounded()) * 16) }
                return .invalid(message: "sides must be multiples of 16",
                                suggestion: "\(round16(w))x\(round16(h))")
            }
            return .valid
        case .steps:
            guard let n = Int(t) else { return .invalid(message: "steps is a whole number", suggestion: "20") }
            if n < 1 { return .invalid(message: "steps must be at least 1", suggestion: "1") }
            if n > 1000 { return .invalid(message: "at most 1000 steps", suggestion: "1000") }
            return .valid
        case .guidance:
            guard let g = Double(t), g.isFinite else {
                return .invalid(message: "guidance is a number, e.g. 5.0", suggestion: "5.0")
            }
            if g < 0 { return .invalid(message: "guidance cannot be negative", suggestion: "0.0") }
            return .valid
        case .sampler:
            return .valid
        case .shift:
            if t.isEmpty { return .valid }  // the model's own value
            guard let s = Double(t), s > 0, s.isFinite else {
                return .invalid(message: "flow shift is a positive number, or empty for the model's value",
                                suggestion: "")
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
            guard let n = Int(t), n >= 1, n <= 60 else {
                return .invalid(message: "fps is a whole number from 1 to 60", suggestion: "8")
            }
            return .valid
        }
    }

    /// The first invalid field, if any.
    public var firstInvalid: SettingField? { SettingField.allCases.first { !check($0).isValid } }

    /// The request these settings describe, or nil while a field is invalid.
    public func request(prompt: String, negativePrompt: String, preview: PreviewSettings = .default) -> JobRequest? {
        guard firstInvalid == nil else { return nil }
        let size = text(.size).lowercased().split(whereSeparator: { $0 == "x" || $0 == "×" || $0 == "*" })
        guard size.count == 2, let width = Int(size[0]), let height = Int(size[1]),
              let frames = Int(text(.frames)), let steps = Int(text(.steps)),
              let guidance = Double(text(.guidance)), let fps = Int(text(.fps)) else { return nil }
        let shift = Double(text(.shift))
        let seed: UInt64? = seedLocked ? UInt64(text(.seed)) : nil
        return JobRequest(model: text(.model).trimmingCharacters(in: .whitespaces),
                          prompt: prompt, negativePrompt: negativePrompt,
                          frames: frames, width: width, height: height, steps: steps,
                          guidanceScale: guidance, sampler: Sampler(kind: sampler, flowShift: shift),
                          seed: seed, fps: fps, preview: preview)
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

    /// Steps a field up or down by its natural unit (frames by 4, size by 16 …).
    public mutating func adjust(_ field: SettingField, by direction: Int) {
        let d = direction >= 0 ? 1 : -1
        switch field {
        case .model: break
        case .frames:
            let n = Int(text(.frames)) ?? 17
            let base = (n - 1) % 4 == 0 ? n : max(1, (n - 1) / 4 * 4 + 1)
            texts[.frames] = String(max(1, base + 4 * d))
        case .size:
            let parts = text(.size).lowercased().split(separator: "x").compactMap { Int($0) }
            let (w, h) = parts.count == 2 ? (parts[0], parts[1]) : (64, 64)
            let step = { (v: Int) in max(16, (v / 16) * 16 + 16 * d) }
            texts[.size] = "\(step(w))x\(step(h))"
        case .steps:
            texts[.steps] = String(max(1, (Int(text(.steps)) ?? 20) + d))
        case .guidance:
            texts[.guidance] = ComposeSettings.format(max(0, (Double(text(.guidance)) ?? 5) + 0.5 * Double(d)))
        case .sampler:
            let all = Sampler.Kind.allCases
            let i = all.firstIndex(of: sampler) ?? 0
            sampler = all[(i + d + all.count) % all.count]
        case .shift:
            let s = Double(text(.shift)) ?? 3.0
            texts[.shift] = ComposeSettings.format(max(0.5, s + 0.5 * Double(d)))
        case .seed:
            let s = UInt64(text(.seed)) ?? lastSeedUsed ?? 0
            texts[.seed] = String(d > 0 ? s &+ 1 : (s == 0 ? 0 : s - 1))
            seedLocked = true
        case .fps:
            texts[.fps] = String(min(60, max(1, (Int(text(.fps)) ?? 8) + d)))
        }
    }

    /// Replaces an invalid field by its suggestion. Returns whether anything changed.
    @discardableResult
    public mutating func acceptSuggestion(_ field: SettingField) -> Bool {
        guard case .invalid(_, let suggestion?) = check(field) else { return false }
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
