// zoetrope-bench: GFLOP/s of the GEMM-bound TensorCore ops next to raw cblas_sgemm.
//
//   swift run -c release zoetrope-bench
//
//   swift run -c release zoetrope-bench conv      (one section: linear, conv, bf16, attention or tokenizer)
//   swift run -c release zoetrope-bench unet3d FOLDER [FRAMES] [SIDE]   (one UNet3DConditionModel call
//                                                           on [2, 4, F, SIDE/8, SIDE/8]: CFG's batch of two;
//                                                           tools/bench/unet3d_bench.py makes the folders)
//   swift run -c release zoetrope-bench tokenizer [FOLDER]   (a CLIP tokenizer folder; default the
//                                                           real 49k vocabulary of Tests/Fixtures)
//
// Each figure is the median of a few timed repetitions after one warm-up run. The ratio
// column divides by the better raw sgemm rate of 1024² and 2048² (square GEMMs of the size
// the ops' GEMMs resemble), so it shows how much of the machine's GEMM speed each op keeps
// after its im2col / softmax work.

import CBLAS
import Dispatch
import Foundation
import TensorCore
import Models
import Tokenizers

/// Seconds of one run of `body`, as the median of `repetitions` after one warm-up.
func medianSeconds(repetitions: Int, _ body: () -> Void) -> Double {
    body()
    var times = [Double]()
    for _ in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return times[times.count / 2]
}

/// Deterministic values in [-1, 1).
func filled(_ shape: [Int], seed: UInt64) -> Tensor {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return Tensor(shape: shape) { buffer in
        for i in buffer.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            buffer[i] = Float(state >> 40) / Float(1 << 23) - 1
        }
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func report(_ name: String, flops: Double, seconds: Double, reference: Double?) {
    let rate = flops / seconds / 1e9
    var line = pad(name, 52) + pad(String(format: "%8.1f GFLOP/s", rate), 18)
        + String(format: "%8.1f ms", seconds * 1e3)
    if let reference { line += String(format: "   %5.2f× sgemm", rate / reference) }
    print(line)
}

print("zoetrope-bench — OpenBLAS \(BLAS.configuration), \(BLAS.threadCount) BLAS threads, "
      + "\(Parallel.threadCount) loop threads")
print("")

// MARK: Raw sgemm

HeapPolicy.keepFreedBlocksForReuse()  // as the engine runs models
let only = CommandLine.arguments.dropFirst().first
print("raw cblas_sgemm (C = A·B, square)")
var rawRates: [Int: Double] = [:]
for n in [512, 1024, 2048] {
    let a = filled([n, n], seed: 1), b = filled([n, n], seed: 2)
    var c = [Float](repeating: 0, count: n * n)
    let seconds = medianSeconds(repetitions: n >= 2048 ? 3 : 5) {
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(n), blasint(n),
                                1, ap.baseAddress, blasint(n), bp.baseAddress, blasint(n),
                                0, cp.baseAddress, blasint(n))
                }
            }
        }
    }
    let flops = 2 * Double(n) * Double(n) * Double(n)
    rawRates[n] = flops / seconds / 1e9
    report("sgemm \(n)×\(n)×\(n)", flops: flops, seconds: seconds, reference: nil)
}
let reference = max(rawRates[1024] ?? 0, rawRates[2048] ?? 0)
print("")

// MARK: Linear

