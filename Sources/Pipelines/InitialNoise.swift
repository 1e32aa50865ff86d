// `--init-noise FILE`: a safetensors file with one tensor `latents`, in exactly the shape and
// layout the diffusers pipeline takes as `latents=`.
import Foundation
import TensorCore
import WeightsIO

public enum InitialNoise {
    /// The tensor `latents` of the safetensors file at `path`, checked to have `expectedShape`.
    public static func load(path: String, expectedShape: [Int]) throws -> Tensor {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(url: URL(fileURLWithPath: path))
        } catch {
            throw PipelineError.noiseFile(file: path, reason: "cannot be read as safetensors: \(error)")
        }
        guard file.contains("latents") else {
            throw PipelineError.noiseFile(
                file: path, reason: "has no tensor named \"latents\" (it has: \(file.names.joined(separator: ", ")))")
        }
        let info = try file.info("latents")
        guard info.shape == expectedShape else {
            throw PipelineError.noiseShape(file: path, shape: info.shape, expected: expectedShape)
        }
        guard info.dtype.isFloatingPoint else {
            throw PipelineError.noiseFile(file: path, reason: "tensor \"latents\" is \(info.dtype.rawValue); expected a float type")
        }
        return try file.tensor("latents")
    }
}
