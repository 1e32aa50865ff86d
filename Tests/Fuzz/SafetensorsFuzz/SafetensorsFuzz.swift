// libFuzzer target: the safetensors header parser (WeightsIO.SafetensorsHeader) on any bytes.
// Built by tools/fuzz/run.sh; a crash, trap, sanitizer report or timeout is a finding.
@testable import WeightsIO
import CFuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensorsHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let header = try? SafetensorsHeader(bytes: bytes, path: "fuzz.safetensors") {
        // Whatever parses must describe byte ranges inside the input.
        for entry in header.entries.values where entry.fileRange.upperBound > size || entry.fileRange.lowerBound < 0 {
            fatalError("entry range \(entry.fileRange) outside a file of \(size) bytes")
        }
    }
    return 0
}

/// `main`, as SwiftPM names it for this executable: libFuzzer's driver runs the target above.
@_cdecl("zoetrope_fuzz_safetensors_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    zoetrope_fuzz_main(argc, argv)
}
