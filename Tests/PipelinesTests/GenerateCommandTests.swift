// `zoetrope generate` end to end: the real binary on the tiny random WanPipeline fixture,
// checked against diffusers' frames, and its answers to bad input.
import Foundation
import HistoryStore
import RunArchive
import Media
import TensorCore
import WeightsIO
import TestSupport
import XCTest

final class GenerateCommandTests: XCTestCase {
    var temp: URL!

    override func setUpWithError() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-generate-\(UUID())")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temp)
    }

    /// The `zoetrope` executable built beside the tests.
    func binary() throws -> URL {
        try BuiltProducts.executable("zoetrope")
    }

    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    /// The binary's environment: this process's, with the history in the test's own folder
    /// (generate adds every run to the history).
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["ZOETROPE_DATA_DIR"] = temp.appendingPathComponent("history").path
        return environment
    }

    func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The fixture call's flags (wan_fixtures.py PIPELINE_CALL).
    var fixtureCall: [String] {
        ["generate", "--model", PipelineFixtures.pipelineFolder.path,
         "--prompt", PipelineFixtures.prompt, "--negative-prompt", PipelineFixtures.negativePrompt,
         "--frames", "\(PipelineFixtures.frames)", "--height", "\(PipelineFixtures.height)",
         "--width", "\(PipelineFixtures.width)", "--steps", "\(PipelineFixtures.steps)",
         "--guidance", "\(PipelineFixtures.guidance)", "--max-sequence-length", "\(PipelineFixtures.maxSequenceLength)"]
    }

    func savedVideo(_ url: URL) throws -> Tensor {
        try SafetensorsFile(url: url).tensor("video")
    }

    func testInitNoiseReproducesDiffusersFrames() throws {
        let cases = try PipelineFixtures.cases("pipeline_unipc_latents")
        let noise = temp.appendingPathComponent("noise.safetensors")
        try SafetensorsWriter.write(["latents": try cases.tensor("latents")], to: noise)
        let tensor = temp.appendingPathComponent("video.safetensors")
        let output = temp.appendingPathComponent("out")
        let result = try run(fixtureCall + ["--init-noise", noise.path, "--save-tensor", tensor.path,
                                            "--output", output.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let video = try savedVideo(tensor)
        XCTAssertEqual(video.shape, [9, 16, 32, 3])
        XCTAssertGreaterThanOrEqual(psnr(video, try cases.tensor("video")), 40)

        // Every frame carries the settings; they load back.
        let frame = try PNG.read(contentsOf: output.appendingPathComponent("frame_0000.png"))
        XCTAssertEqual(frame.image.width, 32)
        let json = try XCTUnwrap(frame.texts.text(forKeyword: "zoetrope"))
        XCTAssertTrue(json.contains(PipelineFixtures.prompt), json)
        XCTAssertTrue(frame.texts.text(forKeyword: "parameters")?.contains("Steps: 3") ?? false)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("video.apng").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("video.gif").path))
    }

    /// The tiny Wan 2.2 TI2V-style pipeline (residual VAE, `expand_timesteps`) from the CLI:
    /// `--init-noise` and `--seed` alone each give diffusers' frames (PSNR ≥ 40 dB).
    func testWan22StylePipelineReproducesDiffusersFromNoiseAndFromSeed() throws {
        let folder = PipelineFixtures.root.appendingPathComponent("wan22/pipeline").path
        let call = ["generate", "--model", folder, "--prompt", PipelineFixtures.prompt, "--frames", "5",
                    "--height", "32", "--width", "64", "--steps", "3", "--guidance", "5",
                    "--set", "max_sequence_length=16"]
        let fromNoise = try PipelineFixtures.cases("pipeline_unipc_latents", folder: "wan22")
        let noise = temp.appendingPathComponent("noise.safetensors")
        try SafetensorsWriter.write(["latents": try fromNoise.tensor("latents")], to: noise)
        let first = temp.appendingPathComponent("noise-video.safetensors")
        var result = try run(call + ["--init-noise", noise.path, "--save-tensor", first.path,
                                     "--output", temp.appendingPathComponent("a").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertGreaterThanOrEqual(psnr(try savedVideo(first), try fromNoise.tensor("video")), 40)

        let fromSeed = try PipelineFixtures.cases("pipeline_unipc_generator", folder: "wan22")
        let second = temp.appendingPathComponent("seed-video.safetensors")
        result = try run(call + ["--seed", "42", "--save-tensor", second.path, "--output", temp.appendingPathComponent("b").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertGreaterThanOrEqual(psnr(try savedVideo(second), try fromSeed.tensor("video")), 40)
    }

    /// The ModelScope-style family from the CLI (issue #17): `--init-noise` and `--seed` alone
    /// with DDIM, and `--sampler dpm++2m`, each give diffusers' frames (PSNR ≥ 40 dB).
    func testTextToVideoSDPipelineReproducesDiffusersFromTheCLI() throws {
        let root = PipelineFixtures.root.appendingPathComponent("text-to-video-sd")
        let call = ["generate", "--model", root.appendingPathComponent("pipeline").path,
                    "--prompt", "a red circle moving left", "--negative-prompt", "blurry", "--frames", "3",
                    "--height", "16", "--width", "24", "--steps", "3", "--guidance", "6"]
        for (fixture, extra) in [("ddim_latents", [String]()), ("ddim_generator", ["--seed", "42"]),
                                 ("dpmpp2m_latents", ["--sampler", "dpm++2m"]),
                                 ("dpmpp2m_generator", ["--sampler", "dpm++2m", "--seed", "42"])] {
            let cases = try PipelineFixtures.cases(fixture, folder: "text-to-video-sd")
            var flags = extra
            if fixture.hasSuffix("_latents") {
                let noise = temp.appendingPathComponent("\(fixture)-noise.safetensors")
                try SafetensorsWriter.write(["latents": try cases.tensor("latents")], to: noise)
                flags += ["--init-noise", noise.path]
            }
            let saved = temp.appendingPathComponent("\(fixture).safetensors")
            let result = try run(call + flags + ["--save-tensor", saved.path,
                                                 "--output", temp.appendingPathComponent(fixture).path])
            XCTAssertEqual(result.status, 0, "\(fixture): \(result.stderr)")
            XCTAssertGreaterThanOrEqual(psnr(try savedVideo(saved), try cases.tensor("video")), 40, fixture)
        }
    }

    /// AnimateDiff from the CLI (issue #17): an SD 1.5 folder with `--motion-adapter`, from
    /// `--init-noise` and from `--seed` alone with DDIM, and with `--sampler dpm++2m`, each give
    /// diffusers' frames (PSNR ≥ 40 dB); without the adapter 3 frames are refused.
    func testAnimateDiffReproducesDiffusersFromTheCLI() throws {
        let root = PipelineFixtures.root.appendingPathComponent("animatediff")
        let call = ["generate", "--model", root.appendingPathComponent("sd15").path,
                    "--prompt", "a red circle moving left", "--negative-prompt", "blurry", "--frames", "3",
                    "--height", "16", "--width", "24", "--steps", "3", "--guidance", "6"]
        let adapter = ["--motion-adapter", root.appendingPathComponent("motion_adapter").path]
        for (fixture, extra) in [("ddim_latents", [String]()), ("ddim_generator", ["--seed", "42"]),
                                 ("dpmpp2m_latents", ["--sampler", "dpm++2m"]),
                                 ("dpmpp2m_generator", ["--sampler", "dpm++2m", "--seed", "42"])] {
            let cases = try PipelineFixtures.cases(fixture, folder: "animatediff")
            var flags = adapter + extra
            if fixture.hasSuffix("_latents") {
                let noise = temp.appendingPathComponent("ad-\(fixture)-noise.safetensors")
                try SafetensorsWriter.write(["latents": try cases.tensor("latents")], to: noise)
                flags += ["--init-noise", noise.path]
            }
            let saved = temp.appendingPathComponent("ad-\(fixture).safetensors")
            let result = try run(call + flags + ["--save-tensor", saved.path,
                                                 "--output", temp.appendingPathComponent("ad-\(fixture)").path])
            XCTAssertEqual(result.status, 0, "\(fixture): \(result.stderr)")
            XCTAssertGreaterThanOrEqual(psnr(try savedVideo(saved), try cases.tensor("video")), 40, fixture)
        }
        let without = try run(call + ["--output", temp.appendingPathComponent("ad-none").path])
        XCTAssertEqual(without.status, 2, without.stderr)
        XCTAssertTrue(without.stderr.contains("frames 3"), without.stderr)
    }

    func testSeedAloneReproducesDiffusersFrames() throws {
        let cases = try PipelineFixtures.cases("pipeline_unipc_generator")
        let tensor = temp.appendingPathComponent("video.safetensors")
        let result = try run(fixtureCall + ["--seed", "\(PipelineFixtures.generatorSeed)", "--save-tensor", tensor.path,
                                            "--output", temp.appendingPathComponent("out").path, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertGreaterThanOrEqual(psnr(try savedVideo(tensor), try cases.tensor("video")), 40)
        // --json: one object per line, in order, ending with the written clip.
        let events = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.compactMap { $0["event"] as? String }
        XCTAssertEqual(events.first, "queued")
        XCTAssertEqual(events.filter { $0 == "step" }.count, 3)
        XCTAssertEqual(Array(events.suffix(2)), ["finished", "written"])
    }

    /// Every sampler that fits a flow model runs from the CLI; one that does not is refused
    /// (exit 2) with the list of those that fit; `models inspect` lists them and the options.
    func testEverySamplerThatFitsAFlowModelRunsAndOthersAreRefused() throws {
        var videos: [String: Tensor] = [:]
        for sampler in ["default", "unipc", "euler", "dpm++2m"] {
            let saved = temp.appendingPathComponent("\(sampler).safetensors")
            let result = try run(fixtureCall + ["--sampler", sampler, "--seed", "1", "--set", "flow_shift=5",
                                                "--output", temp.appendingPathComponent(sampler).path,
                                                "--save-tensor", saved.path])
            XCTAssertEqual(result.status, 0, "\(sampler): \(result.stderr)")
            let video = try savedVideo(saved)
            XCTAssertEqual(video.shape, [9, 16, 32, 3], sampler)
            XCTAssertTrue(video.data.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, sampler)
            videos[sampler] = video
        }
        // `default` is the folder's UniPC; the others are other samplers.
        XCTAssertEqual(videos["default"]?.data, videos["unipc"]?.data)
        XCTAssertNotEqual(videos["euler"]?.data, videos["unipc"]?.data)
        XCTAssertNotEqual(videos["dpm++2m"]?.data, videos["unipc"]?.data)

        for sampler in ["ddim", "euler-a", "cogvideox-dpm", "nonsense"] {
            let result = try run(fixtureCall + ["--sampler", sampler, "--output", temp.appendingPathComponent("x").path])
            XCTAssertEqual(result.status, 2, "\(sampler): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("sampler \(sampler)")
                          && result.stderr.contains("the samplers that fit it: default, dpm++2m, unipc, euler"),
                          result.stderr)
        }
        var result = try run(fixtureCall + ["--set", "flow_shift=0"])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("flow_shift must be a number from 0.001 to 100.0; nearest: 0.001"),
                      result.stderr)
        result = try run(["models", "inspect", PipelineFixtures.pipelineFolder.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("registry entry: WanPipeline"), result.stdout)
        XCTAssertTrue(result.stdout.contains("samplers: default (= unipc), dpm++2m, unipc, euler"), result.stdout)
        XCTAssertTrue(result.stdout.contains("flow_shift = 3.0"), result.stdout)
        XCTAssertTrue(result.stdout.contains("frames: 4k+1"), result.stdout)
    }

    /// Issue #18: the reported peak memory was `ru_maxrss`, which Linux carries across
    /// fork/exec — started from a large process, zoetrope reported the parent's peak. This test
    /// process touches 768 MB first; the child's own peak (the tiny pipeline) is far below it.
    func testPeakMemoryIsTheProcessesOwn() throws {
        let ballast = UnsafeMutableRawBufferPointer.allocate(byteCount: 768 << 20, alignment: 4096)
        defer { ballast.deallocate() }
        for offset in stride(from: 0, to: ballast.count, by: 4096) { ballast[offset] = 1 }
        let result = try run(fixtureCall + ["--seed", "1", "--json", "--output", temp.appendingPathComponent("m").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let peak = try peakMemory(result)
        XCTAssertGreaterThan(peak, 1 << 20)
        XCTAssertLessThan(peak, 700 << 20, "the child reported its parent's peak")
    }

    /// Issue #19 data loss 5: two `generate --seed N` finishing in the same second without
    /// `--output` wrote one folder (one clip survived); reusing `--output` left an earlier,
    /// longer run's frames beside the new ones. Now the default folder is created exclusively
    /// (`-2` on a clash) and an --output that holds a clip is refused before anything runs.
    func testRunsNeverShareOrOverwriteAFolder() throws {
        func start() throws -> Process {
            let process = Process()
            process.executableURL = try binary()
            process.arguments = fixtureCall + ["--seed", "5"]
            process.environment = environment
            process.currentDirectoryURL = temp
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let processes = [try start(), try start(), try start()]
        for process in processes { process.waitUntilExit(); XCTAssertEqual(process.terminationStatus, 0) }
        let root = temp.appendingPathComponent("zoetrope-output")
        let folders = try FileManager.default.contentsOfDirectory(atPath: root.path)
        XCTAssertEqual(folders.count, 3, "\(folders)")
        for folder in folders {
            let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            XCTAssertEqual(files.filter { $0.hasPrefix("frame_") }.count, 9, folder)
        }

        let used = root.appendingPathComponent(folders[0])
        let before = try Data(contentsOf: used.appendingPathComponent("frame_0000.png"))
        let result = try run(fixtureCall + ["--output", used.path])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("already holds"), result.stderr)
        XCTAssertFalse(result.stderr.contains("step 1/"), "refused before generating")
        XCTAssertEqual(try Data(contentsOf: used.appendingPathComponent("frame_0000.png")), before)
    }

    /// Issue #19 (silent wrong results): NaN weights, a NaN --init-noise and `flow_shift: -1`
    /// in a folder's config all ran to exit 0 with every pixel 0.0. Now each is named: the noise
    /// file and the config value before anything runs (exit 2), NaN or infinite weights at load
    /// naming the tensor (exit 3), and finite weights that overflow at the step whose latents
    /// go non-finite (exit 1).
    func testNonFiniteValuesAreNamedNotDecodedToABlackClip() throws {
        let nan = temp.appendingPathComponent("nan-noise.safetensors")
        var noise = try PipelineFixtures.cases("pipeline_unipc_latents").tensor("latents")
        noise = Tensor(shape: noise.shape, data: [Float.nan] + noise.data.dropFirst())
        try SafetensorsWriter.write(["latents": noise], to: nan)
        var result = try run(fixtureCall + ["--init-noise", nan.path, "--output", temp.appendingPathComponent("a").path])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("NaN in the latents"), result.stderr)

        let copy = temp.appendingPathComponent("pipeline")
        try FileManager.default.copyItem(at: PipelineFixtures.pipelineFolder, to: copy)
        let schedulerConfig = copy.appendingPathComponent("scheduler/scheduler_config.json")
        let original = try String(contentsOf: schedulerConfig, encoding: .utf8)
        try original.replacingOccurrences(of: "\"flow_shift\": 3.0", with: "\"flow_shift\": -1.0")
            .write(to: schedulerConfig, atomically: true, encoding: .utf8)
        let call = fixtureCall.map { $0 == PipelineFixtures.pipelineFolder.path ? copy.path : $0 }
        result = try run(call + ["--output", temp.appendingPathComponent("b").path])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("flow_shift -1.0 (the model folder's own)"), result.stderr)
        try original.write(to: schedulerConfig, atomically: true, encoding: .utf8)

        let weights = copy.appendingPathComponent("transformer/diffusion_pytorch_model.safetensors")
        let file = try SafetensorsFile(url: weights)
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        // NaN weights are refused at load, naming the tensor (each weight is checked once).
        let key = try XCTUnwrap(file.names.first { $0.hasSuffix("proj_out.bias") })
        let bias = try XCTUnwrap(tensors[key])
        tensors[key] = Tensor(shape: bias.shape, data: [Float](repeating: .nan, count: bias.count))
        try FileManager.default.removeItem(at: weights)
        try SafetensorsWriter.write(tensors, to: weights)
        result = try run(call + ["--output", temp.appendingPathComponent("c").path])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("weight '\(key)'") && result.stderr.contains("holds NaN at element 0"),
                      result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp.appendingPathComponent("c").path))
        // Finite weights whose products overflow are caught at the first step that goes non-finite.
        tensors[key] = bias
        let matrix = try XCTUnwrap(file.names.first { $0.hasSuffix("proj_out.weight") })
        tensors[matrix] = tensors[matrix].map { Tensor(shape: $0.shape, data: [Float](repeating: 3e38, count: $0.count)) }
        try FileManager.default.removeItem(at: weights)
        try SafetensorsWriter.write(tensors, to: weights)
        result = try run(call + ["--output", temp.appendingPathComponent("d").path])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("step 1 of 3: the latents became"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp.appendingPathComponent("d").path))
    }

    func testBadInputGetsAMessageAndItsOwnExitCode() throws {
        // An unknown folder and an unsupported pipeline: 3 (bad model).
        var result = try run(["generate", "--model", temp.appendingPathComponent("nowhere").path, "--prompt", "x"])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("no model folder"), result.stderr)

        let cog = temp.appendingPathComponent("cog")
        try FileManager.default.createDirectory(at: cog, withIntermediateDirectories: true)
        try Data(#"{"_class_name": "CogVideoXPipeline"}"#.utf8).write(to: cog.appendingPathComponent("model_index.json"))
        result = try run(["generate", "--model", cog.path, "--prompt", "x"])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("CogVideoXPipeline"), result.stderr)
        result = try run(["models", "inspect", cog.path])
        XCTAssertEqual(result.status, 3)
        XCTAssertTrue(result.stdout.contains("cannot run"), result.stdout)

        // Frames, size and a noise file the model cannot take: 2 (bad request).
        result = try run(fixtureCall.map { $0 == "9" ? "8" : $0 })
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("frames 8") && result.stderr.contains("nearest: 9"), result.stderr)
        result = try run(fixtureCall.map { $0 == "32" ? "20" : $0 })
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("width 20"), result.stderr)
        let noise = temp.appendingPathComponent("small.safetensors")
        try SafetensorsWriter.write(["latents": Tensor(zeros: [1, 16, 2, 2, 4])], to: noise)
        result = try run(fixtureCall + ["--init-noise", noise.path])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("[1, 16, 3, 2, 4]"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "zoetrope-output/never"), "nothing written on failure")

        // Numbers no model takes are refused before anything runs (issue #19 item 2: --fps 1e16
        // crashed after generating; issue #20 item 9: --fps 0 failed only after the whole
        // generation, --steps -1 said "Missing value").
        let refused = temp.appendingPathComponent("refused")
        for (flags, message) in [(["--fps", "0"], "fps must be a whole number from 1 to 60"),
                                 (["--fps", "10000000000000000"], "fps must be a whole number from 1 to 60"),
                                 (["--steps", "-1"], "steps must be between 1 and 1000; nearest: 1"),
                                 (["--frames", "9223372036854775807"], "nearest: 1025"),
                                 (["--precision", "fp16"], "--precision fp16 cannot be used: expected one of fp32, bf16")]
                                + (CPUFeatures.hasBF16 ? [] : [(["--precision", "bf16"], "precision bf16 cannot be used")]) {
            result = try run(fixtureCall + flags + ["--output", refused.path])
            XCTAssertEqual(result.status, 2, "\(flags): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
            XCTAssertFalse(result.stderr.contains("step 1/"), "refused before denoising: \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused.path))
    }

    /// Issue #19 crash 4: configs sizing a model beyond anything the weights hold crashed
    /// (2^62 heads overflowed, 2^62 text layers aborted in an allocation) or ran until memory
    /// ran out (2^62 transformer layers, 1e9 VAE blocks). Each is now refused by name before anything large is built.
    func testConfigsThatSizeAModelPastItsWeightsAreRefusedByName() throws {
        let cases: [(component: String, key: String, value: String, message: String)] = [
            ("transformer", "num_attention_heads", "4611686018427387904", "num_attention_heads"),
            ("transformer", "num_layers", "4611686018427387904", "num_layers"),
            ("transformer", "num_layers", "900", "the load stopped after"),
            ("vae", "num_res_blocks", "1000000000", "num_res_blocks"),
            ("text_encoder", "num_layers", "4611686018427387904", "num_layers"),
        ]
        for (index, item) in cases.enumerated() {
            let copy = temp.appendingPathComponent("sized-\(index)")
            try FileManager.default.copyItem(at: PipelineFixtures.pipelineFolder, to: copy)
            let config = copy.appendingPathComponent("\(item.component)/config.json")
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
            object[item.key] = Int(item.value)
            try JSONSerialization.data(withJSONObject: object).write(to: config)
            let call = fixtureCall.map { $0 == PipelineFixtures.pipelineFolder.path ? copy.path : $0 }
            let result = try run(call + ["--output", temp.appendingPathComponent("sized-out-\(index)").path])
            XCTAssertEqual(result.status, 3, "\(item.component).\(item.key) = \(item.value): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(item.message), "\(item.component).\(item.key): \(result.stderr)")
            if item.component == "transformer" && item.value != "900" {
                let inspected = try run(["models", "inspect", copy.path])
                XCTAssertEqual(inspected.status, 3, "models inspect: \(inspected.stdout)")
                XCTAssertTrue(inspected.stdout.contains("cannot run") && inspected.stdout.contains(item.key), inspected.stdout)
            }
        }
    }

    /// Issue #20 item 11: runs made with `zoetrope generate` never appeared in `zoetrope
    /// history` or the studio. Now each is added as a studio run is (row begun with its seed,
    /// the same files), unless --no-history.
    func testGeneratedRunsGoIntoTheHistoryUnlessAskedNot() throws {
        var result = try run(fixtureCall + ["--seed", "7", "--output", temp.appendingPathComponent("kept").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try run(fixtureCall + ["--no-history", "--seed", "8", "--output", temp.appendingPathComponent("not").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        // A failing run is kept as failed, with why.
        result = try run(fixtureCall.map { $0 == "9" ? "8" : $0 } + ["--seed", "9"])
        XCTAssertEqual(result.status, 2, result.stderr)

        let store = try HistoryStore.open(at: temp.appendingPathComponent("history"))
        let runs = try store.runs()
        XCTAssertEqual(runs.map(\.settings.seed).sorted(), [7, 9], "the --no-history run is not there")
        let kept = try XCTUnwrap(runs.first { $0.settings.seed == 7 })
        XCTAssertEqual(kept.status, .finished)
        XCTAssertEqual(kept.settings.prompt, PipelineFixtures.prompt)
        XCTAssertEqual(RunArchive.request(from: kept.settings).steps, PipelineFixtures.steps, "remixable")
        let files = try FileManager.default.contentsOfDirectory(atPath: store.folderURL(for: kept).path).sorted()
        XCTAssertEqual(files.filter { $0.hasPrefix("frame_") }.count, PipelineFixtures.frames)
        for name in [RunArchive.videoFileName, RunArchive.gifFileName, RunArchive.thumbnailFileName, "run.json"] {
            XCTAssertTrue(files.contains(name), "\(name) in \(files)")
        }
        // The history's frames are the written clip's frames.
        let written = try Data(contentsOf: temp.appendingPathComponent("kept/frame_0003.png"))
        let stored = try Data(contentsOf: store.folderURL(for: kept).appendingPathComponent("frame_0003.png"))
        XCTAssertEqual(try PNG.decode(written).image, try PNG.decode(stored).image)
        let failed = try XCTUnwrap(runs.first { $0.settings.seed == 9 })
        XCTAssertEqual(failed.status, .failed)
        XCTAssertTrue(failed.errorMessage?.contains("frames 8") ?? false, "\(String(describing: failed.errorMessage))")
    }

    /// Issue #20 item 3 / #19: `generate` at a size the machine labours over ignored SIGTERM
    /// for ten minutes (the engine checks for cancellation between blocks, not inside one long
    /// operation). SIGTERM cancels the run; if it has not ended 2 s later, the process ends by
    /// the signal. Either way it is gone promptly and writes nothing.
    func testSIGTERMEndsARunPromptly() throws {
        let output = temp.appendingPathComponent("terminated")
        let process = Process()
        process.executableURL = try binary()
        process.arguments = fixtureCall.map { $0 == "\(PipelineFixtures.width)" || $0 == "\(PipelineFixtures.height)" ? "512" : $0 }
            + ["--frames", "33", "--output", output.path]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertTrue(process.isRunning, "the run should still be going after 1.5 s")
        let sent = Date()
        process.terminate()  // SIGTERM
        let finished = Deadline.finishes(within: 30) { process.waitUntilExit() }
        XCTAssertTrue(finished, "still running 30 s after SIGTERM")
        guard finished else {
            kill(process.processIdentifier, SIGKILL)
            return
        }
        let waited = Date().timeIntervalSince(sent)
        XCTAssertLessThan(waited, 10, "ended \(waited) s after SIGTERM (the grace is 2 s)")
        switch process.terminationReason {
        case .exit: XCTAssertEqual(process.terminationStatus, 130, "cancelled cleanly")
        case .uncaughtSignal: XCTAssertEqual(process.terminationStatus, SIGTERM, "ended by the signal")
        @unknown default: XCTFail("ended by \(process.terminationReason)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.appendingPathComponent("frame_0000.png").path))
    }
}
