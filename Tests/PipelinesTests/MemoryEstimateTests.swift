// The memory estimate made before a run (Core/MemoryEstimate.swift, issues #19 and #20): how
// it grows with the settings, that it never overflows, and the refusal it gives.
import Foundation
@testable import Pipelines
import XCTest

final class MemoryEstimateTests: XCTestCase {
    func wanCapabilities() throws -> PipelineCapabilities {
        try PipelineRegistry.describe(folder: PipelineFixtures.pipelineFolder)
    }

    func settings(frames: Int, width: Int, height: Int, guidance: Float = 5) -> VideoSettings {
        VideoSettings(prompt: "x", frames: frames, width: width, height: height, steps: 1, guidanceScale: guidance)
    }

    func testEveryFamilyStatesAMemoryModelFromItsFolder() throws {
        let root = PipelineFixtures.root
        for folder in [PipelineFixtures.pipelineFolder, root.appendingPathComponent("text-to-video-sd/pipeline"),
                       root.appendingPathComponent("animatediff/sd15")] {
            let caps = try PipelineRegistry.describe(folder: folder)
            let memory = try XCTUnwrap(caps.memory, folder.path)
            XCTAssertGreaterThan(memory.weightBytes, 0, folder.path)
            XCTAssertGreaterThan(memory.denoiserBytesPerToken, 0, folder.path)
            XCTAssertGreaterThan(memory.decoderBytesPerPixel, 0, folder.path)
            // A loaded pipeline states the same model as its folder's description.
            XCTAssertEqual(try PipelineRegistry.load(folder: folder).capabilities.memory, memory, folder.path)
        }
    }

    func testTheEstimateGrowsWithEverySizeAndNeverOverflows() throws {
        let caps = try wanCapabilities()
        let small = try XCTUnwrap(caps.memoryEstimate(for: settings(frames: 17, width: 64, height: 64)))
        // Wan: 16 pixels per token side, (17 − 1)/4 + 1 = 5 latent frames.
        XCTAssertEqual(small.tokens, 5 * 4 * 4)
        let wider = try XCTUnwrap(caps.memoryEstimate(for: settings(frames: 17, width: 128, height: 64)))
        let longer = try XCTUnwrap(caps.memoryEstimate(for: settings(frames: 33, width: 64, height: 64)))
        XCTAssertEqual(wider.tokens, 2 * small.tokens)
        XCTAssertGreaterThan(wider.denoisingBytes, small.denoisingBytes)
        XCTAssertEqual(wider.decodingBytes, 2 * small.decodingBytes, "the decoder's chunk grows with its pixels")
        XCTAssertEqual(longer.decodingBytes, small.decodingBytes, "…and not with the frames, decoded a chunk at a time")
        XCTAssertGreaterThan(longer.outputBytes, small.outputBytes)
        // Without guidance one pass: half the per-token working set.
        let single = try XCTUnwrap(caps.memoryEstimate(for: settings(frames: 17, width: 64, height: 64, guidance: 1)))
        XCTAssertLessThan(single.denoisingBytes, small.denoisingBytes)
        // Sizes from users and files saturate instead of trapping (issue #19 crash 1).
        let huge = try XCTUnwrap(caps.memoryEstimate(for: settings(frames: .max, width: .max, height: .max)))
        XCTAssertEqual(huge.peakBytes, .max)
        XCTAssertNotNil(caps.memoryProblem(settings(frames: .max, width: .max, height: .max),
                                           availableBytes: 1 << 34, weightsLoaded: true))
    }

    func testARunThatDoesNotFitIsRefusedWithTheLargestSizeThatDoes() throws {
        let caps = try wanCapabilities()
        let asked = settings(frames: 17, width: 512, height: 256)
        let need = try XCTUnwrap(caps.memoryEstimate(for: asked)).workingPeak.bytes
        let available = need / 3
        let problem = try XCTUnwrap(caps.memoryProblem(asked, availableBytes: available, weightsLoaded: true))
        XCTAssertTrue(problem.contains("512×256, 17 frames needs about"), problem)
        XCTAssertTrue(problem.contains("available"), problem)
        let fits = try XCTUnwrap(caps.largestFittingSize(asked, availableBytes: available, weightsLoaded: true))
        XCTAssertTrue(problem.contains("\(fits.width)×\(fits.height) fits"), problem)
        // The aspect is kept, to the rounding of each side to a multiple of 16.
        XCTAssertEqual(Double(fits.width) / Double(fits.height), 2, accuracy: 0.25, "\(fits)")
        XCTAssertNil(caps.memoryProblem(settings(frames: 17, width: fits.width, height: fits.height),
                                        availableBytes: available, weightsLoaded: true))
        let larger = settings(frames: 17, width: fits.width + 2 * caps.sizeMultiple, height: fits.height + caps.sizeMultiple)
        XCTAssertNotNil(caps.memoryProblem(larger, availableBytes: available, weightsLoaded: true),
                        "the next size up does not fit")
        XCTAssertNil(caps.memoryProblem(asked, availableBytes: need, weightsLoaded: true))
        // Weights not yet loaded count too; weights alone too large are named as such.
        let weights = try XCTUnwrap(caps.memory).weightBytes
        XCTAssertNotNil(caps.memoryProblem(asked, availableBytes: need, weightsLoaded: false))
        let weightsOnly = try XCTUnwrap(caps.memoryProblem(asked, availableBytes: weights - 1, weightsLoaded: false))
        XCTAssertTrue(weightsOnly.contains("weights alone"), weightsOnly)
        let largest = try XCTUnwrap(caps.memory?.componentWeightBytes.max { $0.value < $1.value }?.key)
        XCTAssertTrue(weightsOnly.contains("(its \(largest) "), "names the largest component: \(weightsOnly)")
    }

    func testAvailableMemoryIsReadFromMeminfo() {
        let meminfo = "MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   20480000 kB\n"
        XCTAssertEqual(MachineMemory.availableBytes(meminfo: meminfo), 20_480_000 * 1024)
        XCTAssertNil(MachineMemory.availableBytes(meminfo: "MemTotal: 1 kB\n"))
        #if os(Linux)
        XCTAssertGreaterThan(MachineMemory.availableBytes() ?? 0, 0)
        #endif
        XCTAssertEqual(MachineMemory.text(512 << 20), "512 MiB")
        XCTAssertEqual(MachineMemory.text(3 << 29), "1.5 GiB")
    }
}
