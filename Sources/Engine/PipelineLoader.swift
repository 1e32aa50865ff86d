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

    /// The folders of a reference's extra components, each checked to exist.
    static func componentFolders(_ reference: ModelReference) throws -> [String: URL] {
        var folders: [String: URL] = [:]
        for (name, path) in reference.components {
            let expanded = (path as NSString).expandingTildeInPath
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw JobFailure(.badModel, "no \(name) folder at \(path)")
            }
            folders[name] = URL(fileURLWithPath: expanded, isDirectory: true)
        }
        return folders
    }

    public func load(_ model: String, context: JobContext) throws -> LoadedModel {
        try load(ModelReference(model: model), context: context)
    }

    public func load(_ reference: ModelReference, context: JobContext) throws -> LoadedModel {
        let url = try Self.folder(for: reference.model)
        do {
            let pipeline = try PipelineRegistry.load(folder: url, components: try Self.componentFolders(reference)) {
                component, fraction in
                context.emit(.loading(component: component, fraction: fraction))
            }
            return PipelineModel(id: reference.key, pipeline: pipeline,
                                 capabilities: try PipelineRegistry.capabilities(pipeline.capabilities, folder: url))
        } catch let error as JobFailure {
            throw error
        } catch {
            throw JobFailure(.badModel, String(describing: error))
        }
    }

    public func describe(_ model: String) throws -> ModelCapabilities {
        try describe(ModelReference(model: model))
    }

    public func describe(_ reference: ModelReference) throws -> ModelCapabilities {
        let url = try Self.folder(for: reference.model)
        do {
            return try PipelineRegistry.describe(folder: url, components: try Self.componentFolders(reference))
        } catch let error as JobFailure {
            throw error
        } catch {
            throw JobFailure(.badModel, String(describing: error))
        }
    }
}
