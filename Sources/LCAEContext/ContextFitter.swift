import Foundation
import LCAEEntropy

/// Fits context tables to a set of integer latents (“Entropy Coding Improvement for Low-complexity Compressive Auto-encoders” §3.1.3–3.1.5; spec §12.8 describes
/// the reference fitter, which is informative: any tables that pass §12.2 are valid).
///
/// Per channel: the value range and most probable value from its histogram,
/// the activation probability, the threshold that minimises the spatial-only
/// (K1) conditional entropy, then a greedy coding order by the gain of the full
/// (K2) model over K1, and finally one CDF per channel and context from the
/// histograms in that order, quantized with constriction's perfect quantization.
public struct ContextFitter: Sendable {
    /// The precision P of the fitted models, 12 to 24 (spec §12.2).
    public var precision: Int
    /// What a channel's threshold is compared with (spec §12.3).
    public var measure: ContextTables.Measure
    /// The most symbols a channel's table may have, escape included.
    public var maxSymbols: Int
    /// The most thresholds tried per channel.
    public var maxCandidates: Int
    /// Order channels greedily (“Entropy Coding Improvement for Low-complexity Compressive Auto-encoders” §3.1.4); false keeps channel index order.
    public var greedyOrder: Bool
    /// False gives every context of a channel the channel's marginal CDF: the factorized baseline.
    public var contexts: Bool
    /// The share of a channel's values its range may leave to the escape code.
    public var escapeShare = 1e-4
    /// The weight, in values, of a smooth prior added to every histogram, for tables that must
    /// serve latents other than the training ones (a model's tables; 0 fits the training
    /// latents as closely as possible). The prior is a two-sided geometric (discrete Laplace)
    /// distribution around the channel's most probable value with the channel's mean deviation
    /// over all training values as its scale, and the range is widened to where it falls below
    /// 10^-6: a context or channel seen rarely in training, or a value never seen, then costs
    /// what the channel's spread suggests rather than what a near-empty histogram gives.
    public var generalization = 0.0

    /// A fitter with the given settings; `escapeShare` and `generalization` keep their defaults.
    public init(precision: Int = 24, measure: ContextTables.Measure = .deviation, maxSymbols: Int = 256, maxCandidates: Int = 16,
                greedyOrder: Bool = true, contexts: Bool = true) {
        self.precision = precision
        self.measure = measure
        self.maxSymbols = maxSymbols
        self.maxCandidates = maxCandidates
        self.greedyOrder = greedyOrder
        self.contexts = contexts
    }

    /// What the fit measured, in bits over the training latents.
    public struct Report: Sendable {
        /// Per channel, by index: entropy with one CDF per channel (no context).
        public var factorized: [Double]
        /// Per channel: spatial-only contexts (K1) with the chosen threshold.
        public var spatial: [Double]
        /// Per channel: the final model (K1 for the first coded channel, K2 for the others).
        public var full: [Double]
        /// The number of training values, over all latents.
        public var values: Int
    }

    /// Per channel and tensor: the values and their symbols under the channel's range.
    struct ChannelData {
        var offset: Int32
        var symbolCount: Int
        var mostProbable: Int32
        /// `symbols[n]` for tensor n (empty when the channel is inactive there).
        var symbols: [[UInt16]]
        var values: [[Int32]]
        var active: [Bool]
        /// Mean |v − mostProbable| (at least 1/4): the scale of the generalization prior.
        var scale: Double
    }

    static func laplaceScale(_ histogram: [Int32: Int], _ mostProbable: Int32) -> Double {
        var total = 0.0, deviation = 0.0
        for (v, count) in histogram {
            total += Double(count)
            deviation += Double(count) * Double(abs(Int64(v) - Int64(mostProbable)))
        }
        return max(total > 0 ? deviation / total : 0, 0.25)
    }

