/// The Gaussian coding distribution P of a continuous latent in fixed point (spec §14.3):
/// one (mean, std) pair for every dimension, or one shared by all.
public struct RECPrior: Equatable, Sendable {
    /// Means μ in Q16; one entry (shared) or one per dimension.
    public private(set) var mean: [Int32]
    /// Standard deviations σ in Q16, same count as `mean`.
    public private(set) var std: [UInt32]

    /// The largest |μ| in Q16, 2^30 (spec §14.3).
    public static let maxAbsMean: Int64 = 1 << 30
    /// The largest σ in Q16, 2^24 (spec §14.3).
    public static let maxStd: UInt32 = 1 << 24

    /// A prior from Q16 values; nil unless the counts match and every value is in the range of spec §14.3.
    public init?(mean: [Int32], std: [UInt32]) {
        guard !mean.isEmpty, mean.count == std.count,
              mean.allSatisfy({ abs(Int64($0)) <= Self.maxAbsMean }),
              std.allSatisfy({ $0 >= 1 && $0 <= Self.maxStd }) else { return nil }
        self.mean = mean
        self.std = std
    }

    /// A prior from real values, rounded to Q16; nil when a value falls outside spec §14.3's ranges.
    public init?(mean: [Double], std: [Double]) {
        guard mean.count == std.count, mean.allSatisfy(\.isFinite), std.allSatisfy(\.isFinite) else { return nil }
        let m = mean.map { abs($0) <= 16384 ? Int32(($0 * 65536).rounded()) : Int32.max }
        let s = std.map { $0 > 0 && $0 <= 256 ? UInt32(max(1, ($0 * 65536).rounded())) : 0 }
        self.init(mean: m, std: s)
    }

    /// True when one entry serves every dimension (prior_mode 0).
    public var isShared: Bool { mean.count == 1 }

    @inline(__always) func entry(_ dimension: Int) -> Int { isShared ? 0 : dimension }

    /// x = μ + ((σ z + 2^15) >> 16), in 64-bit arithmetic (spec §14.3); fits Int32 for validated μ and σ.
    @inlinable @inline(__always)
    public static func value(z: Int32, mean: Int32, std: UInt32) -> Int32 {
        Int32(truncatingIfNeeded: Int64(mean) + ((Int64(std) * Int64(z) + 0x8000) >> 16))
    }

    /// The prior of one dimension as real numbers, for encoders' scoring.
    public func real(_ dimension: Int) -> (mean: Double, std: Double) {
        let e = entry(dimension)
        return (Double(mean[e]) / 65536, Double(std[e]) / 65536)
    }
}
