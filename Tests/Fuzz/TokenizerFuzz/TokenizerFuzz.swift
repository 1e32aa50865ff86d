// libFuzzer target: both tokenizer loaders (BPE and Unigram tokenizer.json, SentencePiece
// spiece.model) on any bytes, then encoding a prompt with whatever loaded. The loaders read
// files, so each input is written to a file in a private folder first (the first byte picks
// the loader).
// Built by tools/fuzz/run.sh; a crash, trap, sanitizer report or timeout is a finding.
import Foundation
import Tokenizers
import CFuzzDriver

let fuzzFolder: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let url = URL(fileURLWithPath: base).appendingPathComponent("zoetrope-fuzz-tokenizer-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let mode = data[0] % 3
    let body = Data(bytes: data + 1, count: size - 1)
    let file = fuzzFolder.appendingPathComponent(mode == 2 ? "spiece.model" : "tokenizer.json")
    guard (try? body.write(to: file)) != nil else { return 0 }
    let prompt = "a red circle moving left, 猫 ✓ <|endoftext|> </s>"
    switch mode {
    case 0:
        if let tokenizer = try? BPETokenizer(tokenizerJSON: file) { _ = tokenizer.encode(prompt, maxLength: 77) }
    case 1:
        if let tokenizer = try? UnigramTokenizer(tokenizerJSON: file) { _ = tokenizer.encode(prompt, maxLength: 64) }
    default:
        if let tokenizer = try? UnigramTokenizer(sentencePieceModel: file) { _ = tokenizer.encode(prompt, maxLength: 64) }
    }
    return 0
}

/// `main`, as SwiftPM names it for this executable: libFuzzer's driver runs the target above.
@_cdecl("zoetrope_fuzz_tokenizer_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    zoetrope_fuzz_main(argc, argv)
}