    /// The discrete Laplace distribution θ^|v − m| (θ = e^(−1/scale)) over the channel's symbols,
    /// the escape taking the mass of every value outside the range.
    static func laplacePrior(_ d: ChannelData, scale: Double) -> [Double] {
        let theta = exp(-1 / scale)
        let n = d.symbolCount
        // Over all integers, Σ θ^|v−m| = (1 + θ) / (1 − θ).
        let whole = (1 + theta) / (1 - theta)
        var p = (0..<(n - 1)).map { s in pow(theta, Double(abs(Int64(d.offset) + Int64(s) - Int64(d.mostProbable)))) }
        let inside = p.reduce(0, +)
        p.append(max(whole - inside, 0) + 1e-6 * whole)
        let sum = p.reduce(0, +)
        return p.map { $0 / sum }
    }

    /// Fits tables to `tensors` (spec §12.8, informative) and reports the entropies it measured.
    ///
    /// The tables satisfy spec §12.2. Throws `EntropyError.badModel` when there
    /// are no tensors, their channel counts differ, `precision` is outside 12...24
    /// or `maxSymbols` is below 3, and the quantizer's errors (spec §10.2.2).
    public func fit(_ tensors: [LatentTensor]) throws -> (ContextTables, Report) {
        guard let first = tensors.first else { throw EntropyError(.badModel, "no latents to fit") }
        guard tensors.allSatisfy({ $0.channels == first.channels }) else {
            throw EntropyError(.badModel, "latents with different channel counts")
        }
        guard CategoricalModel.precisionRange.contains(precision), maxSymbols >= 3 else {
            throw EntropyError(.badModel, "precision 12...24 and at least 3 symbols per table")
        }
        let c = first.channels
        var data: [ChannelData] = []
        for k in 0..<c { data.append(channelData(k, tensors)) }

        // Thresholds: minimise the K1 entropy (“Entropy Coding Improvement for Low-complexity Compressive Auto-encoders” §3.1.5).
        var thresholds: [Int32] = []
        var spatial: [Double] = []
        for k in 0..<c {
            var best: (Int32, Double)?
            for candidate in candidates(data[k]) {
                let bits = entropy(k, threshold: candidate, previous: nil, data, tensors)
                if best == nil || bits < best!.1 { best = (candidate, bits) }
            }
            thresholds.append(best?.0 ?? defaultThreshold(data[k]))
            spatial.append(best?.1 ?? 0)
        }

        // Order: the highest K1 entropy first, then the largest K2 gain over K1 (“Entropy Coding Improvement for Low-complexity Compressive Auto-encoders” §3.1.4).
        var order: [Int] = []
        if greedyOrder {
            var remaining = Set(0..<c)
            let firstChannel = (0..<c).max { spatial[$0] < spatial[$1] || (spatial[$0] == spatial[$1] && $0 > $1) } ?? 0
            order.append(firstChannel)
            remaining.remove(firstChannel)
            while !remaining.isEmpty {
                let last = order[order.count - 1]
                var best: (Int, Double)?
                for k in remaining.sorted() {
                    let gain = spatial[k] - entropy(k, threshold: thresholds[k], previous: (last, thresholds[last]), data, tensors)
                    if best == nil || gain > best!.1 { best = (k, gain) }
                }
                order.append(best!.0)
                remaining.remove(best!.0)
            }
        } else {
            order = Array(0..<c)
        }

        // Tables from the histograms in that order (Listing 1 of “Entropy Coding Improvement for Low-complexity Compressive Auto-encoders”).
        let total = Double(UInt64(1) << UInt64(precision))
        var channels = [ContextTables.Channel?](repeating: nil, count: c)
        var full = [Double](repeating: 0, count: c)
        var factorized = [Double](repeating: 0, count: c)
        for (p, k) in order.enumerated() {
            let previous = p == 0 ? nil : (order[p - 1], thresholds[order[p - 1]])
            let contextCount = p == 0 ? 3 : 4
            let counts = histograms(k, threshold: thresholds[k], previous: previous, data, tensors)
            full[k] = Self.entropy(counts, symbols: data[k].symbolCount)
            let n = data[k].symbolCount
            var marginal = [Double](repeating: 0, count: n)
            for ctx in 0..<4 { for s in 0..<n { marginal[s] += Double(counts[ctx * n + s]) } }
            factorized[k] = Self.entropy(marginal.map { Int($0) }, symbols: n)
            let marginalTotal = marginal.reduce(0, +)
            var models: [CategoricalModel] = []
            let smooth = generalization > 0 ? Self.laplacePrior(data[k], scale: data[k].scale) : []
            for ctx in 0..<contextCount {
                // A light prior from the channel's marginal keeps unseen values codable at a fair cost.
                let observed: [Double] = contexts ? (0..<n).map { Double(counts[ctx * n + $0]) } : marginal
                let probabilities: [Double]
                if generalization > 0 {
                    // A Dirichlet prior around the smooth distribution, worth `generalization` values.
                    probabilities = (0..<n).map { observed[$0] + generalization * smooth[$0] }
                } else {
                    let prior = 0.01 * Double(n) / (marginalTotal + Double(n))
                    probabilities = (0..<n).map { s in observed[s] + prior * (marginal[s] + 1) }
                }
                models.append(try CategoricalModel.perfectlyQuantized(probabilities, precision: precision))
            }
            let activeFraction = Double(data[k].active.filter { $0 }.count) / Double(tensors.count)
            let activation = UInt32(min(max((activeFraction * total).rounded(), 1), total - 1))
            channels[k] = ContextTables.Channel(
                threshold: thresholds[k], mostProbable: data[k].mostProbable, activation: activation,
                offset: data[k].offset, models: models)
        }
        let tables = ContextTables(precision: precision, measure: measure, order: order, channels: channels.compactMap { $0 })
        let values = tensors.reduce(0) { $0 + $1.values.count }
        return (tables, Report(factorized: factorized, spatial: spatial, full: full, values: values))
    }

