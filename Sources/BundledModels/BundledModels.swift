// The diffusers model folders shipped as resources of the package.
import Foundation

public enum BundledModels {
    /// The id of the default model.
    public static let defaultID = "tiny-shapes"

    /// The folder holding the bundled models, from any working directory: the package's
    /// copied `Resources` folder. Foundation reports it as the bundle's resource folder on
    /// Linux and as a folder inside it elsewhere, so both are looked at.
    public static var root: URL {
        let bundle = Bundle.module
        let candidates = [bundle.resourceURL, bundle.resourceURL?.appendingPathComponent("Resources"),
                          bundle.bundleURL.appendingPathComponent("Resources")].compactMap { $0 }
        let marker = "README.md"
        return candidates.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent(marker).path)
        } ?? candidates[0]
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
