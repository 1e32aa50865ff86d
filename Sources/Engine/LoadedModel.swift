import Foundation

/// A model loaded in memory, ready to run jobs. Weights are immutable and shared; every
/// job's changing state (latents, scheduler, caches, RNG) lives inside `generate`.
public protocol LoadedModel: AnyObject, Sendable {
    /// The model id or path the engine loaded it from.
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
}

extension ModelLoader {
    public func describe(_ model: String) throws -> ModelCapabilities {
        throw JobFailure(.badModel, "\(model): this loader cannot describe models")
    }
}