if only == nil || only == "linear" {
print("linear (x · Wᵀ + b), ratio to raw sgemm")
for (rows, inFeatures, outFeatures) in [(1560, 1536, 1536), (1560, 1536, 8960), (512, 4096, 1536)] {
    let x = filled([1, rows, inFeatures], seed: 3)
    let w = filled([outFeatures, inFeatures], seed: 4), bias = filled([outFeatures], seed: 5)
    let seconds = medianSeconds(repetitions: 3) { _ = linear(x, weight: w, bias: bias) }
    report("linear [1,\(rows),\(inFeatures)] → \(outFeatures)",
           flops: 2 * Double(rows * inFeatures * outFeatures), seconds: seconds, reference: reference)
}
print("")

// MARK: Convolution

}
if only == nil || only == "conv" {
print("conv (im2col + sgemm; 3×3 kernels also by Winograd F(2×2, 3×3)), ratio to raw sgemm")
print("(FLOPs counted as the direct convolution's, so Winograd's effective rate may pass sgemm's)")
do {
    let cases: [(name: String, input: [Int], weight: [Int], temporal: TemporalPadding, spatial: Padding2D)] = [
        ("conv3d [1,16,4,128,128] 3×3×3 → 16 causal", [1, 16, 4, 128, 128], [16, 16, 3, 3, 3], .causal(2), .uniform(1)),
        ("conv3d [1,32,4,128,128] 3×3×3 → 32 causal", [1, 32, 4, 128, 128], [32, 32, 3, 3, 3], .causal(2), .uniform(1)),
        ("conv3d [1,64,4,128,128] 3×3×3 → 64 causal", [1, 64, 4, 128, 128], [64, 64, 3, 3, 3], .causal(2), .uniform(1)),
        ("conv3d [1,96,5,64,64] 3×3×3 → 96 causal", [1, 96, 5, 64, 64], [96, 96, 3, 3, 3], .causal(2), .uniform(1)),
        ("conv3d [1,384,3,30,52] 3×3×3 → 384 causal", [1, 384, 3, 30, 52], [384, 384, 3, 3, 3], .causal(2), .uniform(1)),
        // Small frames, where a row is only a few blocks of 8 Winograd tiles: a small VAE's
        // 32×32 level, and tiny-shapes-unet's 3×3 convs (34 frames of 8×8, as conv2d runs them).
        ("conv3d [1,64,5,32,32] 3×3×3 → 64 causal", [1, 64, 5, 32, 32], [64, 64, 3, 3, 3], .causal(2), .uniform(1)),
        ("conv3d [1,96,34,8,8] 1×3×3 → 96", [1, 96, 34, 8, 8], [96, 96, 1, 3, 3], .none, .uniform(1)),
        ("conv3d [1,192,5,64,64] 1×1×1 → 96", [1, 192, 5, 64, 64], [96, 192, 1, 1, 1], .none, .zero),
        ("conv3d [1,384,5,30,52] (3,1,1) → 768 causal", [1, 384, 5, 30, 52], [768, 384, 3, 1, 1], .causal(2), .zero),
    ]
    for c in cases {
        let x = filled(c.input, seed: 6), w = filled(c.weight, seed: 7), b = filled([c.weight[0]], seed: 8)
        let spatial3x3 = c.weight[3] == 3 && c.weight[4] == 3
        for algorithm in spatial3x3 ? [ConvAlgorithm.im2col, .winograd] : [.im2col] {
            var outCount = 0
            let seconds = medianSeconds(repetitions: 3) {
                outCount = conv3d(x, weight: w, bias: b, temporalPadding: c.temporal, spatialPadding: c.spatial,
                                  algorithm: algorithm).count
            }
            let macsPerOutput = Double(c.weight.dropFirst().reduce(1, *))
            report(c.name + (spatial3x3 ? (algorithm == .winograd ? " winograd" : " im2col") : ""),
                   flops: 2 * Double(outCount) * macsPerOutput, seconds: seconds, reference: reference)
        }
    }
    let x = filled([1, 96, 256, 256], seed: 9), w = filled([96, 96, 3, 3], seed: 10)
    var outCount = 0
    let seconds = medianSeconds(repetitions: 3) { outCount = conv2d(x, weight: w, padding: .uniform(1)).count }
    report("conv2d [1,96,256,256] 3×3 → 96", flops: 2 * Double(outCount) * 96 * 9, seconds: seconds,
           reference: reference)
}
print("")

// MARK: Attention

}
if only == nil || only == "attention" {
print("attention (tiled, online softmax), ratio to raw sgemm")
for (heads, sequence, keys, headDim, repetitions) in [(12, 1560, 1560, 128, 3), (12, 1560, 512, 128, 3),
                                                      (1, 1560, 1560, 384, 3), (12, 4096, 4096, 128, 1)] {
    let q = filled([1, sequence, heads, headDim], seed: 11)
    let k = filled([1, keys, heads, headDim], seed: 12), v = filled([1, keys, heads, headDim], seed: 13)
    let seconds = medianSeconds(repetitions: repetitions) {
        _ = scaledDotProductAttention(q, k, v, layout: .batchSequenceHead)
    }
    // Two GEMMs (QKᵀ and PV) of 2·Sq·Sk·D flops each, per head.
    report("sdpa B1 H\(heads) Sq\(sequence) Sk\(keys) D\(headDim)",
           flops: 4 * Double(heads * sequence * keys * headDim), seconds: seconds, reference: reference)
}
}

