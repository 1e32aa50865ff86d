// A model folder may say which settings suit it best, beside what its family's diffusers
// pipeline defaults to: `zoetrope.json` → `{"defaults": {"frames": 17, "width": 64, "height": 64,
// "steps": 20, "guidance_scale": 5.0}}` (the bundled tiny-shapes model is trained at 64×64,
// far from WanPipeline's 832×480). Family-neutral: the registry applies it to every family.
import Foundation
import WeightsIO

/// The optional `zoetrope.json` of a model folder.
public struct FolderDefaults: Decodable, Sendable, Equatable {
    public var frames: Int?
    public var width: Int?
    public var height: Int?
    public var steps: Int?
    public var guidanceScale: Double?

    enum CodingKeys: String, CodingKey {
        case frames, width, height, steps
        case guidanceScale = "guidance_scale"
    }

    private struct File: Decodable { var defaults: FolderDefaults? }

    /// The file's name inside a model folder.
    public static let fileName = "zoetrope.json"

    /// The folder's defaults, nil when it has no `zoetrope.json`; a file that is there but
    /// unreadable is an error naming it.
    public static func load(folder: URL) throws -> FolderDefaults? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try ConfigDecoding.decode(File.self, from: url).defaults
    }

    /// `capabilities` with these values in place of the family's defaults (each one checked
    /// against the family's rules: a value the model cannot take is ignored for its nearest).
    public func applied(to capabilities: PipelineCapabilities) -> PipelineCapabilities {
        var caps = capabilities
        if let frames { caps.defaults.frames = caps.nearestFrames(frames) }
        if let width { caps.defaults.width = caps.nearestSide(width) }
        if let height { caps.defaults.height = caps.nearestSide(height) }
        if let steps { caps.defaults.steps = min(caps.maxSteps, max(1, steps)) }
        if let guidanceScale, guidanceScale.isFinite { caps.defaults.guidanceScale = min(100, max(0, guidanceScale)) }
        return caps
    }
}
