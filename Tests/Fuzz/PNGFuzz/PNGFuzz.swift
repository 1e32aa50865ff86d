// libFuzzer target: the PNG metadata reader (text chunks, `import-settings`) and the full
// decoder (libpng through the shim, history thumbnails and frames) on any bytes.
// Built by tools/fuzz/run.sh; a crash, trap, sanitizer report or timeout is a finding.
import Foundation
import Media
import CFuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    _ = try? PNGMetadataReader.texts(in: bytes, source: "fuzz.png", textLimit: 1 << 16)
    if let decoded = try? PNG.decode(Data(bytes), source: "fuzz.png"),
       decoded.image.pixels.count != decoded.image.width * decoded.image.height * 3 {
        fatalError("decoded \(decoded.image.width)x\(decoded.image.height) with \(decoded.image.pixels.count) bytes")
    }
    return 0
}

/// `main`, as SwiftPM names it for this executable: libFuzzer's driver runs the target above.
@_cdecl("zoetrope_fuzz_png_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    zoetrope_fuzz_main(argc, argv)
}
