import ArgumentParser
import BundledModels
import Engine
import Foundation
import Pipelines

/// `zoetrope models list|inspect`.
public struct ModelsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "models", abstract: "List and inspect models.",
        subcommands: [List.self, Inspect.self], defaultSubcommand: List.self)

    public init() {}

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the bundled models.")
        func run() async throws {
            let ids = BundledModels.ids
            if ids.isEmpty { print("no bundled models in \(BundledModels.root.path)") }
            for id in ids {
                print("\(id)\t\(BundledModels.folder(id)?.path ?? "")")
            }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say what a model folder holds and whether this version can run it (exit 3 when not).")
        @Argument(help: "A bundled model id or a diffusers model folder.")
        var model: String

        func run() async throws {
            let inspection: ModelInspection
            do {
                inspection = try ModelInspection.inspect(try PipelineLoader.folder(for: model))
            } catch {
                FileHandle.standardError.write(Data("zoetrope: \(error)\n".utf8))
                throw ZoetropeExit.badModel
            }
            print("\(inspection.path)\npipeline: \(inspection.pipelineClassName)")
            print("registry entry: " + (inspection.registryEntry
                ?? "none (registered: \(PipelineRegistry.classNames.joined(separator: ", ")))"))
            for c in inspection.components {
                let size = c.weightBytes > 0 ? String(format: ", %.1f MB of weights", Double(c.weightBytes) / 1e6) : ""
                print("  \(c.name): \(c.className)\(c.supported ? "" : " (not supported)")\(size)")
            }
            if let problem = inspection.problem {
                print("cannot run: \(problem)")
                throw ZoetropeExit.badModel
            }
            if let caps = inspection.capabilities {
                let d = caps.defaults
                print("frames: \(caps.frameRule.text), at most \(caps.maxFrames)")
                print("size: sides multiples of \(caps.sizeMultiple), at most \(caps.maxSide)")
                print("latents: \(caps.latentLayout.rawValue), \(caps.predictionType)")
                if let tokens = caps.maxTextLength { print("prompt: up to \(tokens) tokens") }
                print("defaults: \(d.frames) frames, \(d.width)x\(d.height), \(d.steps) steps, guidance \(d.guidanceScale)")
                print("samplers: default (= \(caps.defaultSampler)), \(caps.samplers.joined(separator: ", "))")
                for slot in caps.components {
                    print("component \(slot.name) (--component \(slot.name)=PATH; \(slot.classes.joined(separator: ", "))): \(slot.help)")
                }
                print(caps.options.isEmpty ? "options: none" : "options (--set NAME=VALUE):")
                for option in caps.options {
                    print("  \(option.name) = \(option.defaultValue)  (\(option.validValues)): \(option.help)")
                }
            }
            if let memory = inspection.defaultRunMemory {
                let text = MachineMemory.text
                let (working, phase) = memory.workingPeak
                print("memory at the defaults: about \(text(memory.peakBytes)) (weights \(text(memory.weightBytes)), "
                    + "\(phase.rawValue) \(text(working)))"
                    + (inspection.availableBytes.map { "; \(text($0)) available" } ?? ""))
            }
            if let problem = inspection.defaultRunMemoryProblem {
                print("at the defaults it does not fit: \(problem)")
            }
            print("runnable: yes")
        }
    }
}
