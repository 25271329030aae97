import Foundation

/// What a search chose for one block, and what it cost.
package struct RECBlockChoice: Equatable, Sendable {
    /// The interval of each position (0 where the position is not split).
    package var intervals: [UInt32]
    /// The in-bin index k.
    package var index: UInt32
    /// Candidates scored.
    package var steps: Int
    /// True when an exact search proved its choice optimal (it stopped by its bound, not by a cap).
    package var certified: Bool
}

/// Exact relative entropy coding by the Poisson functional representation (Li and El Gamal
/// 2018), optionally over a space partition (He, Flamich and Hernández-Lobato 2024): spec §14.10.
///
/// The points of a unit-rate Poisson process with spatial law P are visited in the order of
/// τ / w_j; each bin j has its own process, so a point is named by its bin and its rank k in
/// that bin. The winner minimises ln(w_j τ) − ln r(x) = ln S − ln r(x), S the point's time in its
/// bin's process: the weights cancel, so they change the search order but never the message.
package enum PoissonFunctionalRepresentation {
    /// Searches one block. Stops when no unvisited point can beat the best (exact), or when an
    /// in-bin index would reach 2^maxLog2Index or `maxSteps` candidates were scored (not certified).
    static func search<G: RandomNumberGenerator>(
        _ target: BlockTarget, partition: SpacePartition, maxLog2Index: Int, maxSteps: Int, rng: inout G
    ) -> RECBlockChoice {
        var candidates = CandidateSequence(target, partition: partition)
        var best = RECBlockChoice(intervals: candidates.intervals, index: 0, steps: 0, certified: false)
        var bestScore = Double.infinity
        var tau = 0.0
        let cap = UInt64(1) << UInt64(maxLog2Index)
        while true {
            tau += -log1p(-Double(rng.next() >> 11) * 0x1p-53)
            let logTau = log(tau)
            if logTau - partition.logBound >= bestScore {
                best.certified = true
                break
            }
            guard best.steps < maxSteps else { break }
            let (logW, bin, k) = candidates.next(&rng)
            guard UInt64(k) < cap else { break }
            best.steps += 1
            let score = logW + logTau - target.logRatio(bin: bin, index: k, intervals: candidates.intervals)
            if score < bestScore {
                bestScore = score
                best.intervals = candidates.intervals
                best.index = k
            }
        }
        return best
    }
}
