// Loads a model for the engine: a bundled model by id, or a diffusers folder by path, with the
// pipeline type the folder's `model_index.json` names in `PipelineRegistry`.
import BundledModels
import Foundation
import Pipelines
import WeightsIO

/// Resolves a request's `model` (a bundled id such as `tiny-shapes`, or a folder path) and
/// loads it as a `PipelineModel`.
public struct PipelineLoader: ModelLoader {
    public init() {}

    /// The folder `model` names: a bundled model's folder, or the path itself.
    public static func folder(for model: String) throws -> URL {
        if let bundled = BundledModels.folder(model) { return bundled }
        let expanded = (model as NSString).expandingTildeInPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory), isDirectory.boolValue else {
            let bundled = BundledModels.ids
            throw JobFailure(.badModel, "no model folder at \(model)"
                + (bundled.isEmpty ? "" : "; bundled models: \(bundled.joined(separator: ", "))"))
        }
        return URL(fileURLWithPath: expanded, isDirectory: true)
    }

    public func load(_ model: String, context: JobContext) throws -> LoadedModel {
        let url = try Self.folder(for: model)
        do {
            let pipeline = try PipelineRegistry.load(folder: url) { component, fraction in
                context.emit(.loading(component: component, fraction: fraction))
            }
            return PipelineModel(id: model, pipeline: pipeline,
                                 capabilities: try PipelineRegistry.capabilities(pipeline.capabilities, folder: url))
        } catch let error as JobFailure {
            throw error
        } catch {
            throw JobFailure(.badModel, String(describing: error))
        }
    }

    public func describe(_ model: String) throws -> ModelCapabilities {
        let url = try Self.folder(for: model)
        do {
            return try PipelineRegistry.describe(folder: url)
        } catch {
            throw JobFailure(.badModel, String(describing: error))
        }
    }
}
