import Foundation

/// What an encoder knows about a block's bins (spec §14.5, §14.10): per position and interval,
/// the supremum of log dQ/dP over the values its candidates can take, and the weights that set
/// the search order. Weights never reach the stream: they change how fast the search ends,
/// not which candidate wins.
struct SpacePartition {
    enum Weighting {
        /// w ∝ sup r over the interval: minimises D∞[Q ‖ P'] and so the steps of exact PFR.
        case supremum
        /// w ∝ Q's mass of the interval: minimises KL[Q ‖ P'] and so the bias of ORC.
        case targetMass
    }

    /// log w_t,i, normalised per position (0 for an unsplit position).
    let logWeights: [[Double]]
    /// Cumulative weights per position, for drawing intervals.
    private let cumulative: [[Double]]
    /// ln max_j R_j / w_j = Σ_t max_i (ln sup r_t,i − ln w_t,i): bounds every unvisited score.
    let logBound: Double

    static let logWeightFloor = -700.0

    init(_ target: BlockTarget, weighting: Weighting) {
        var logWeights: [[Double]] = []
        var cumulative: [[Double]] = []
        var bound = 0.0
        for t in 0..<target.count {
            let p = Int(target.bits[t])
            let n = 1 << p
            var sup = [Double](repeating: 0, count: n)
            var lower = [Double](repeating: 0, count: n + 1)
            for i in 0..<n {
                let first = UInt64(i) << UInt64(32 - p)
                let last = (UInt64(i + 1) << UInt64(32 - p)) - 1
                let lo = Double(target.value(t, word: UInt32(first))) * 0x1p-16
                let hi = Double(target.value(t, word: UInt32(last))) * 0x1p-16
                sup[i] = Self.supLogRatio(target, t, lo, hi)
                lower[i] = lo
            }
            var logW = [Double](repeating: 0, count: n)
            if n > 1 {
                switch weighting {
                case .supremum:
                    logW = sup
                case .targetMass:
                    for i in 0..<n {
                        let a = i == 0 ? -Double.infinity : lower[i]
                        let b = i == n - 1 ? Double.infinity : lower[i + 1]
                        logW[i] = Self.logNormalMass((a - target.m[t]) / target.s[t], (b - target.m[t]) / target.s[t])
                    }
                }
                let top = logW.max() ?? 0
                logW = logW.map { max($0 - top, Self.logWeightFloor) }
                let norm = log(logW.reduce(0) { $0 + exp($1) })
                logW = logW.map { $0 - norm }
            }
            var running = 0.0
            cumulative.append(logW.map { running += exp($0); return running })
            logWeights.append(logW)
            bound += zip(sup, logW).map { $0 - $1 }.max() ?? 0
        }
        self.logWeights = logWeights
        self.cumulative = cumulative
        logBound = bound
    }

    /// sup of ln dQ_t/dP_t over [lo, hi], with a margin for rounding so that it stays an upper bound.
    static func supLogRatio(_ target: BlockTarget, _ t: Int, _ lo: Double, _ hi: Double) -> Double {
        let (s, sigma) = (target.s[t], target.sigma[t])
        func at(_ x: Double) -> Double {
            let a = (x - target.m[t]) / s
            let b = (x - target.mu[t]) / sigma
            return target.logScale[t] - 0.5 * a * a + 0.5 * b * b
        }
        var best = max(at(lo), at(hi))
        if s < sigma {
            // Concave: the unconstrained maximiser, clipped to the interval.
            let peak = (target.m[t] * sigma * sigma - target.mu[t] * s * s) / (sigma * sigma - s * s)
            best = max(best, at(min(max(peak, lo), hi)))
        }
        return best + 1e-9 * (1 + abs(best))
    }

    /// ln(Φ(b) − Φ(a)) for a < b, accurate in the tails.
    static func logNormalMass(_ a: Double, _ b: Double) -> Double {
        if a > 0 { return logNormalMass(-b, -a) }
        // Both in the lower half or straddling 0: Φ(b) − Φ(a) = Φ(b)(1 − Φ(a)/Φ(b)).
        let lb = logNormalCDF(b)
        let la = logNormalCDF(a)
        guard la > -Double.infinity else { return lb }
        let ratio = exp(la - lb)
        return ratio >= 1 ? -Double.infinity : lb + log1p(-ratio)
    }

    /// ln Φ(x), with the asymptotic series far in the lower tail where erfc underflows.
    static func logNormalCDF(_ x: Double) -> Double {
        if x == -Double.infinity { return -Double.infinity }
        if x > -30 { return log(0.5 * erfc(-x / 2.0.squareRoot())) }
        let x2 = x * x
        return -0.5 * x2 - log(-x) - 0.5 * log(2 * Double.pi) + log1p(-1 / x2 + 3 / (x2 * x2))
    }

    /// Draws one interval per position with the weights; returns the intervals and Σ ln w.
    func draw<G: RandomNumberGenerator>(_ rng: inout G, into intervals: inout [UInt32]) -> Double {
        var logW = 0.0
        for t in cumulative.indices where cumulative[t].count > 1 {
            let row = cumulative[t]
            let u = Double(rng.next() >> 11) * 0x1p-53 * (row.last ?? 1)
            var (low, high) = (0, row.count - 1)
            while low < high {
                let mid = (low + high) / 2
                if row[mid] > u { high = mid } else { low = mid + 1 }
            }
            intervals[t] = UInt32(low)
            logW += logWeights[t][low]
        }
        return logW
    }
}
