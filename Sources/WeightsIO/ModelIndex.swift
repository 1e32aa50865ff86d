import Foundation

/// The contents of a pipeline's `model_index.json`:
///
/// ```json
/// {"_class_name": "WanPipeline", "_diffusers_version": "0.33.0",
///  "transformer": ["diffusers", "WanTransformer3DModel"], "transformer_2": [null, null],
///  "boundary_ratio": null, ...}
/// ```
public struct ModelIndex: Sendable, Equatable {
    /// One component entry: `[library, class]`; both are nil for an absent optional component.
    public struct Component: Sendable, Equatable {
        /// `"diffusers"` or `"transformers"` (nil when absent).
        public let library: String?
        /// Class name such as `"AutoencoderKLWan"` (nil when absent).
        public let className: String?
        /// Whether the pipeline includes this component (both entries non-null).
        public var isPresent: Bool { library != nil && className != nil }

        public init(library: String?, className: String?) {
            self.library = library
            self.className = className
        }
    }

    /// The pipeline class (`_class_name`), e.g. `"WanPipeline"`.
    public let className: String
    /// The diffusers version that saved the pipeline (`_diffusers_version`), if recorded.
    public let diffusersVersion: String?
    /// Components by name (`"transformer"`, `"vae"`, …), including absent ones.
    public let components: [String: Component]
    /// Other non-underscore entries: pipeline options such as `boundary_ratio`.
    public let options: [String: JSONValue]

    /// Parses `model_index.json` data; `path` names the file in errors.
    public init(data: Data, path: String) throws {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw DiffusersFolderError.invalidModelIndex(path: path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard case let .object(fields) = root else {
            throw DiffusersFolderError.invalidModelIndex(path: path, reason: "expected a JSON object, found \(root.typeName)")
        }
        guard let classValue = fields["_class_name"] else {
            throw DiffusersFolderError.invalidModelIndex(path: path, reason: "missing \"_class_name\"")
        }
        guard let className = classValue.stringValue else {
            throw DiffusersFolderError.invalidModelIndex(path: path, reason: "\"_class_name\" must be a string, found \(classValue)")
        }
        self.className = className
        diffusersVersion = fields["_diffusers_version"]?.stringValue
        var components: [String: Component] = [:]
        var options: [String: JSONValue] = [:]
        for (key, value) in fields where !key.hasPrefix("_") {
            if case let .array(items) = value, items.count == 2,
               items.allSatisfy({ $0 == .null || $0.stringValue != nil }) {
                components[key] = Component(library: items[0].stringValue, className: items[1].stringValue)
            } else {
                options[key] = value
            }
        }
        self.components = components
        self.options = options
    }

    /// Names of the components the pipeline includes, sorted.
    public var presentComponents: [String] { components.filter { $0.value.isPresent }.keys.sorted() }
}
