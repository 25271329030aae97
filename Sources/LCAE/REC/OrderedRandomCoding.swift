import Foundation

/// Fixed-budget relative entropy coding by ordered random coding (Theis and Yosri 2022),
/// optionally over a space partition: spec §14.10. N candidates (N = 2^m) are drawn, from P or
/// from the reweighted prior P'; the n-th gets the n-th smallest of N exponentials, scaled by N,
/// and the smallest ln T_n − ln dQ/dP'(x_n) wins. The output follows importance resampling with
/// N candidates: approximate, with a bias set by KL[Q ‖ P'] against log2 N.
public enum OrderedRandomCoding {
    static func search<G: RandomNumberGenerator>(
        _ target: BlockTarget, partition: SpacePartition, log2Candidates m: Int, rng: inout G
    ) -> RECBlockChoice {
        let partitioned = target.bits.contains { $0 > 0 }
        let n = 1 << m
        var counts: [UInt32: UInt32] = [:]
        var intervals = [UInt32](repeating: 0, count: target.count)
        var best = RECBlockChoice(intervals: intervals, index: 0, steps: n, certified: false)
        var bestScore = Double.infinity
        var time = 0.0
        for i in 0..<n {
            // Rényi's representation of ordered exponentials: the gaps are Exp(1) · N / (N − i).
            time += -log1p(-Double(rng.next() >> 11) * 0x1p-53) * Double(n) / Double(n - i)
            let logW = partitioned ? partition.draw(&rng, into: &intervals) : 0
            let bin = SharedCandidates.bin(intervals, bits: target.bits[...])
            let k: UInt32
            if partitioned {
                k = counts[bin, default: 0]
                counts[bin] = k + 1
            } else {
                k = UInt32(i)
            }
            let score = log(time) + logW - target.logRatio(bin: bin, index: k, intervals: intervals)
            if score < bestScore {
                bestScore = score
                best.intervals = intervals
                best.index = k
            }
        }
        return best
    }
}
