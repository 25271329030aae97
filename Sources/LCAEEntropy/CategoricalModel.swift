import Foundation

/// A categorical entropy model with integer frequencies at precision P (spec §10.2).
///
/// Symbol s has `left = cdf[s]` and `frequency = cdf[s + 1] - cdf[s]`;
/// `cdf[0] = 0`, `cdf[n] = 2^P`, and every frequency is at least 1. These
/// are checked when the model is built, so coders never meet a bad model.
public struct CategoricalModel: Equatable, Sendable {
    /// The precisions P a model may have, 12 to 24 (spec §10.2).
    public static let precisionRange = 12...24
    /// The most symbols a model may have, whatever its precision (level limits are lower).
    public static let maxSymbols = 1 << 20

    /// The precision P: frequencies sum to 2^P (spec §10.2).
    public let precision: Int
    /// n + 1 cumulative frequencies.
    public let cdf: [UInt32]
    /// `lookup[q >> lookupShift]` is the symbol whose interval holds the bucket's first quantile;
    /// the decoder scans forward from it (spec §10.3.2 defines the result, not this method).
    /// Empty for models that only ever reach a coder through a `ModelSet` (context tables carry
    /// thousands): `symbol(for:)` then searches the CDF.
    @usableFromInline let lookup: [UInt32]
    @usableFromInline let lookupShift: Int

    /// The number of symbols n.
    public var symbolCount: Int { cdf.count - 1 }
    /// 2^P, the sum of all frequencies.
    public var total: UInt32 { UInt32(1) << precision }

    /// A model from integer frequencies, validated (spec §10.2).
    public init(frequencies: [UInt32], precision: Int) throws(EntropyError) {
        try self.init(frequencies: frequencies, precision: precision, lookup: true)
    }

    package init(frequencies: [UInt32], precision: Int, lookup: Bool) throws(EntropyError) {
        guard Self.precisionRange.contains(precision) else {
            throw EntropyError(.badModel, "precision \(precision) is outside 12...24 (spec §10.2)")
        }
        guard !frequencies.isEmpty, frequencies.count <= Self.maxSymbols else {
            throw EntropyError(.badModel, "a model has 1 to \(Self.maxSymbols) symbols, not \(frequencies.count) (spec §10.2)")
        }
        var cdf = [UInt32](repeating: 0, count: frequencies.count + 1)
        var total: UInt64 = 0
        for (symbol, frequency) in frequencies.enumerated() {
            guard frequency >= 1 else {
                throw EntropyError(.badModel, "symbol \(symbol) has frequency 0; every frequency must be at least 1 (spec §10.2)")
            }
            total += UInt64(frequency)
            guard total <= UInt64(1) << precision else {
                throw EntropyError(.badModel, "frequencies sum to more than 2^\(precision) (spec §10.2)")
            }
            cdf[symbol + 1] = UInt32(total)
        }
        guard total == UInt64(1) << precision else {
            throw EntropyError(.badModel, "frequencies sum to \(total), not 2^\(precision) (spec §10.2)")
        }
        self.init(validatedCDF: cdf, precision: precision, lookup: lookup)
    }

    /// A model from a cumulative table `cdf[0] = 0 < cdf[1] < ... < cdf[n] = 2^P`, validated.
    public init(cdf: [UInt32], precision: Int) throws(EntropyError) {
        guard cdf.count >= 2, cdf.first == 0 else {
            throw EntropyError(.badModel, "a CDF has at least 2 entries and starts at 0 (spec §10.2)")
        }
        var frequencies = [UInt32]()
        frequencies.reserveCapacity(cdf.count - 1)
        for i in 1..<cdf.count {
            guard cdf[i] > cdf[i - 1] else {
                throw EntropyError(.badModel, "the CDF is not strictly increasing at symbol \(i - 1) (spec §10.2)")
            }
            frequencies.append(cdf[i] - cdf[i - 1])
        }
        try self.init(frequencies: frequencies, precision: precision)
    }