// MARK: bf16 (`--precision bf16`: GEMMs through oneDNN)

if only == nil || only == "bf16" {
print("bf16 GEMMs through oneDNN (fp32 accumulation), ratio to raw fp32 sgemm")
if let reason = ComputePrecision.bfloat16.unavailableReason {
    print("  not available here: \(reason)")
} else {
    for n in [1024, 2048] {
        let a = filled([n, n], seed: 1), b = filled([n, n], seed: 2)
        let seconds = medianSeconds(repetitions: 5) {
            ComputePrecision.with(.bfloat16) { _ = matmul(a, b) }
        }
        report("bf16 matmul \(n)×\(n)×\(n) [\(OneDNNGEMM.implementation(m: n, n: n, k: n))]",
               flops: 2 * Double(n * n * n), seconds: seconds, reference: reference)
    }
    for (rows, inFeatures, outFeatures) in [(1560, 1536, 1536), (1560, 1536, 8960), (1280, 512, 1536)] {
        let x = filled([1, rows, inFeatures], seed: 3)
        let w = filled([outFeatures, inFeatures], seed: 4), bias = filled([outFeatures], seed: 5)
        let seconds = medianSeconds(repetitions: 3) {
            ComputePrecision.with(.bfloat16) { _ = linear(x, weight: w, bias: bias) }
        }
        report("bf16 linear [1,\(rows),\(inFeatures)] → \(outFeatures)",
               flops: 2 * Double(rows * inFeatures * outFeatures), seconds: seconds, reference: reference)
    }
    let convCases: [(name: String, input: [Int], weight: [Int])] = [
        ("bf16 conv3d [1,96,5,64,64] 3×3×3 → 96 causal", [1, 96, 5, 64, 64], [96, 96, 3, 3, 3]),
        ("bf16 conv3d [1,384,3,30,52] 3×3×3 → 384 causal", [1, 384, 3, 30, 52], [384, 384, 3, 3, 3]),
    ]
    for c in convCases {
        let x = filled(c.input, seed: 6), w = filled(c.weight, seed: 7), b = filled([c.weight[0]], seed: 8)
        var outCount = 0
        let seconds = medianSeconds(repetitions: 3) {
            ComputePrecision.with(.bfloat16) {
                outCount = conv3d(x, weight: w, bias: b, temporalPadding: .causal(2), spatialPadding: .uniform(1)).count
            }
        }
        report(c.name, flops: 2 * Double(outCount) * Double(c.weight.dropFirst().reduce(1, *)),
               seconds: seconds, reference: reference)
    }
    print("  GEMMs oneDNN refused (ran in fp32): \(OneDNNGEMM.refusedCount)"
          + (OneDNNGEMM.lastRefusal.map { " — last: \($0)" } ?? ""))
}
print("")
}

// MARK: Attention alone (tools/bench/side_by_side.py's attention configs)

if only == "sdpa" {
    // zoetrope-bench sdpa S H D [QUERY_BLOCK KEY_BLOCK]: self-attention of S tokens, H heads of
    // D ([1, S, H, D]), one warm-up and the median of 3; prints one line for side_by_side.py.
    // The tile sizes default to the library's (512 × 512).
    let arguments = CommandLine.arguments.dropFirst(2).compactMap { Int($0) }
    guard arguments.count == 3 || arguments.count == 5 else {
        print("usage: zoetrope-bench sdpa TOKENS HEADS HEAD_DIM [QUERY_BLOCK KEY_BLOCK]")
        exit(2)
    }
    let (sequence, heads, headDim) = (arguments[0], arguments[1], arguments[2])
    let (queryBlock, keyBlock) = arguments.count == 5 ? (arguments[3], arguments[4]) : (512, 512)
    let q = filled([1, sequence, heads, headDim], seed: 21)
    let k = filled([1, sequence, heads, headDim], seed: 22), v = filled([1, sequence, heads, headDim], seed: 23)
    let seconds = medianSeconds(repetitions: 3) {
        _ = scaledDotProductAttention(q, k, v, mask: nil, isCausal: false, scale: nil, layout: .batchSequenceHead,
                                      queryBlock: queryBlock, keyBlock: keyBlock)
    }
    print("swift_sdpa seconds=\(seconds) peak_mib=\(Double(ownPeakBytes()) / 1_048_576)")
}

