// Which pipeline type runs a diffusers folder, chosen by `model_index.json`'s `_class_name`
// (as mlx-swift-lm's LLMTypeRegistry maps `model_type` to a constructor). A family is a
// folder of its own plus one line in `builtIn`.
import Foundation
import Synchronization
import WeightsIO

/// How the registry knows one pipeline class.
public struct PipelineRegistration: Sendable {
    /// The diffusers `_class_name` it runs (`WanPipeline`).
    public var className: String
    /// The component classes it accepts, by component name (what `models inspect` checks).
    public var components: [String: [String]]
    /// The pipeline's capabilities from its configs alone, without reading weights.
    public var describe: @Sendable (DiffusersModelFolder) throws -> PipelineCapabilities
    /// Loads the folder, reporting each component's name and the fraction loaded before it.
    public var load: @Sendable (DiffusersModelFolder, _ progress: (String, Double) -> Void) throws -> any VideoPipeline

    public init(className: String, components: [String: [String]],
                describe: @escaping @Sendable (DiffusersModelFolder) throws -> PipelineCapabilities,
                load: @escaping @Sendable (DiffusersModelFolder, (String, Double) -> Void) throws -> any VideoPipeline) {
        self.className = className
        self.components = components
        self.describe = describe
        self.load = load
    }
}

/// The pipeline classes this build runs.
public enum PipelineRegistry {
    /// The families built in, one line each.
    public static let builtIn: [PipelineRegistration] = [
        WanPipeline.registration,
        TextToVideoSDPipeline.registration,
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

    /// Loads the pipeline folder `url` with the type its `_class_name` names.
    public static func load(folder url: URL,
                            progress: (_ component: String, _ fraction: Double) -> Void = { _, _ in }) throws -> any VideoPipeline {
        let folder = try DiffusersModelFolder(url: url)
        return try registration(for: folder).load(folder, progress)
    }

    /// The capabilities of the pipeline folder `url`, from its configs alone, with the
    /// folder's own defaults (`zoetrope.json`) when it has them.
    public static func describe(folder url: URL) throws -> PipelineCapabilities {
        let folder = try DiffusersModelFolder(url: url)
        return try capabilities(try registration(for: folder).describe(folder), folder: url)
    }

    /// `capabilities` of a pipeline loaded from `folder`, with the folder's own defaults.
    public static func capabilities(_ capabilities: PipelineCapabilities, folder: URL) throws -> PipelineCapabilities {
        try FolderDefaults.load(folder: folder)?.applied(to: capabilities) ?? capabilities
    }
}
