// The diffusers model folders shipped as resources of the package.
import Foundation

public enum BundledModels {
    /// The id of the default model.
    public static let defaultID = "tiny-shapes"

    /// The folder holding the bundled models, from any working directory.
    public static var root: URL {
        (Bundle.module.resourceURL ?? Bundle.module.bundleURL).appendingPathComponent("Resources", isDirectory: true)
    }

    /// The folder of the bundled model `id`, if it is shipped.
    public static func folder(_ id: String) -> URL? {
        guard !id.isEmpty, !id.contains("/"), !id.hasPrefix(".") else { return nil }
        let url = root.appendingPathComponent(id, isDirectory: true)
        let index = url.appendingPathComponent("model_index.json")
        return FileManager.default.fileExists(atPath: index.path) ? url : nil
    }

    /// The ids of every bundled model, sorted.
    public static var ids: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { folder($0) != nil }.sorted()
    }
}
