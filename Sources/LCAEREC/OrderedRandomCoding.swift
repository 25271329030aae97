import Foundation

/// Fixed-budget relative entropy coding by ordered random coding (Theis and Yosri 2022),
/// optionally over a space partition: spec §14.10. N candidates (N = 2^m) are drawn, from P or
/// from the reweighted prior P'; the n-th gets the n-th smallest of N exponentials, scaled by N,
/// and the smallest ln T_n − ln dQ/dP'(x_n) wins. The output follows importance resampling with
/// N candidates: approximate, with a bias set by KL[Q ‖ P'] against log2 N.
package enum OrderedRandomCoding {
    static func search<G: RandomNumberGenerator>(
        _ target: BlockTarget, partition: SpacePartition, log2Candidates m: Int, rng: inout G
    ) -> RECBlockChoice {
        let n = 1 << m
        var candidates = CandidateSequence(target, partition: partition)
        var best = RECBlockChoice(intervals: candidates.intervals, index: 0, steps: n, certified: false)
        var bestScore = Double.infinity
        var time = 0.0
        for i in 0..<n {
            // Rényi's representation of ordered exponentials: the gaps are Exp(1) · N / (N − i).
            time += -log1p(-Double(rng.next() >> 11) * 0x1p-53) * Double(n) / Double(n - i)
            let (logW, bin, k) = candidates.next(&rng)
            let score = log(time) + logW - target.logRatio(bin: bin, index: k, intervals: candidates.intervals)
            if score < bestScore {
                bestScore = score
                best.intervals = candidates.intervals
                best.index = k
            }
        }
        return best
    }
}
