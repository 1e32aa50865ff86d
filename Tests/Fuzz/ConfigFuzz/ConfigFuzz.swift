// libFuzzer target: every config a model folder carries, decoded from any bytes, and the
// scheduler a scheduler config builds, stepped for a few step counts.
// Built by tools/fuzz/run.sh; a crash, trap, sanitizer report or timeout is a finding.
import Foundation
import Models
import Schedulers
import WeightsIO
import CFuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigs(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let json = Data(bytes: data, count: size)
    _ = try? ConfigDecoding.decode(WanTransformerConfig.self, from: json, path: "config.json")
    _ = try? ConfigDecoding.decode(WanVAEConfig.self, from: json, path: "config.json")
    _ = try? ConfigDecoding.decode(UMT5Config.self, from: json, path: "config.json")
    _ = try? ConfigDecoding.decode(CLIPTextConfig.self, from: json, path: "config.json")
    _ = try? ConfigDecoding.decode(AutoencoderKLConfig.self, from: json, path: "config.json")
    _ = try? ConfigDecoding.decode(UNet3DConditionConfig.self, from: json, path: "config.json")
    _ = try? ConfigDecoding.decode(UNetMotionModelConfig.self, from: json, path: "config.json")
    _ = try? ConfigDecoding.decode(MotionAdapterConfig.self, from: json, path: "config.json")
    if let config = try? SchedulerConfig.decode(json, source: "scheduler_config.json") {
        for steps in [1, 4, 25] {
            _ = try? makeScheduler(config: config, stepCount: steps, generator: nil)
        }
    }
    return 0
}

/// `main`, as SwiftPM names it for this executable: libFuzzer's driver runs the target above.
@_cdecl("zoetrope_fuzz_config_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    zoetrope_fuzz_main(argc, argv)
}
