// Which pipeline type runs a diffusers folder, chosen by `model_index.json`'s `_class_name`
// (as mlx-swift-lm's LLMTypeRegistry maps `model_type` to a constructor). A family is a
// folder of its own plus one line in `builtIn`.
import Foundation
import Synchronization
import WeightsIO

/// A component a pipeline can be given from a folder of its own, beside the model folder's
/// (diffusers: `AnimateDiffPipeline.from_pretrained(sd15, motion_adapter=MotionAdapter.from_pretrained(…))`).
public struct ComponentSlot: Sendable, Equatable {
    /// The component's name (`motion_adapter`): the `--component` key and the request's.
    public var name: String
    /// A short label for a settings pane ("Adapter").
    public var label: String
    /// The `_class_name`s its folder's config may have (`MotionAdapter`).
    public var classes: [String]
    /// One line saying what it does and what the model is without it.
    public var help: String

    public init(name: String, label: String, classes: [String], help: String) {
        self.name = name
        self.label = label
        self.classes = classes
        self.help = help
    }
}

/// How the registry knows one pipeline class.
public struct PipelineRegistration: Sendable {
    /// The diffusers `_class_name` it runs (`WanPipeline`).
    public var className: String
    /// The component classes it accepts, by component name (what `models inspect` checks).
    public var components: [String: [String]]
    /// Components it can be given from folders of their own.
    public var slots: [ComponentSlot]
    /// Components a folder may hold that the pipeline does not use (Stable Diffusion's
    /// `safety_checker` and `feature_extractor`), with the classes they may have: accepted, not
    /// required, never loaded.
    public var ignoredComponents: [String: [String]] = [:]
    /// The pipeline's capabilities from its configs alone (and those of the given component
    /// folders), without reading weights.
    public var describe: @Sendable (DiffusersModelFolder, _ extra: [String: URL]) throws -> PipelineCapabilities
    /// Loads the folder (with the given component folders), reporting each component's name
    /// and the fraction loaded before it.
    public var load: @Sendable (DiffusersModelFolder, _ extra: [String: URL], _ progress: (String, Double) -> Void)
        throws -> any VideoPipeline

    /// A pipeline that takes extra component folders (`slots`).
    public init(className: String, components: [String: [String]], slots: [ComponentSlot],
                describe: @escaping @Sendable (DiffusersModelFolder, [String: URL]) throws -> PipelineCapabilities,
                load: @escaping @Sendable (DiffusersModelFolder, [String: URL], (String, Double) -> Void) throws
                    -> any VideoPipeline) {
        self.className = className
        self.components = components
        self.slots = slots
        self.describe = describe
        self.load = load
    }

    /// A pipeline made of its folder alone.
    public init(className: String, components: [String: [String]],
                describe: @escaping @Sendable (DiffusersModelFolder) throws -> PipelineCapabilities,
                load: @escaping @Sendable (DiffusersModelFolder, (String, Double) -> Void) throws -> any VideoPipeline) {
        self.init(className: className, components: components, slots: [],
                  describe: { folder, _ in try describe(folder) },
                  load: { folder, _, progress in try load(folder, progress) })
    }

    /// `extra`, checked against `slots`: every name must be one of them.
    func checked(_ extra: [String: URL], folder: URL) throws -> [String: URL] {
        for name in extra.keys.sorted() where !slots.contains(where: { $0.name == name }) {
            throw PipelineError.unsupportedComponent(
                path: folder.path, component: name, className: "a component folder",
                supported: slots.isEmpty ? ["none: \(className) is made of its folder alone"]
                    : slots.map { "\($0.name) (\($0.classes.joined(separator: ", ")))" })
        }
        return extra
    }
}

/// The pipeline classes this build runs.
public enum PipelineRegistry {
    /// The families built in, one line each.
    public static let builtIn: [PipelineRegistration] = [
        WanPipeline.registration,
        TextToVideoSDPipeline.registration,
        AnimateDiffPipeline.registration,
    ]

    private static let entries = Mutex<[String: PipelineRegistration]>(
        Dictionary(builtIn.map { ($0.className, $0) }, uniquingKeysWith: { first, _ in first }))

    /// Adds (or replaces) the registration of a pipeline class, e.g. a family a test defines.
    public static func register(_ registration: PipelineRegistration) {
        entries.withLock { $0[registration.className] = registration }
    }

    /// The registration for `className`, if any.
    public static func registration(for className: String) -> PipelineRegistration? {
        entries.withLock { $0[className] }
    }

    /// Every registered pipeline class, sorted.
    public static var classNames: [String] { entries.withLock { $0.keys.sorted() } }

    /// The registration that runs `folder`, or `PipelineError.unsupportedPipeline` naming what
    /// runs instead.
    public static func registration(for folder: DiffusersModelFolder) throws -> PipelineRegistration {
        guard let entry = registration(for: folder.pipelineClassName) else {
            throw PipelineError.unsupportedPipeline(path: folder.url.path, className: folder.pipelineClassName,
                                                    supported: classNames)
        }
        return entry
    }

    /// Loads the pipeline folder `url` with the type its `_class_name` names, with extra
    /// component folders (`components`, by slot name).
    public static func load(folder url: URL, components: [String: URL] = [:],
                            progress: (_ component: String, _ fraction: Double) -> Void = { _, _ in }) throws -> any VideoPipeline {
        let folder = try DiffusersModelFolder(url: url)
        let entry = try registration(for: folder)
        return try entry.load(folder, try entry.checked(components, folder: url), progress)
    }

    /// The capabilities of the pipeline folder `url` (with extra component folders), from
    /// configs alone, with the folder's own defaults (`zoetrope.json`) when it has them.
    public static func describe(folder url: URL, components: [String: URL] = [:]) throws -> PipelineCapabilities {
        let folder = try DiffusersModelFolder(url: url)
        let entry = try registration(for: folder)
        return try capabilities(try entry.describe(folder, try entry.checked(components, folder: url)), folder: url)
    }

    /// `capabilities` of a pipeline loaded from `folder`, with the folder's own defaults and
    /// the component slots its registry entry declares.
    public static func capabilities(_ capabilities: PipelineCapabilities, folder: URL) throws -> PipelineCapabilities {
        var caps = try FolderDefaults.load(folder: folder)?.applied(to: capabilities) ?? capabilities
        caps.components = registration(for: caps.pipelineClass)?.slots ?? []
        return caps
    }
}