// MARK: Tokenizer

if only == "tokenizer" {
    // Timed here, never in tests: loading CLIP's 49,408-token vocabulary and encoding prompts.
    let folder = URL(fileURLWithPath: CommandLine.arguments.dropFirst(2).first ?? "Tests/Fixtures/tokenizers/clip-openai")
    print("tokenizer (CLIP BPE) from \(folder.path)")
    do {
        var tokenizer: BPETokenizer?
        let loadMerges = medianSeconds(repetitions: 3) {
            tokenizer = try? BPETokenizer(vocabulary: folder.appendingPathComponent("vocab.json"),
                                          merges: folder.appendingPathComponent("merges.txt"))
        }
        let loadJSON = medianSeconds(repetitions: 3) {
            _ = try? BPETokenizer(tokenizerJSON: folder.appendingPathComponent("tokenizer.json"))
        }
        guard let tokenizer else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: folder.path]) }
        let prompt = "A breathtaking panoramic view of a futuristic city at dusk, with flying cars, neon signs in many "
            + "languages, crowded streets full of people holding umbrellas, reflections on wet asphalt, volumetric "
            + "light beams, cinematic, 8k, highly detailed"
        let long = String(repeating: "a red circle moving left on a black background, ", count: 20)
        let encode = medianSeconds(repetitions: 20) { _ = tokenizer.encode(prompt, maxLength: 77) }
        let encodeLong = medianSeconds(repetitions: 20) { _ = tokenizer.encode(long, maxLength: 77) }
        print("  load vocab.json + merges.txt  \(String(format: "%8.1f ms", loadMerges * 1e3))")
        print("  load tokenizer.json           \(String(format: "%8.1f ms", loadJSON * 1e3))")
        print("  encode a 77-token prompt      \(String(format: "%8.3f ms", encode * 1e3))")
        print("  encode \(long.count) characters        \(String(format: "%8.3f ms", encodeLong * 1e3))")
    } catch {
        print("  cannot load the tokenizer: \(error)")
    }
}

// MARK: UNet3D

/// This process's own peak resident memory (VmHWM), in bytes.
func ownPeakBytes() -> Int {
    guard let handle = FileHandle(forReadingAtPath: "/proc/self/status"), let data = try? handle.readToEnd() else { return 0 }
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let fields = line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" })
        return (fields.first.flatMap { Int($0) } ?? 0) * 1024
    }
    return 0
}

if only == "unet3d" {
    let arguments = Array(CommandLine.arguments.dropFirst(2))
    guard let path = arguments.first else {
        print("usage: zoetrope-bench unet3d FOLDER [FRAMES] [SIDE]")
        exit(2)
    }
    let frames = arguments.dropFirst().first.flatMap { Int($0) } ?? 16
    let side = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 256
    do {
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let unet = try UNet3DConditionModel.load(folder: URL(fileURLWithPath: path))
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
        let h = side / 8
        let sample = filled([2, unet.config.inChannels, frames, h, h], seed: 21)
        let text = filled([2, 77, unet.config.crossAttentionDim], seed: 22)
        var stepSeconds: [Double] = []
        for _ in 0..<2 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try unet(sample, timestep: [500, 500], encoderHiddenStates: text)
            stepSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print("unet3d \(path): \(frames) frames of \(side)×\(side) (latents \(h)×\(h)), batch 2")
        print(String(format: "  load %.1f s; one denoising step (UNet on batch 2) %.2f s, again %.2f s; peak RSS %.0f MiB",
                     loadSeconds, stepSeconds[0], stepSeconds[1], Double(ownPeakBytes()) / 1_048_576))
        print(String(format: "swift_unet3d load_s=%.3f step_s=%.3f step2_s=%.3f peak_mib=%.0f",
                     loadSeconds, stepSeconds[0], stepSeconds[1], Double(ownPeakBytes()) / 1_048_576))
    } catch {
        print("  cannot run the UNet: \(error)")
        exit(1)
    }
}
