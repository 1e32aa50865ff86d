import Foundation
import RegularFiles

/// Finds a component folder's safetensors files, following the diffusers / transformers
/// naming (diffusers models/model_loading_utils.py, transformers modeling_utils.py):
///
/// - `diffusion_pytorch_model.safetensors` (diffusers models) or `model.safetensors`
///   (transformers models), or
/// - shards listed in `diffusion_pytorch_model.safetensors.index.json` /
///   `model.safetensors.index.json` (`weight_map`: key → shard file name);
/// - a variant such as `fp16` inserts `.fp16` before `.safetensors`
///   (`model.fp16.safetensors`); a variant index is `model.safetensors.index.fp16.json`.
public struct WeightFiles: Sendable, Equatable {
    /// The shard files, in order (one element for an unsharded checkpoint).
    public let shards: [URL]
    /// The index file, for a sharded checkpoint.
    public let index: URL?
    /// Keys the index maps to each shard file name (empty without an index).
    public let weightMap: [String: String]

    /// Locates the weights in `folder`. With `variant == nil` the plain files are preferred
    /// and the `fp16` variant is used when only it is present.
    public static func locate(in folder: URL, variant: String? = nil) throws -> WeightFiles {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WeightStoreError.folderMissing(path: folder.path)
        }
        let variants = variant.map { [$0] } ?? [nil, "fp16"]
        var looked: [String] = []
        for variant in variants {
            for base in ["diffusion_pytorch_model", "model"] {
                let indexNames = variant.map { ["\(base).safetensors.index.\($0).json", "\(base).\($0).safetensors.index.json"] }
                    ?? ["\(base).safetensors.index.json"]
                for name in indexNames {
                    looked.append(name)
                    let url = folder.appendingPathComponent(name)
                    if FileManager.default.fileExists(atPath: url.path) { return try fromIndex(url) }
                }
                let single = variant.map { "\(base).\($0).safetensors" } ?? "\(base).safetensors"
                looked.append(single)
                let url = folder.appendingPathComponent(single)
                if FileManager.default.fileExists(atPath: url.path) {
                    return WeightFiles(shards: [url], index: nil, weightMap: [:])
                }
            }
        }
        let found = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        throw WeightStoreError.noWeights(folder: folder.path, expected: looked, found: found)
    }

    /// Reads an index file: `{"metadata": {...}, "weight_map": {"key": "shard.safetensors", ...}}`.
    static func fromIndex(_ url: URL) throws -> WeightFiles {
        let path = url.path
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: RegularFile.contents(of: url))
        } catch {
            throw WeightStoreError.invalidIndex(path: path, reason: "not readable JSON (\(error.localizedDescription))")
        }
        guard case let .object(fields) = root, let mapValue = fields["weight_map"] else {
            throw WeightStoreError.invalidIndex(path: path, reason: "missing \"weight_map\" object")
        }
        guard case let .object(entries) = mapValue else {
            throw WeightStoreError.invalidIndex(path: path, reason: "\"weight_map\" must be an object, found \(mapValue.typeName)")
        }
        var weightMap: [String: String] = [:]
        for (key, value) in entries {
            guard let shard = value.stringValue else {
                throw WeightStoreError.invalidIndex(path: path, reason: "weight_map['\(key)'] must be a file name, found \(value)")
            }
            guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\\"), shard != ".", shard != ".." else {
                throw WeightStoreError.invalidIndex(
                    path: path, reason: "weight_map['\(key)'] = '\(shard)' must be a plain file name in the same folder")
            }
            weightMap[key] = shard
        }
        let folder = url.deletingLastPathComponent()
        let shardNames = Set(weightMap.values).sorted()
        guard !shardNames.isEmpty else {
            throw WeightStoreError.invalidIndex(path: path, reason: "\"weight_map\" is empty")
        }
        var shards: [URL] = []
        for name in shardNames {
            let shard = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: shard.path) else {
                throw WeightStoreError.shardMissing(index: path, shard: name)
            }
            shards.append(shard)
        }
        return WeightFiles(shards: shards, index: url, weightMap: weightMap)
    }
}
