import Foundation

/// The CPU's features as /proc/cpuinfo lists them, read apart from the code under test (which
/// asks oneDNN), so a test can say what the answer should be.
public enum CPUFeatures {
    /// The `flags` of the first processor (empty where there is no /proc/cpuinfo).
    public static let flags: Set<Substring> = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " "))
    }()

    /// Whether the CPU has bf16 dot products: AVX512-BF16 or AMX-BF16.
    public static var hasBF16: Bool { flags.contains("avx512_bf16") || flags.contains("amx_bf16") }
}
