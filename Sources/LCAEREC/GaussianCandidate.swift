/// A standard normal sample in fixed point from one 32-bit uniform word, in integer arithmetic
/// only, so that the encoder scores exactly the candidate every decoder regenerates (spec §14.2).
///
/// z = Φ⁻¹((u + 0.5) / 2^32) in Q16 (an Int32 holding z · 2^16), from a table of knots
/// (`tools/make_inverse_normal.py`) with linear interpolation, exactly antisymmetric.
package enum GaussianCandidate {
    /// Fraction bits of the fixed-point value.
    package static let fractionBits = 16

    package static func q16(_ u: UInt32) -> Int32 {
        u < 1 << 31 ? lowerHalf(u) : -lowerHalf(UInt32.max - u)
    }

    /// Φ⁻¹((v + 0.5) / 2^32) · 2^16 for v < 2^31 (negative), per spec §14.2.
    static func lowerHalf(_ v: UInt32) -> Int32 {
        if v < 64 { return direct[Int(v)] }
        let length = 32 - v.leadingZeroBitCount  // 7 … 31
        let shift = length - 7
        let base = UInt32(1) << (length - 1)
        let offset = v - base
        let j = Int(offset >> UInt32(shift))
        let row = octaves[length - 7]
        let a = Int64(row[j])
        guard shift > 0 else { return Int32(a) }
        let fraction = Int64(offset & ((1 << UInt32(shift)) - 1))
        let step = Int64(row[j + 1]) - a
        return Int32(a + ((step * fraction + (1 << (shift - 1))) >> shift))
    }
}
