/// The models of one coded sequence, flattened into arrays for the coding loops (spec §10.4, §10.5).
///
/// Each model maps values to symbols: symbol `s` codes value `offset + s`. A
/// model with an escape reserves its last symbol: values outside
/// `offset ..< offset + n - 1` are coded as the escape symbol followed by a
/// bypass code (spec §10.4). Every model must have the same precision.
public struct ModelSet: Sendable {
    /// The precision P shared by every model of the set.
    public let precision: Int
    /// The models, indexed by model number.
    public let models: [CategoricalModel]
    /// Per model, the value o that symbol 0 codes (spec §10.4).
    public let offsets: [Int32]
    /// Per model, whether its last symbol is the escape (spec §10.4).
    public let hasEscape: [Bool]

    @usableFromInline let info: [ModelInfo]
    @usableFromInline let encodeTable: [EncodeSymbol]
    @usableFromInline let cdf: [UInt32]
    /// The decoder's lookup on the top b bits of a quantile, per model (b = `bucketBits(n)`): 2^b
    /// entries `left | frequency << 32` when the bucket lies inside one symbol's interval (else
    /// `searchFlag`: the decoder searches the cumulative table), followed by the buckets' first
    /// symbols as UInt32. One base pointer reaches both, which saves the loop a register.
    @usableFromInline let buckets: [UInt64]
    static let searchFlag: UInt64 = 1 << 31
    /// The most bucket bits; a 256-symbol model gets them, so its hot path can use constant shifts.
    static let maxBucketBits = 12

    /// About 8 buckets per symbol, at most 2^12: small models stay small, so that the 4 models a
    /// channel's contexts use fit in cache together (spec chapter 12 codes thousands of models).
    package static func bucketBits(_ symbols: Int, precision: Int) -> Int {
        min(precision, maxBucketBits, (UInt(symbols).bitWidth - UInt(symbols).leadingZeroBitCount) + 3)
    }

    /// Models with their value offsets and escape flags (defaults: offset 0, no escape).
    public init(_ models: [CategoricalModel], offsets: [Int32]? = nil, escapes: [Bool]? = nil) throws(EntropyError) {
        try self.init(models, offsets: offsets, escapes: escapes, buckets: true)
    }

