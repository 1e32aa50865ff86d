// The two Box–Muller kernels of PyTorch's CPU `normal_` for contiguous float32 tensors of 16 or
// more elements (aten/src/ATen/native/cpu/DistributionTemplates.h, `normal_fill_16` and
// `normal_fill_16_AVX2`; the latter calls `log256_ps` / `sincos256_ps` from
// aten/src/ATen/native/cpu/avx_mathfun.h, Cephes-derived float polynomials).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which of torch's float32 Box–Muller kernels to reproduce.
///
/// torch picks one per machine, so the same seed gives (slightly, last bits) different noise
/// on different CPUs:
/// - ``vectorized``: x86-64 builds whose CPU capability is AVX2 or AVX-512 (nearly every x86
///   machine). Cephes polynomials for log and sin/cos, evaluated lane by lane here with the
///   same fused multiply-adds the shipped torch wheel uses. Verified bit-exact against torch
///   2.15.0 (capability AVX512 and AVX2) on an AMD EPYC.
/// - ``scalar``: torch's DEFAULT capability (Apple Silicon, other ARM, x86 without AVX2): the
///   platform's `logf`, `cosf`, `sinf`. Verified bit-exact against torch with
///   `ATEN_CPU_CAPABILITY=default` on Linux (glibc); on macOS both sides call Darwin's libm.
public enum TorchNormalKernel: String, Sendable, CaseIterable {
    case vectorized
    case scalar

    /// The kernel torch would use on the machine running this code (by architecture).
    public static var platformDefault: TorchNormalKernel {
        #if arch(x86_64)
        return .vectorized
        #else
        return .scalar
        #endif
    }

    /// Transforms 16 uniforms in `[0, 1)` into 16 normals in place: pairs `(j, j + 8)` for
    /// `j < 8`, `u1 = 1 − data[j]`, `u2 = data[j + 8]`, `r = √(−2 ln u1)`, `θ = 2π·u2`,
    /// `data[j] = r·cos θ`, `data[j + 8] = r·sin θ` (mean 0, std 1).
    func fill16(_ data: UnsafeMutablePointer<Float>) {
        switch self {
        case .vectorized:
            let twoPi = Float(2 * Double.pi)
            for j in 0..<8 {
                let u1 = 1 - data[j]
                let u2 = data[j + 8]
                let radius = (-2 * CephesFloat.log(u1)).squareRoot()
                let (sine, cosine) = CephesFloat.sincos(twoPi * u2)
                data[j] = radius * cosine
                data[j + 8] = radius * sine
            }
        case .scalar:
            for j in 0..<8 {
                let u1 = 1 - data[j]
                let u2 = data[j + 8]
                let radius = (-2 * logf(u1)).squareRoot()
                // `2.0f * c10::pi<double> * u2` is evaluated in double, then stored as float.
                let theta = Float(2.0 * Double.pi * Double(u2))
                data[j] = radius * cosf(theta)
                data[j + 8] = radius * sinf(theta)
            }
        }
    }
}

/// One lane of avx_mathfun's `log256_ps` and `sincos256_ps`, with the fused multiply-adds that
/// GCC contracts in torch's build (each multiply feeding an add becomes one FMA; the cosine
/// polynomial's last multiply fuses into the following subtraction). Plain `*` and `+` below
/// are separately rounded, as in the vector code.
enum CephesFloat {
    private static let sqrtHalf: Float = 0.707106781186547524
    private static let logP: [Float] = [
        7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
        -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
    ]
    private static let logQ1: Float = -2.12194440e-4
    private static let logQ2: Float = 0.693359375

    /// Natural log for x > 0 (x ≤ 0 gives NaN).
    static func log(_ input: Float) -> Float {
        if !(input > 0) { return .nan }
        var x = max(input, Float(bitPattern: 0x0080_0000))  // flush denormals to the smallest normal
        let bits = x.bitPattern
        var e = Float(Int32(bitPattern: bits >> 23) - 0x7F) + 1
        x = Float(bitPattern: (bits & ~UInt32(0x7F80_0000)) | Float(0.5).bitPattern)  // mantissa in [0.5, 1)
        let below = x < sqrtHalf
        let tmp: Float = below ? x : 0
        x = x - 1
        if below { e = e - 1 }
        x = x + tmp
        let z = x * x
        var y = logP[0]
        for p in logP.dropFirst() { y = p.addingProduct(y, x) }
        y = y * x
        y = (e * logQ1).addingProduct(y, z)
        y = y.addingProduct(z, -0.5)
        x = x + y
        return x.addingProduct(e, logQ2)
    }

    private static let fourOverPi: Float = 1.27323954473516
    private static let dp: [Float] = [-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8]
    private static let cosP: [Float] = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2]
    private static let sinP: [Float] = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1]

    /// (sin x, cos x) for |x| below about 8192 (Box–Muller uses [0, 2π)).
    static func sincos(_ input: Float) -> (sin: Float, cos: Float) {
        var signSin = input.bitPattern & 0x8000_0000
        var x = Swift.abs(input)
        var octant = Int32(x * fourOverPi)  // truncation, as cvttps
        octant = (octant + 1) & ~1
        let y = Float(octant)
        signSin ^= UInt32(bitPattern: octant & 4) << 29
        let usePolySin = (octant & 2) == 0
        let signCos = UInt32(bitPattern: ~(octant &- 2) & 4) << 29
        for d in dp { x = x.addingProduct(y, d) }  // extended-precision range reduction
        let z = x * x
        var cosine = cosP[1].addingProduct(cosP[0], z)
        cosine = cosP[2].addingProduct(cosine, z)
        cosine = cosine * z
        cosine = (-(z * 0.5)).addingProduct(cosine, z)
        cosine = cosine + 1
        var sine = sinP[1].addingProduct(sinP[0], z)
        sine = sinP[2].addingProduct(sine, z)
        sine = sine * z
        sine = x.addingProduct(sine, x)
        let s = usePolySin ? sine : cosine
        let c = usePolySin ? cosine : sine
        return (Float(bitPattern: s.bitPattern ^ signSin), Float(bitPattern: c.bitPattern ^ signCos))
    }
}
