import Foundation

/// Turning float probabilities into integer models (spec §10.2.1, §10.2.2).
///
/// Both methods reproduce constriction 0.5.0 bit for bit: `fast` is
/// `Categorical(p, perfect=False)`, `perfect` is `Categorical(p, perfect=True)`.
/// They run in the encoder only; a decoder reads integer frequencies.
extension CategoricalModel {
    /// constriction's fast quantization, in the arithmetic of `F` (`Float` and `Double` give
    /// different tables, as in constriction). Unlike constriction 0.5.0 it never gives the last
    /// symbols probability 0 when `F` rounding pushes them up to 2^P (spec §10.2.1).
    public static func fastQuantized<F: BinaryFloatingPoint>(_ probabilities: [F], precision: Int = 24) throws(EntropyError) -> CategoricalModel {
        let n = probabilities.count
        guard precisionRange.contains(precision) else {
            throw EntropyError(.badModel, "precision \(precision) is outside 12...24 (spec §10.2)")
        }
        guard n >= 2, n < (1 << precision) - 1, n <= maxSymbols else {
            throw EntropyError(.badModel, "fast quantization takes 2 to 2^P - 2 symbols, not \(n) (spec §10.2.1)")
        }
        try checkProbabilities(probabilities)
        let total = UInt32(1) << precision
        let free = total - UInt32(n)
        var norm: F = 0
        for p in probabilities { norm += p }
        guard norm.isNormal, norm > 0 else {
            throw EntropyError(.badModel, "probabilities sum to \(norm), which cannot be normalised (spec §10.2.1)")
        }
        let scale = F(free) / norm
        var cdf = [UInt32](repeating: 0, count: n + 1)
        var cumulative: F = 0
        for i in 0..<n {
            let left = truncatingU32(cumulative * scale) &+ UInt32(i)
            // Every later symbol keeps at least frequency 1.
            cdf[i] = min(left, total - UInt32(n - i))
            cumulative += probabilities[i]
        }
        cdf[n] = total
        return try CategoricalModel(cdf: cdf, precision: precision)
    }

    /// constriction's perfect quantization: integer weights, each at least 1, summing to 2^P, that
    /// minimise the cross-entropy to `probabilities` (all arithmetic in `Double`; spec §10.2.2).
    /// Weights `w` handed in as `w / 2^P` come back exactly.
    public static func perfectlyQuantized<F: BinaryFloatingPoint>(_ probabilities: [F], precision: Int = 24) throws(EntropyError) -> CategoricalModel {
        let n = probabilities.count
        guard precisionRange.contains(precision) else {
            throw EntropyError(.badModel, "precision \(precision) is outside 12...24 (spec §10.2)")
        }
        guard n >= 2, n <= 1 << precision, n <= maxSymbols else {
            throw EntropyError(.badModel, "perfect quantization takes 2 to 2^P symbols, not \(n) (spec §10.2.2)")
        }
        try checkProbabilities(probabilities)
        let p = probabilities.map { Double($0) }
        var remaining = (UInt32(1) << precision) &- UInt32(n)
        var norm = 0.0
        for x in p { norm += x }
        guard norm.isNormal, norm > 0 else {
            throw EntropyError(.badModel, "probabilities sum to \(norm), which cannot be normalised (spec §10.2.2)")
        }
        let scale = Double(remaining) / norm

        var slots = [QuantizationSlot]()
        slots.reserveCapacity(n)
        for (index, prob) in p.enumerated() {
            let extra = truncatingU32(prob * scale)
            remaining = remaining &- extra
            let weight = extra &+ 1
            let win = prob * log1p(1.0 / Double(weight))
            let loss = weight == 1 ? Double.infinity : -prob * log1p(-1.0 / Double(weight))
            slots.append(QuantizationSlot(index: index, prob: prob, weight: weight, win: win, loss: loss))
        }

        // Hand out what is left evenly to the largest wins. The sort must be stable (ties keep
        // their current order), as constriction's `sort_by` is.
        while remaining != 0 {
            slots = slots.enumerated().sorted { a, b in
                a.element.win > b.element.win || (a.element.win == b.element.win && a.offset < b.offset)
            }.map(\.element)
            let batch = min(Int(remaining), n)
            for i in 0..<batch {
                slots[i].weight += 1
                slots[i].win = slots[i].prob * log1p(1.0 / Double(slots[i].weight))
                slots[i].loss = -slots[i].prob * log1p(-1.0 / Double(slots[i].weight))
            }
            remaining -= UInt32(batch)
        }

        // Trade single units from the smallest loss to the largest win until no trade helps.
        // Ties: the last largest win (Rust's max_by), the first smallest loss (Rust's min_by).
        while true {
            var buyer = 0
            var seller = 0
            for i in slots.indices {
                if slots[i].win >= slots[buyer].win { buyer = i }
                if slots[i].loss < slots[seller].loss { seller = i }
            }
            if buyer == seller || slots[buyer].win <= slots[seller].loss { break }
            slots[seller].weight -= 1
            slots[seller].win = -.infinity
            slots[seller].loss = slots[seller].weight == 1 ? .infinity : -slots[seller].prob * log1p(-1.0 / Double(slots[seller].weight))
            slots[buyer].weight += 1
            slots[buyer].loss = .infinity
            slots[buyer].win = slots[buyer].prob * log1p(1.0 / Double(slots[buyer].weight))
        }

        var weights = [UInt32](repeating: 0, count: n)
        for slot in slots { weights[slot.index] = slot.weight }
        return try CategoricalModel(frequencies: weights, precision: precision)
    }

    private static func checkProbabilities<F: BinaryFloatingPoint>(_ probabilities: [F]) throws(EntropyError) {
        if let bad = probabilities.firstIndex(where: { !($0 >= 0) || !$0.isFinite }) {
            throw EntropyError(.badModel, "probability \(bad) is negative or not finite (spec §10.2.1)")
        }
    }
}

/// One symbol's state in perfect quantization: its weight, and what one unit more or less would change.
private struct QuantizationSlot {
    var index: Int
    var prob: Double
    var weight: UInt32
    var win: Double
    var loss: Double
}

/// Rust's `as u32` for floats: truncation toward zero, saturating, NaN to 0.
@inline(__always)
func truncatingU32<F: BinaryFloatingPoint>(_ x: F) -> UInt32 {
    if !(x > 0) { return 0 }
    if x >= F(UInt32.max) { return UInt32.max }
    return UInt32(x)
}