    /// A model from a table the caller built valid by construction (spec §10.2 holds), without the checks.
    package init(validatedCDF cdf: [UInt32], precision: Int, lookup withLookup: Bool = true) {
        self.precision = precision
        self.cdf = cdf
        let n = cdf.count - 1
        guard withLookup else {
            (lookup, lookupShift) = ([], precision)
            return
        }
        // About 8 buckets per symbol, between 2^8 and 2^16 buckets, never finer than one quantile.
        let bucketBits = min(precision, max(8, min(16, (UInt(n).bitWidth - UInt(n).leadingZeroBitCount) + 3)))
        let shift = precision - bucketBits
        lookupShift = shift
        var lookup = [UInt32](repeating: 0, count: 1 << bucketBits)
        lookup.withUnsafeMutableBufferPointer { lookup in
            cdf.withUnsafeBufferPointer { cdf in
                Self.forEachBucketRun(cdf, shift: shift) { symbol, buckets, _ in
                    UnsafeMutableBufferPointer(rebasing: lookup[buckets]).update(repeating: UInt32(symbol))
                }
            }
        }
        self.lookup = lookup
    }

    /// The buckets of a lookup on the top bits of a quantile (bucket b holds the quantiles
    /// b · 2^shift ..< (b + 1) · 2^shift), symbol by symbol: `body(s, buckets, whole)` for the
    /// buckets whose first quantile lies in s's interval, ⌈cdf[s] / 2^shift⌉ ..< ⌈cdf[s + 1] / 2^shift⌉,
    /// of which those below `whole` lie wholly inside it (all but a last one that cdf[s + 1]
    /// cuts). Every symbol lookup of the package (this type's, `ModelSet`'s and the context
    /// decoder's) is built from it.
    @inlinable @inline(__always)
    package static func forEachBucketRun(_ cdf: UnsafeBufferPointer<UInt32>, shift: Int,
                                 _ body: (_ symbol: Int, _ buckets: Range<Int>, _ whole: Int) -> Void) {
        let round = (1 << shift) - 1
        var bucket = 0
        for symbol in 0..<(cdf.count - 1) {
            let right = Int(cdf[symbol + 1])
            let end = (right + round) >> shift
            if end > bucket {
                body(symbol, bucket..<end, max(bucket, right >> shift))
                bucket = end
            }
        }
    }

    /// c(s), the cumulative frequency below `symbol` (spec §10.2).
    @inlinable
    public func left(_ symbol: Int) -> UInt32 { cdf[symbol] }

    /// f(s), the frequency of `symbol` (spec §10.2).
    @inlinable
    public func frequency(_ symbol: Int) -> UInt32 { cdf[symbol + 1] &- cdf[symbol] }

    /// The symbol whose interval `[cdf[s], cdf[s + 1])` holds `quantile` (< 2^P).
    @inlinable
    public func symbol(for quantile: UInt32) -> Int {
        if lookup.isEmpty { return searchedSymbol(for: quantile) }
        var symbol = Int(lookup[Int(quantile >> UInt32(lookupShift))])
        while cdf[symbol + 1] <= quantile { symbol += 1 }
        return symbol
    }

    /// `symbol(for:)` by binary search: the last s with cdf[s] ≤ quantile.
    @usableFromInline
    func searchedSymbol(for quantile: UInt32) -> Int {
        var (low, high) = (0, cdf.count - 1)
        while high - low > 1 {
            let middle = (low + high) / 2
            if cdf[middle] <= quantile { low = middle } else { high = middle }
        }
        return low
    }

    /// The frequencies, in symbol order.
    @inlinable
    public var frequencies: [UInt32] { (0..<symbolCount).map(frequency) }

    /// Shannon cross-entropy in bits of coding `counts[s]` occurrences of each symbol with this model.
    public func crossEntropyBits(counts: [Int]) -> Double {
        var bits = 0.0
        for (symbol, count) in counts.enumerated() where count > 0 {
            bits -= Double(count) * log2(Double(frequency(symbol)) / Double(total))
        }
        return bits
    }

    /// Models are equal when their precisions and cumulative tables are.
    public static func == (a: CategoricalModel, b: CategoricalModel) -> Bool {
        a.precision == b.precision && a.cdf == b.cdf
    }
}
