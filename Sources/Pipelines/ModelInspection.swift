// `zoetrope models inspect PATH`: what a diffusers folder holds and whether this version
// can run it — without loading any weights.
import Foundation
import WeightsIO

/// What a model folder is, and why it can or cannot run here.
public struct ModelInspection: Sendable {
    public struct Component: Sendable {
        public var name: String
        public var className: String
        public var supported: Bool
        /// Weight files and their total size, when the folder has them.
        public var weightBytes: Int
    }

    public var path: String
    public var pipelineClassName: String
    /// The registry entry that runs the folder (its class name), or nil when none does.
    public var registryEntry: String?
    public var components: [Component]
    /// What the pipeline takes (rules, samplers, options), when its configs could be read.
    public var capabilities: PipelineCapabilities?
    /// nil when the folder can run; otherwise the reason.
    public var problem: String?
    /// The memory a run at the model's defaults needs, when its family states a memory model.
    public var defaultRunMemory: MemoryEstimate?
    /// Why a run at the defaults does not fit in the memory this machine has available (the
    /// model may still run smaller), or nil.
    public var defaultRunMemoryProblem: String?
    /// The memory the checks above were made against (nil: not checked).
    public var availableBytes: Int?

    public var runnable: Bool { problem == nil }

    /// Reads `model_index.json` and the component folders of `url`.
    /// - Parameter availableBytes: the memory a run may use (default: what this machine has
    ///   available now); nil skips the memory check.
    public static func inspect(_ url: URL, availableBytes: Int? = MachineMemory.availableBytes()) throws -> ModelInspection {
        let folder = try DiffusersModelFolder(url: url)
        var components: [Component] = []
        var problems: [String] = []
        let entry = PipelineRegistry.registration(for: folder.pipelineClassName)
        if entry == nil {
            problems.append("no registry entry runs the pipeline class \(folder.pipelineClassName) "
                + "(registered: \(PipelineRegistry.classNames.joined(separator: ", ")))")
        }
        let supportedClasses = entry?.components ?? [:]
        let ignored = entry?.ignoredComponents ?? [:]
        for name in folder.modelIndex.components.keys.sorted() {
            guard let component = folder.modelIndex.components[name], component.isPresent,
                  let className = component.className else { continue }
            let allowed = supportedClasses[name] ?? ignored[name]
            let supported = allowed?.contains(className) ?? false
            if !supported {
                problems.append("component \(name) is a \(className)"
                    + (allowed.map { " (supported: \($0.joined(separator: ", ")))" } ?? " (not used by any supported pipeline)"))
            }
            let sub = url.appendingPathComponent(name)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: sub.path)) ?? []
            if files.isEmpty { problems.append("the \(name) folder is missing or empty") }
            let bytes = files.filter { $0.hasSuffix(".safetensors") }.reduce(0) { sum, file in
                let size = (try? FileManager.default.attributesOfItem(atPath: sub.appendingPathComponent(file).path)[.size])
                return sum + ((size as? NSNumber)?.intValue ?? 0)
            }
            components.append(Component(name: name, className: className, supported: supported, weightBytes: bytes))
        }
        for required in supportedClasses.keys.sorted() where !components.contains(where: { $0.name == required }) {
            problems.append("it has no \(required) component")
        }
        var capabilities: PipelineCapabilities?
        if let entry, problems.isEmpty {
            do {
                capabilities = try PipelineRegistry.capabilities(try entry.describe(folder, [:]), folder: url)
            } catch {
                problems.append("its configs cannot be read: \(error)")
            }
        }
        var defaultRunMemory: MemoryEstimate?, defaultRunMemoryProblem: String?
        if let capabilities {
            let d = capabilities.defaults
            let defaults = VideoSettings(prompt: "", frames: d.frames, width: d.width, height: d.height, steps: d.steps,
                                         guidanceScale: Float(d.guidanceScale))
            defaultRunMemory = capabilities.memoryEstimate(for: defaults)
            if let available = availableBytes {
                defaultRunMemoryProblem = capabilities.memoryProblem(defaults, availableBytes: available, weightsLoaded: false)
                // The smallest run it can make: one frame, one step, the smallest sides.
                var smallest = defaults
                (smallest.frames, smallest.width, smallest.height) = (1, capabilities.sizeMultiple, capabilities.sizeMultiple)
                if let problem = capabilities.memoryProblem(smallest, availableBytes: available, weightsLoaded: false) {
                    problems.append("not enough memory for even its smallest run: \(problem)")
                }
            }
        }
        return ModelInspection(path: url.path, pipelineClassName: folder.pipelineClassName,
                               registryEntry: entry?.className, components: components, capabilities: capabilities,
                               problem: problems.isEmpty ? nil : problems.joined(separator: "; "),
                               defaultRunMemory: defaultRunMemory, defaultRunMemoryProblem: defaultRunMemoryProblem,
                               availableBytes: availableBytes)
    }
}
