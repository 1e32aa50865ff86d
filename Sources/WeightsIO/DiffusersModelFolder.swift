import Foundation
import RegularFiles

/// A diffusers-format pipeline folder (as `DiffusionPipeline.save_pretrained` writes it,
/// diffusers 0.42.1 pipelines/pipeline_utils.py):
///
/// ```
/// model_index.json
/// transformer/config.json + diffusion_pytorch_model*.safetensors[.index.json]
/// vae/…  text_encoder/config.json + model*.safetensors  tokenizer/…
/// scheduler/scheduler_config.json
/// ```
///
/// Model code decodes each component's config into its own `Decodable` struct with
/// `decodeConfig(_:component:)` and opens its weights with `weights(component:)`.
public struct DiffusersModelFolder: Sendable {
    /// The pipeline folder.
    public let url: URL
    /// The parsed `model_index.json`.
    public let modelIndex: ModelIndex

    /// Opens `url`, reading its `model_index.json`.
    public init(url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DiffusersFolderError.folderMissing(path: url.path)
        }
        let indexURL = url.appendingPathComponent("model_index.json")
        guard FileManager.default.fileExists(atPath: indexURL.path) else {
            let found = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            throw DiffusersFolderError.notADiffusersFolder(path: url.path, found: found)
        }
        let data: Data
        do {
            data = try RegularFile.contents(of: indexURL)
        } catch let error as RegularFile.NotRegular {
            throw DiffusersFolderError.invalidModelIndex(path: indexURL.path, reason: error.reason)
        }
        self.url = url
        modelIndex = try ModelIndex(data: data, path: indexURL.path)
    }

    /// The pipeline class name (`_class_name`), e.g. `"WanPipeline"`.
    public var pipelineClassName: String { modelIndex.className }

    /// The folder of component `name`; throws `componentMissing` saying whether
    /// model_index.json lists it, lists it as absent, or the download lacks it.
    public func componentFolder(_ name: String) throws -> URL {
        let folder = url.appendingPathComponent(name, isDirectory: true)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return folder
        }
        let reason: String
        switch modelIndex.components[name] {
        case .some(let component) where component.isPresent:
            reason = "model_index.json lists it (\(component.className ?? "")) but the folder is not there (incomplete download?)"
        case .some:
            reason = "model_index.json lists it as null: this pipeline does not include it"
        case .none:
            reason = "model_index.json does not list it; components: \(modelIndex.presentComponents.joined(separator: ", "))"
        }
        throw DiffusersFolderError.componentMissing(component: name, folder: url.path, reason: reason)
    }

    /// The config file of a component: `config.json`, or `scheduler_config.json` for schedulers.
    public func configURL(component: String) throws -> URL {
        let folder = try componentFolder(component)
        for name in ["config.json", "scheduler_config.json"] {
            let file = folder.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: file.path) { return file }
        }
        throw DiffusersFolderError.configMissing(path: folder.appendingPathComponent("config.json").path)
    }

    /// Decodes a component's config file as `T`; errors name the file and the key path.
    public func decodeConfig<T: Decodable>(_ type: T.Type, component: String) throws -> T {
        try ConfigDecoding.decode(type, from: configURL(component: component))
    }

    /// `scheduler/scheduler_config.json` (or the given scheduler component's).
    public func schedulerConfigURL(component: String = "scheduler") throws -> URL {
        let file = try componentFolder(component).appendingPathComponent("scheduler_config.json")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw DiffusersFolderError.configMissing(path: file.path)
        }
        return file
    }

    /// Decodes the scheduler config as `T`.
    public func decodeSchedulerConfig<T: Decodable>(_ type: T.Type, component: String = "scheduler") throws -> T {
        try ConfigDecoding.decode(type, from: schedulerConfigURL(component: component))
    }

    /// The tokenizer files of a tokenizer component.
    public func tokenizerFiles(component: String = "tokenizer") throws -> TokenizerFiles {
        try TokenizerFiles(folder: componentFolder(component))
    }

    /// The weights of a component (see `WeightStore.init(folder:variant:renames:)`).
    public func weights(component: String, variant: String? = nil, renames: [KeyRenameRule] = []) throws -> WeightStore {
        try WeightStore(folder: componentFolder(component), variant: variant, renames: renames)
    }
}

/// The files a tokenizer folder may hold. transformers 5 writes `tokenizer.json` +
/// `tokenizer_config.json`; older hub checkpoints carry `vocab.json` + `merges.txt` (CLIP,
/// BPE) or `spiece.model` (T5, sentencepiece). Absent files are nil.
public struct TokenizerFiles: Sendable, Equatable {
    public let folder: URL
    /// `tokenizer.json` (Hugging Face tokenizers format).
    public let tokenizerJSON: URL?
    /// `tokenizer_config.json`.
    public let tokenizerConfig: URL?
    /// `special_tokens_map.json`.
    public let specialTokensMap: URL?
    /// `vocab.json` (BPE vocabulary).
    public let vocabJSON: URL?
    /// `merges.txt` (BPE merges).
    public let merges: URL?
    /// `spiece.model` or `tokenizer.model` (sentencepiece).
    public let sentencePieceModel: URL?

    /// Looks for the known files in `folder`; throws `tokenizerMissing` if none of the
    /// vocabulary files (tokenizer.json, vocab.json + merges.txt, spiece.model) is there.
    public init(folder: URL) throws {
        func file(_ name: String) -> URL? {
            let url = folder.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        self.folder = folder
        tokenizerJSON = file("tokenizer.json")
        tokenizerConfig = file("tokenizer_config.json")
        specialTokensMap = file("special_tokens_map.json")
        vocabJSON = file("vocab.json")
        merges = file("merges.txt")
        sentencePieceModel = file("spiece.model") ?? file("tokenizer.model")
        guard tokenizerJSON != nil || (vocabJSON != nil && merges != nil) || sentencePieceModel != nil else {
            throw DiffusersFolderError.tokenizerMissing(
                path: folder.path, expected: ["tokenizer.json", "vocab.json + merges.txt", "spiece.model", "tokenizer.model"])
        }
    }
}