    // MARK: Statistics

    /// The channel's range (a window of at most maxSymbols − 1 values holding the most mass), its
    /// most probable value, and its values as symbols (the escape for values outside the range).
    func channelData(_ k: Int, _ tensors: [LatentTensor]) -> ChannelData {
        var histogram: [Int32: Int] = [:]
        var active: [Bool] = []
        for tensor in tensors {
            let slice = tensor.values[(k * tensor.plane)..<((k + 1) * tensor.plane)]
            for v in slice { histogram[v, default: 0] += 1 }
        }
        let mostProbable = histogram.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 0
        var keys = histogram.keys.sorted()
        // Leave the rarest tails to the escape code: trim the cheaper side while the trimmed mass
        // stays within `escapeShare` of the values (never past the most probable value).
        let total = histogram.values.reduce(0, +)
        var budget = Int(Double(total) * escapeShare)
        while keys.count > 2 {
            let (first, last) = (keys[0], keys[keys.count - 1])
            let (low, high) = (histogram[first] ?? 0, histogram[last] ?? 0)
            if low <= high && low <= budget && first != mostProbable {
                budget -= low
                keys.removeFirst()
            } else if high <= budget && last != mostProbable {
                budget -= high
                keys.removeLast()
            } else {
                break
            }
        }
        let width = maxSymbols - 1
        var low = keys.first ?? 0
        if let lowest = keys.first, let highest = keys.last, Int64(highest) - Int64(lowest) + 1 > Int64(width) {
            // Slide a window of `width` values over the sorted keys; keep the one with most mass.
            var best = (mass: -1, low: lowest)
            var mass = 0
            var tail = 0
            for key in keys {
                mass += histogram[key] ?? 0
                while Int64(key) - Int64(keys[tail]) + 1 > Int64(width) {
                    mass -= histogram[keys[tail]] ?? 0
                    tail += 1
                }
                if mass > best.mass { best = (mass, keys[tail]) }
            }
            low = best.low
            // Keep the most probable value inside the window.
            if Int64(mostProbable) < Int64(low) { low = mostProbable }
            if Int64(mostProbable) > Int64(low) + Int64(width) - 1 { low = Int32(Int64(mostProbable) - Int64(width) + 1) }
        }
        var high = min(Int64(keys.last ?? 0), Int64(low) + Int64(width) - 1)
        if generalization > 0 {
            // Widen towards where the prior's tail falls below 10^-6, as far as the symbol budget
            // allows, sharing the room between the two sides.
            let reach = Int64((Self.laplaceScale(histogram, mostProbable) * log(1e6)).rounded(.up))
            let wantLeft = max(0, Int64(low) - max(Int64(mostProbable) - reach, Int64(Int32.min) + 1))
            let wantRight = max(0, min(Int64(mostProbable) + reach, Int64(Int32.max) - 1) - high)
            let room = Int64(width) - (high - Int64(low) + 1)
            let left = min(wantLeft, max(room / 2, room - wantRight))
            let right = min(wantRight, room - left)
            low = Int32(Int64(low) - left)
            high += right
        }
        let count = Int(min(Int64(width), high - Int64(low) + 1))
        let symbolCount = max(count, 1) + 1
        // Thresholds need at least two regular values; widen a one-value range.
        let n = max(symbolCount, 3)
        var symbols: [[UInt16]] = []
        var values: [[Int32]] = []
        for tensor in tensors {
            let slice = Array(tensor.values[(k * tensor.plane)..<((k + 1) * tensor.plane)])
            let isActive = slice.contains { $0 != mostProbable }
            active.append(isActive)
            values.append(slice)
            symbols.append(slice.map { v in
                let s = Int64(v) - Int64(low)
                return s >= 0 && s < Int64(n - 1) ? UInt16(s) : UInt16(n - 1)
            })
        }
        return ChannelData(offset: low, symbolCount: n, mostProbable: mostProbable, symbols: symbols, values: values, active: active,
                           scale: Self.laplaceScale(histogram, mostProbable))
    }

