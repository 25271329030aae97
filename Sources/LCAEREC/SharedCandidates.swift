/// The candidates encoder and decoder draw from shared randomness (spec §14.4, §14.5):
/// block keys from the global seed, one Philox block per four dimensions of a candidate,
/// words confined to an interval of equal prior mass. Integer arithmetic only.
package enum SharedCandidates {
    /// The Philox key of block b: the first two words of Philox(global seed, (b, 0, 0, 0)) (spec §14.4).
    package static func blockGenerator(seed: UInt64, block: Int) -> Philox {
        let out = Philox(seed: seed).block((UInt32(truncatingIfNeeded: block), 0, 0, 0))
        return Philox(key: (out.0, out.1))
    }

    /// The uniform word of position t of candidate (bin, index) (spec §14.4).
    @inlinable @inline(__always)
    package static func word(_ generator: Philox, bin: UInt32, index: UInt32, position t: Int) -> UInt32 {
        let out = generator.block((index, bin, UInt32(truncatingIfNeeded: t >> 2), 0))
        switch t & 3 {
        case 0: return out.0
        case 1: return out.1
        case 2: return out.2
        default: return out.3
        }
    }

    /// The word of interval i of a dimension split into 2^bits intervals (spec §14.5).
    @inlinable @inline(__always)
    package static func intervalWord(_ u: UInt32, interval i: UInt32, bits: Int) -> UInt32 {
        bits == 0 ? u : (i << UInt32(32 - bits)) | (u >> UInt32(bits))
    }

    /// The bin number of a choice of intervals, first position most significant (spec §14.5).
    package static func bin(_ intervals: [UInt32], bits: ArraySlice<UInt8>) -> UInt32 {
        var j: UInt32 = 0
        for (i, p) in zip(intervals, bits) where p > 0 {
            j = (j << UInt32(p)) | i
        }
        return j
    }

    /// The Q16 values of one candidate of a block: dimensions `dimensions`, intervals `intervals` (spec §14.9).
    package static func values(
        _ generator: Philox, bin: UInt32, index: UInt32, intervals: [UInt32], dimensions: Range<Int>,
        bits: [UInt8], prior: RECPrior
    ) -> [Int32] {
        var out = [Int32](repeating: 0, count: dimensions.count)
        var block = (UInt32(0), UInt32(0), UInt32(0), UInt32(0))
        for (t, d) in dimensions.enumerated() {
            if t & 3 == 0 { block = generator.block((index, bin, UInt32(truncatingIfNeeded: t >> 2), 0)) }
            let u = [block.0, block.1, block.2, block.3][t & 3]
            let w = intervalWord(u, interval: intervals[t], bits: Int(bits[d]))
            let e = prior.entry(d)
            out[t] = RECPrior.value(z: GaussianCandidate.q16(w), mean: prior.mean[e], std: prior.std[e])
        }
        return out
    }
}
