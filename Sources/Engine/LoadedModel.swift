import Foundation

/// A model loaded in memory, ready to run jobs. Weights are immutable and shared; every
/// job's changing state (latents, scheduler, caches, RNG) lives inside `generate`.
public protocol LoadedModel: AnyObject, Sendable {
    /// The model id or path the engine loaded it from (`ModelReference.key`: with its extra
    /// components, when it has any).
    var id: String { get }
    /// Throws `JobFailure(.badRequest, …)` when the request cannot run on this model.
    func validate(_ request: JobRequest) throws
    /// Runs one job synchronously on the engine's worker thread, reporting progress through
    /// `context` and checking `context.cancellation` inside long work.
    func generate(_ request: JobRequest, seed: UInt64, context: JobContext) throws -> GeneratedClip
    /// Frees components not needed until the next job (e.g. the text encoder), if memory is short.
    func releaseTransientMemory()
    /// What the model takes and offers (rules, defaults, samplers, options), when it says.
    var capabilities: ModelCapabilities? { get }
}

extension LoadedModel {
    public var capabilities: ModelCapabilities? { nil }
}

/// Loads models by id or path.
public protocol ModelLoader: Sendable {
    func load(_ model: String, context: JobContext) throws -> LoadedModel
    /// What `model` takes and offers, read without loading its weights. Throws
    /// `JobFailure(.badModel, …)` when it cannot say.
    func describe(_ model: String) throws -> ModelCapabilities
    /// Loads a model with extra component folders (see `ModelReference`).
    func load(_ reference: ModelReference, context: JobContext) throws -> LoadedModel
    /// Describes a model with extra component folders.
    func describe(_ reference: ModelReference) throws -> ModelCapabilities
}

extension ModelLoader {
    public func describe(_ model: String) throws -> ModelCapabilities {
        throw JobFailure(.badModel, "\(model): this loader cannot describe models")
    }

    /// Loads `reference`: the model with its extra components. Loaders that take none load
    /// the model alone and refuse components.
    public func load(_ reference: ModelReference, context: JobContext) throws -> LoadedModel {
        guard reference.components.isEmpty else {
            throw JobFailure(.badModel, "\(reference.model): this loader takes no extra components "
                + "(\(reference.components.keys.sorted().joined(separator: ", ")))")
        }
        return try load(reference.model, context: context)
    }

    /// What `reference` takes and offers, read without loading weights.
    public func describe(_ reference: ModelReference) throws -> ModelCapabilities {
        guard reference.components.isEmpty else {
            throw JobFailure(.badModel, "\(reference.model): this loader takes no extra components")
        }
        return try describe(reference.model)
    }
}
