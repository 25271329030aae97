import Foundation

/// The encoder's target Q: a diagonal Gaussian, one (mean, std) per dimension, in real numbers.
/// Only encoders see it; nothing a decoder computes depends on it (spec §14.10).
public struct GaussianTarget: Equatable, Sendable {
    /// The mean of each dimension, in latent units.
    public var mean: [Double]
    /// The standard deviation of each dimension, positive and finite.
    public var std: [Double]

    /// nil unless the counts match and every std is positive and finite.
    public init?(mean: [Double], std: [Double]) {
        guard mean.count == std.count, mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
        self.mean = mean
        self.std = std
    }

    /// D, the number of dimensions.
    public var count: Int { mean.count }

    /// KL[Q_d ‖ P_d] in bits for a prior dimension (μ, σ).
    public static func klBits(mean m: Double, std s: Double, priorMean mu: Double, priorStd sigma: Double) -> Double {
        (log(sigma / s) + (s * s + (m - mu) * (m - mu)) / (2 * sigma * sigma) - 0.5) / M_LN2
    }

    /// D∞[Q_d ‖ P_d] = log2 sup dQ_d/dP_d in bits; infinite when Q is not narrower than P (and differs from it).
    public static func dInfinityBits(mean m: Double, std s: Double, priorMean mu: Double, priorStd sigma: Double) -> Double {
        if s < sigma { return (log(sigma / s) + (m - mu) * (m - mu) / (2 * (sigma * sigma - s * s))) / M_LN2 }
        return s == sigma && m == mu ? 0 : .infinity
    }

    /// Σ_d KL and Σ_d D∞ in bits against a fixed-point prior.
    public func divergences(_ prior: RECPrior) -> (kl: Double, dInfinity: Double) {
        var (kl, dInf) = (0.0, 0.0)
        for d in 0..<count {
            let (mu, sigma) = prior.real(d)
            kl += Self.klBits(mean: mean[d], std: std[d], priorMean: mu, priorStd: sigma)
            dInf += Self.dInfinityBits(mean: mean[d], std: std[d], priorMean: mu, priorStd: sigma)
        }
        return (kl, dInf)
    }
}

/// One block as an encoder sees it: the shared candidate generator and, per position, the
/// fixed-point prior, the interval bits and log dQ/dP of the target (spec §14.10).
struct BlockTarget {
    let generator: Philox
    let bits: [UInt8]
    let priorMean: [Int32]
    let priorStd: [UInt32]
    let mu: [Double]
    let sigma: [Double]
    let m: [Double]
    let s: [Double]
    let logScale: [Double]

    init(block: Int, dimensions: Range<Int>, seed: UInt64, layout: RECBlockLayout, prior: RECPrior, target: GaussianTarget) {
        generator = SharedCandidates.blockGenerator(seed: seed, block: block)
        bits = dimensions.map { layout.bits[$0] }
        priorMean = dimensions.map { prior.mean[prior.entry($0)] }
        priorStd = dimensions.map { prior.std[prior.entry($0)] }
        mu = dimensions.map { prior.real($0).mean }
        sigma = dimensions.map { prior.real($0).std }
        m = dimensions.map { target.mean[$0] }
        s = dimensions.map { target.std[$0] }
        logScale = zip(sigma, s).map { log($0 / $1) }
    }

    var count: Int { bits.count }

    /// ln dQ_t/dP_t at a Q16 value.
    @inline(__always)
    func logRatio(_ t: Int, _ value: Int32) -> Double {
        let x = Double(value) * 0x1p-16
        let a = (x - m[t]) / s[t]
        let b = (x - mu[t]) / sigma[t]
        return logScale[t] - 0.5 * a * a + 0.5 * b * b
    }

    /// The Q16 value of position t for word w (spec §14.2, §14.3).
    @inline(__always)
    func value(_ t: Int, word w: UInt32) -> Int32 {
        RECPrior.value(z: GaussianCandidate.q16(w), mean: priorMean[t], std: priorStd[t])
    }

    /// ln dQ/dP of candidate (bin, index) with the given intervals: exactly the values a decoder regenerates.
    func logRatio(bin: UInt32, index: UInt32, intervals: [UInt32]) -> Double {
        var total = 0.0
        var t = 0
        while t < count {
            let out = generator.block((index, bin, UInt32(truncatingIfNeeded: t >> 2), 0))
            let words = [out.0, out.1, out.2, out.3]
            for word in words where t < count {
                let w = SharedCandidates.intervalWord(word, interval: intervals[t], bits: Int(bits[t]))
                total += logRatio(t, value(t, word: w))
                t += 1
            }
        }
        return total
    }
}