    /// Thresholds worth trying, within what spec §12.2 allows.
    func candidates(_ d: ChannelData) -> [Int32] {
        switch measure {
        case .deviation:
            return (1...min(d.symbolCount - 1, maxCandidates)).map { Int32($0) }
        case .value:
            let low = Int64(d.offset) + 1
            let high = Int64(d.offset) + Int64(d.symbolCount) - 2
            guard low <= high else { return [] }
            let span = high - low + 1
            let step = max(1, span / Int64(maxCandidates))
            return stride(from: low, through: high, by: Int(step)).map { Int32($0) }
        }
    }

    func defaultThreshold(_ d: ChannelData) -> Int32 {
        measure == .deviation ? 1 : d.offset + 1
    }

    /// Counts per (context, symbol) of channel k over the tensors where it is active, contexts from
    /// left and top (K1) and, with `previous`, the same place in that channel (K2) (spec §12.3).
    func histograms(_ k: Int, threshold: Int32, previous: (Int, Int32)?, _ data: [ChannelData], _ tensors: [LatentTensor]) -> [Int] {
        let d = data[k]
        let n = d.symbolCount
        var counts = [Int](repeating: 0, count: 4 * n)
        for (index, tensor) in tensors.enumerated() where d.active[index] {
            let w = tensor.width
            let rule = ContextTables.Reach(threshold: threshold, mostProbable: d.mostProbable, measure: measure)
            let reach = d.values[index].map(rule.reaches)
            let previousReach: [Bool]? = previous.map { (p, t) in
                let rule = ContextTables.Reach(threshold: t, mostProbable: data[p].mostProbable, measure: measure)
                return data[p].values[index].map(rule.reaches)
            }
            let symbols = d.symbols[index]
            for place in 0..<tensor.plane {
                var ctx = 0
                if place % w != 0 && reach[place - 1] { ctx += 1 }
                if place >= w && reach[place - w] { ctx += 1 }
                if let previousReach, previousReach[place] { ctx += 1 }
                counts[ctx * n + Int(symbols[place])] += 1
            }
        }
        return counts
    }

    func entropy(_ k: Int, threshold: Int32, previous: (Int, Int32)?, _ data: [ChannelData], _ tensors: [LatentTensor]) -> Double {
        Self.entropy(histograms(k, threshold: threshold, previous: previous, data, tensors), symbols: data[k].symbolCount)
    }

    /// Σ over contexts of the empirical entropy of the symbols in that context, in bits.
    static func entropy(_ counts: [Int], symbols n: Int) -> Double {
        var bits = 0.0
        for ctx in 0..<(counts.count / n) {
            let row = counts[(ctx * n)..<((ctx + 1) * n)]
            let total = Double(row.reduce(0, +))
            for count in row where count > 0 {
                bits -= Double(count) * log2(Double(count) / total)
            }
        }
        return bits
    }
}
