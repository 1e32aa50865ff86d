import Foundation
import TensorCore
import WeightsIO
import XCTest

/// The committed diffusers fixtures under Tests/Fixtures (written by tools/reference/).
enum Fixtures {
    /// The one command that regenerates every fixture; named in every fixture failure.
    static let regenerate = "tools/reference/generate_all.sh"

    static var root: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Fixtures")
    }

    /// A fixture folder or file under Tests/Fixtures, e.g. `url("wan/vae")`.
    static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// Opens a fixture safetensors file, failing with the regenerate command when it is missing.
    static func cases(_ relativePath: String) throws -> SafetensorsFile {
        let url = url(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FixtureMissing(path: url.path)
        }
        return try SafetensorsFile(url: url)
    }

    /// A component's weights from a fixture model folder, e.g. `weights("wan/vae")`.
    static func weights(_ relativeFolder: String) throws -> WeightStore {
        let folder = url(relativeFolder)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".safetensors") }
            .sorted()
            .map { try SafetensorsFile(url: folder.appendingPathComponent($0)) }
        guard !files.isEmpty else { throw FixtureMissing(path: folder.path) }
        return try WeightStore(files: files, source: folder.path)
    }

    struct FixtureMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "missing fixture \(path); regenerate with: \(Fixtures.regenerate)" }
    }
}

/// max |actual − expected| / max |expected|: the relative error the parity tests bound.
///
/// Normalising by the largest expected magnitude (not element-wise) keeps near-zero
/// elements from dominating, which is how float32 rounding actually behaves in long sums.
func maxRelativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    precondition(actual.shape == expected.shape, "shapes differ: \(actual.shape) vs \(expected.shape)")
    var scale: Float = 0
    for v in expected.data { scale = max(scale, abs(v)) }
    return actual.maxAbsDifference(expected) / max(scale, .leastNormalMagnitude)
}

/// Asserts equal shapes and a relative error at most `tolerance`, naming the case.
func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("\(what): shape \(actual.shape), expected \(expected.shape)", file: file, line: line)
        return
    }
    let error = maxRelativeError(actual, expected)
    XCTAssertLessThanOrEqual(error, tolerance, "\(what): max relative error \(error) > \(tolerance)",
                             file: file, line: line)
}

/// The rows of an integer fixture tensor `[B, L]` (token ids, masks; stored as I64, widened to Float).
func intRows(_ tensor: Tensor) throws -> [[Int]] {
    guard tensor.rank == 2 else { throw FixtureShapeError(shape: tensor.shape, expected: "[B, L]") }
    let L = tensor.shape[1]
    return (0..<tensor.shape[0]).map { b in (0..<L).map { Int(tensor.data[b * L + $0]) } }
}

struct FixtureShapeError: Error, CustomStringConvertible {
    let shape: [Int]
    let expected: String
    var description: String { "fixture tensor has shape \(shape), expected \(expected); regenerate with: \(Fixtures.regenerate)" }
}

/// A new empty temporary folder, with copies of `files` in it.
func temporaryFolder(copying files: URL...) throws -> URL {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("zoetrope-models-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for file in files {
        try FileManager.default.copyItem(at: file, to: folder.appendingPathComponent(file.lastPathComponent))
    }
    return folder
}

/// A temporary copy of the fixture model folder `relativeFolder` (its `config.json` and weights
/// file `fileName`) with every tensor but `dropped` stored in `dtype` — first rounded through
/// `rounding` when given (half-precision values stored wide).
func temporaryModelCopy(_ relativeFolder: String, weights fileName: String, dtype: SafetensorsDType,
                        roundedThrough rounding: SafetensorsDType? = nil, dropping dropped: String? = nil) throws -> URL {
    let source = Fixtures.url(relativeFolder)
    let folder = try temporaryFolder(copying: source.appendingPathComponent("config.json"))
    let target = folder.appendingPathComponent(fileName)
    func tensors(of url: URL) throws -> [String: Tensor] {
        let file = try SafetensorsFile(url: url)
        var out: [String: Tensor] = [:]
        for name in file.names where name != dropped { out[name] = try file.tensor(name) }
        return out
    }
    var all = try tensors(of: source.appendingPathComponent(fileName))
    if let rounding {
        try SafetensorsWriter.write(all, to: target, dtype: rounding)
        all = try tensors(of: target)
    }
    try SafetensorsWriter.write(all, to: target, dtype: dtype)
    return folder
}
