// swift-tools-version:6.0
// Zoetrope — text-to-video generation in the terminal.
//
// Targets depend one way only:
//   C libraries (CBLAS, CNCursesW, CPNG + shims, CVectorKernels, COneDNN, CHeap); RegularFiles (safe whole-file reads)
//     → TensorCore → WeightsIO → (Tokenizers, Models, Schedulers) → Pipelines → Engine
//     → (HistoryStore) → RunArchive → (Studio, HistoryCLI, GenerateCLI) → zoetrope (CLI)
//   Media (PNG / GIF / APNG) stands beside TensorCore and is used from Pipelines upward.
import Foundation
import PackageDescription

let package = Package(
    name: "Zoetrope",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "zoetrope", targets: ["zoetrope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // MARK: C libraries (Debian: libopenblas-dev, libncursesw5-dev, libpng-dev)
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNCursesW", path: "Sources/CNCursesW",
                       providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG",
                       providers: [.apt(["libpng-dev"])]),
        .target(name: "CCursesShim", dependencies: ["CNCursesW"],
                linkerSettings: [.linkedLibrary("ncursesw")]),
        .target(name: "CPNGShim", dependencies: ["CPNG"],
                linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z")]),

        // Elementwise loops compiled per x86-64 level and chosen by the CPU at load time.
        .target(name: "CVectorKernels"),
        // bf16 GEMMs through oneDNN (Debian: libdnnl-dev), opened at run time with dlopen so
        // that fp32 runs need nothing beyond OpenBLAS (`--precision bf16`, issue #18).
        .target(name: "COneDNN", linkerSettings: [.linkedLibrary("dl")]),
        // glibc's malloc thresholds, so tensors' large buffers are reused, not mapped anew (HeapPolicy).
        .target(name: "CHeap"),

        // MARK: Core
        .target(name: "RegularFiles"),
        .target(name: "TensorCore", dependencies: ["CBLAS", "CVectorKernels", "COneDNN", "CHeap"]),
        .target(name: "WeightsIO", dependencies: ["TensorCore", "RegularFiles", "CVectorKernels"]),
        .target(name: "Media", dependencies: ["CPNGShim", "RegularFiles"]),

        // MARK: Models and samplers
        .target(name: "Tokenizers", dependencies: ["RegularFiles"]),
        .target(name: "Models", dependencies: ["TensorCore", "WeightsIO"]),
        .target(name: "Schedulers", dependencies: ["TensorCore"]),
        .target(name: "Pipelines",
                dependencies: ["TensorCore", "WeightsIO", "RegularFiles", "Tokenizers", "Models", "Schedulers", "Media"]),

        // MARK: Product
        .target(name: "BundledModels", resources: [.copy("Resources")]),
        .target(name: "Engine", dependencies: ["Pipelines", "Media", "BundledModels", "WeightsIO", "TensorCore"]),
        .target(name: "HistoryStore",
                dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        // A finished run as the history keeps it (settings, text chunks, the run folder's
        // files), shared by the studio and `zoetrope generate`.
        .target(name: "RunArchive", dependencies: ["Engine", "HistoryStore", "Media"]),
        .target(name: "Studio", dependencies: ["Engine", "HistoryStore", "RunArchive", "Media", "CCursesShim", "TensorCore"]),
        // What `zoetrope history` does, apart from argument parsing (so tests can call it).
        .target(name: "HistoryCLI", dependencies: ["HistoryStore", "Media"]),
        // `zoetrope generate` and `zoetrope models` (a library so tests can run them in-process).
        .target(name: "GenerateCLI",
                dependencies: ["Engine", "HistoryStore", "RunArchive", "Pipelines", "BundledModels", "Media", "TensorCore", "WeightsIO",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "zoetrope",
            dependencies: ["Studio", "Engine", "HistoryStore", "HistoryCLI", "GenerateCLI", "RunArchive",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "zoetrope-store-crasher", dependencies: ["HistoryStore"],
                          path: "Sources/StoreCrasher"),
        .executableTarget(name: "zoetrope-bench", dependencies: ["TensorCore", "CBLAS", "Tokenizers", "Models", "WeightsIO"],
                          path: "Sources/Benchmarks"),
        // Cancel and event-delivery latency of the engine under a busy CPU (release build).
        .executableTarget(name: "zoetrope-engine-bench", dependencies: ["Engine"],
                          path: "Sources/EngineBenchmarks"),

        // MARK: Tests
        .target(name: "Reference", dependencies: [], path: "Tests/Reference"),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "COneDNN", "Reference", "TestSupport"]),
        .testTarget(name: "WeightsIOTests", dependencies: ["TestSupport", "WeightsIO", "RegularFiles"]),
        .testTarget(name: "MediaTests", dependencies: ["Media"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Pipelines", "TensorCore", "TestSupport"]),
        .testTarget(name: "HistoryStoreTests",
                    dependencies: ["TestSupport", "HistoryStore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "SchedulersTests", dependencies: ["Schedulers", "TensorCore"]),
        .testTarget(name: "TokenizersTests", dependencies: ["TestSupport", "Tokenizers"]),
        .testTarget(name: "HistoryCLITests",
                    dependencies: ["TestSupport", "HistoryCLI", "HistoryStore", "Media", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "StudioTests", dependencies: ["TestSupport", "Studio", "Engine", "HistoryStore", "HistoryCLI", "Media", "RunArchive", "TensorCore"], exclude: ["Screenshots"]),
        // A pipeline family defined in the test target, run through the engine, `generate` and the studio.
        .testTarget(name: "FamilyRegistryTests",
                    dependencies: ["Pipelines", "Engine", "Studio", "GenerateCLI", "Schedulers", "TensorCore",
                                   .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "WeightsIO", "TensorCore", "Reference"]),
        .testTarget(name: "PipelinesTests",
                    dependencies: ["TestSupport", "Pipelines", "Models", "Schedulers", "Tokenizers", "WeightsIO", "TensorCore", "Media", "BundledModels",
                                   "HistoryStore", "RunArchive"]),
    ]
)

// MARK: Fuzz targets (issue #19): libFuzzer entry points, declared only for
// `tools/fuzz/run.sh`, which sets ZOETROPE_FUZZ=1 and builds them into .build-fuzz with
// `-sanitize=fuzzer,address -parse-as-library -enable-testing`. Ordinary builds never see them.
if ProcessInfo.processInfo.environment["ZOETROPE_FUZZ"] != nil {
    let fuzzTargets: [(name: String, folder: String, dependencies: [Target.Dependency])] = [
        ("zoetrope-fuzz-safetensors", "SafetensorsFuzz", ["WeightsIO"]),
        ("zoetrope-fuzz-config", "ConfigFuzz", ["WeightsIO", "Models", "Schedulers"]),
        ("zoetrope-fuzz-tokenizer", "TokenizerFuzz", ["Tokenizers"]),
        ("zoetrope-fuzz-png", "PNGFuzz", ["Media"]),
    ]
    package.targets.append(.target(name: "CFuzzDriver", path: "Tests/Fuzz/CFuzzDriver"))
    for target in fuzzTargets {
        package.targets.append(.executableTarget(name: target.name, dependencies: target.dependencies + ["CFuzzDriver"],
                                                 path: "Tests/Fuzz/\(target.folder)"))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
