import Foundation
@testable import LCAEREC
@testable import LCAESupport
import Testing

@Suite("Gaussian candidates in fixed point")
struct GaussianCandidateTests {
    /// Φ⁻¹(p) by bisection on erfc, in Double: a reference for the test only (decoders never use floats).
    static func inverseNormal(_ p: Double) -> Double {
        var (low, high) = (-40.0, 40.0)
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if 0.5 * erfc(-mid / 2.0.squareRoot()) < p { low = mid } else { high = mid }
        }
        return (low + high) / 2
    }

    static func reference(_ u: UInt32) -> Double {
        // Through the lower half, as the table is built, so that tiny p keep their precision.
        let v = u < 1 << 31 ? u : UInt32.max - u
        let z = inverseNormal((Double(v) + 0.5) / 4294967296.0)
        return (u < 1 << 31 ? z : -z) * 65536
    }

    @Test("the table's knots are Φ⁻¹ rounded to Q16 (independent check of tools/make_inverse_normal.py)")
    func knots() {
        for v in 0..<64 {
            #expect(abs(Double(GaussianCandidate.direct[v]) - Self.reference(UInt32(v))) <= 0.5 + 1e-6, "direct \(v)")
        }
        for length in 7...31 {
            for k in stride(from: 0, through: 64, by: 8) {
                let v = UInt32(1 << (length - 1)) &+ UInt32(k) << UInt32(length - 7)
                let knot = GaussianCandidate.octaves[length - 7][k]
                #expect(abs(Double(knot) - Self.reference(v)) <= 0.5 + 1e-6, "L \(length) k \(k)")
            }
        }
    }

    @Test("interpolated values stay within 2^-10 of Φ⁻¹, are antisymmetric and monotone")
    func interpolation() {
        var rng = SplitMix64(seed: 14)
        var worst = 0.0
        var samples = (0..<20000).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
        samples += [0, 1, 63, 64, 65, 127, 128, 1 << 30, (1 << 31) - 1, 1 << 31, UInt32.max]
        for u in samples {
            let z = GaussianCandidate.q16(u)
            worst = max(worst, abs(Double(z) - Self.reference(u)))
            #expect(GaussianCandidate.q16(UInt32.max - u) == -z)
        }
        #expect(worst <= 64, "largest error \(worst / 65536)")
        let sorted = samples.sorted()
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(GaussianCandidate.q16(a) <= GaussianCandidate.q16(b))
        }
    }

    /// Φ(−6.3) ≈ 1.5e-10 and Φ(−6.4) ≈ 7.8e-11 (standard normal tables), so Φ⁻¹(2^-33 ≈ 1.16e-10) lies between.
    @Test("the extremes lie between -6.4 and -6.3 at the ends of the 32-bit range")
    func extremes() {
        let z = Double(GaussianCandidate.q16(0)) / 65536
        #expect(z > -6.4 && z < -6.3, "\(z)")
        #expect(GaussianCandidate.q16(UInt32.max) == -GaussianCandidate.q16(0))
    }
}