    /// Without `buckets`, the set codes but cannot go to `InterleavedRans.decode`: for a decoder
    /// with lookups of its own (chapter 12's), which would otherwise pay for both.
    package init(_ models: [CategoricalModel], offsets: [Int32]?, escapes: [Bool]?, buckets withBuckets: Bool) throws(EntropyError) {
        guard let first = models.first else {
            throw EntropyError(.badModel, "a model set needs at least one model")
        }
        guard models.allSatisfy({ $0.precision == first.precision }) else {
            throw EntropyError(.badModel, "all models of one sequence have the same precision (spec §10.5)")
        }
        let offsets = offsets ?? Array(repeating: 0, count: models.count)
        let escapes = escapes ?? Array(repeating: false, count: models.count)
        guard offsets.count == models.count, escapes.count == models.count else {
            throw EntropyError(.badModel, "one offset and one escape flag per model")
        }
        for (m, model) in models.enumerated() where escapes[m] {
            guard model.symbolCount >= 2 else {
                throw EntropyError(.badModel, "model \(m) has an escape but no other symbol (spec §10.4)")
            }
            // The regular range offset ..< offset + n - 1 must lie within Int32 (spec §10.4).
            guard Int64(offsets[m]) + Int64(model.symbolCount) - 1 <= Int64(Int32.max) + 1 else {
                throw EntropyError(.badModel, "model \(m)'s value range leaves Int32 (spec §10.4)")
            }
        }
        precision = first.precision
        self.models = models
        self.offsets = offsets
        hasEscape = escapes
        var info: [ModelInfo] = []
        var encodeTable: [EncodeSymbol] = []
        var cdf: [UInt32] = []
        var buckets: [UInt64] = []
        for (m, model) in models.enumerated() {
            let bits = Self.bucketBits(model.symbolCount, precision: precision)
            let shift = precision - bits
            info.append(ModelInfo(
                encodeBase: encodeTable.count, cdfBase: cdf.count, bucketBase: buckets.count, bucketBits: bits,
                symbolCount: model.symbolCount, offset: Int64(offsets[m]), escape: escapes[m] ? model.symbolCount - 1 : -1))
            for s in 0..<model.symbolCount {
                encodeTable.append(EncodeSymbol(left: model.left(s), frequency: model.frequency(s), precision: precision))
            }
            cdf += model.cdf
            guard withBuckets else { continue }
            var entries = [UInt64](repeating: Self.searchFlag, count: 1 << bits)
            var symbols = [UInt32](repeating: 0, count: 1 << bits)
            model.cdf.withUnsafeBufferPointer { cdf in
                CategoricalModel.forEachBucketRun(cdf, shift: shift) { s, run, whole in
                    for bucket in run {
                        symbols[bucket] = UInt32(s)
                        if bucket < whole { entries[bucket] = UInt64(cdf[s]) | UInt64(cdf[s + 1] - cdf[s]) << 32 }
                    }
                }
            }
            buckets += entries
            if symbols.count % 2 == 1 { symbols.append(0) }
            for pair in stride(from: 0, to: symbols.count, by: 2) {
                // The decoder loads each symbol as a UInt32 from memory: the first of a pair sits at
                // the slot's lower address, which is its low half on a little-endian machine.
                #if _endian(big)
                buckets.append(UInt64(symbols[pair]) << 32 | UInt64(symbols[pair + 1]))
                #else
                buckets.append(UInt64(symbols[pair]) | UInt64(symbols[pair + 1]) << 32)
                #endif
            }
        }
        self.info = info
        self.encodeTable = encodeTable
        self.cdf = cdf
        self.buckets = buckets
    }

    /// The number of models.
    public var count: Int { models.count }
}

@usableFromInline
struct ModelInfo: Sendable {
    @usableFromInline var encodeBase: Int
    @usableFromInline var cdfBase: Int
    @usableFromInline var bucketBase: Int
    @usableFromInline var bucketBits: Int
    @usableFromInline var symbolCount: Int
    @usableFromInline var offset: Int64
    /// The escape symbol, or -1.
    @usableFromInline var escape: Int
}

/// What the encoder needs of one symbol: `x' = x + left + q × (2^P − frequency)` with
/// `q = x / frequency`, where q comes from a multiply by a reciprocal and one correction,
/// so the hot loop has no division. The result equals spec §10.3.1's formula exactly.
@usableFromInline
struct EncodeSymbol: Sendable {
    @usableFromInline var reciprocal: UInt64
    @usableFromInline var frequency: UInt64
    @usableFromInline var left: UInt64
    @usableFromInline var complement: UInt64
    @usableFromInline var shift: UInt64

    init(left: UInt32, frequency: UInt32, precision: Int) {
        self.frequency = UInt64(frequency)
        self.left = UInt64(left)
        complement = (UInt64(1) << UInt64(precision)) - UInt64(frequency)
        let log = UInt64(31 - frequency.leadingZeroBitCount)
        shift = log
        if frequency & (frequency - 1) == 0 {
            // 2^(64 + log) / frequency would be 2^64; one less keeps the estimate within 1 below.
            reciprocal = .max
        } else {
            // floor(2^(64 + log) / frequency) < 2^64 because frequency > 2^log.
            reciprocal = UInt64(frequency).dividingFullWidth((high: UInt64(1) << log, low: 0)).quotient
        }
    }

    /// floor(x / frequency): the reciprocal estimate is exact or one too small (its error is below 2^-log ≤ 1).
    @inlinable @inline(__always)
    func quotient(_ x: UInt64) -> UInt64 {
        let q = x.multipliedFullWidth(by: reciprocal).high &>> shift
        // Branch-free: the correction is needed for a data-dependent share of symbols.
        return q &+ (x &- q &* frequency >= frequency ? 1 : 0)
    }
}
