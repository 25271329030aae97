import Dispatch
import Foundation
import LCAEContext
import LCAEEntropy
import LCAEInspect
import LCAESupport

/// `lcae bench`: entropy-coder throughput on two fixed workloads (issue targets in README's benchmark section).
///
/// categorical256: one 256-symbol model, symbols drawn from it.
/// gaussian64: 64 quantized Gaussian tables over -128...127 (means uniform in
/// [-50, 50], standard deviations log-uniform in [0.5, 20]); each symbol uses
/// a random table and is drawn from it.
package struct EntropyBenchmark: Sendable {
    package struct Record: Sendable {
        package var caseName: String
        package var op: String
        package var lanes: Int
        package var threads: Int
        package var substreams: Int
        package var nsPerSymbol: Double
        package var bitsPerSymbol: Double
        package var crossEntropyBits: Double

        package var json: JSONValue {
            .object([
                ("case", .string(caseName)), ("op", .string(op)), ("lanes", .int(lanes)), ("threads", .int(threads)),
                ("substreams", .int(substreams)), ("ns_per_symbol", .double(nsPerSymbol)),
                ("bits_per_symbol", .double(bitsPerSymbol)), ("cross_entropy_bits", .double(crossEntropyBits)),
            ])
        }
    }

    /// One workload: models, per-symbol model index (nil for one model), symbols.
    package struct Workload: Sendable {
        package var name: String
        package var models: ModelSet
        package var modelIndex: [UInt16]?
        package var symbols: [Int32]
        /// (mean, std) of each Gaussian table; empty for categorical256.
        package var gaussianParameters: [(Double, Double)]

        /// Empirical cross-entropy of the symbols under their models, in bits per symbol.
        package var crossEntropyBits: Double {
            var counts = [[Int]](repeating: [], count: models.count)
            for m in 0..<models.count { counts[m] = Array(repeating: 0, count: models.models[m].symbolCount) }
            for (i, s) in symbols.enumerated() { counts[modelIndex.map { Int($0[i]) } ?? 0][Int(s)] += 1 }
            var bits = 0.0
            for m in 0..<models.count { bits += models.models[m].crossEntropyBits(counts: counts[m]) }
            return bits / Double(max(1, symbols.count))
        }
    }

    package var symbols: Int
    package var repeats: Int
    package var seed: UInt64

    package init(symbols: Int = 10_000_000, repeats: Int = 5, seed: UInt64 = 0x4C43_4145) {
        self.symbols = symbols
        self.repeats = repeats
        self.seed = seed
    }

    // MARK: Workloads

    /// The workload of that name, or nil.
    package func workload(named name: String) throws(EntropyError) -> Workload? {
        switch name {
        case "categorical256": try categorical256()
        case "gaussian64": try gaussian64()
        default: nil
        }
    }

    package func categorical256() throws(EntropyError) -> Workload {
        var rng = SplitMix64(seed: seed)
        let probabilities = (0..<256).map { _ in pow(rng.unit(), 2) + 1e-3 }
        let model = try CategoricalModel.perfectlyQuantized(probabilities)
        let symbols = (0..<self.symbols).map { _ in Int32(model.symbol(for: UInt32(rng.next() >> 40))) }
        return Workload(name: "categorical256", models: try ModelSet([model]), modelIndex: nil, symbols: symbols, gaussianParameters: [])
    }

    package func gaussian64() throws(EntropyError) -> Workload {
        var rng = SplitMix64(seed: seed ^ 0x6761_7573_7336_34)
        var parameters: [(Double, Double)] = []
        var models: [CategoricalModel] = []
        for _ in 0..<64 {
            let mean = rng.unit() * 100 - 50
            let std = exp(log(0.5) + rng.unit() * (log(20.0) - log(0.5)))
            parameters.append((mean, std))
            models.append(try .fastQuantized(Self.gaussianMass(mean: mean, std: std)))
        }
        var index = [UInt16](repeating: 0, count: symbols)
        var values = [Int32](repeating: 0, count: symbols)
        for i in 0..<symbols {
            let m = Int(rng.next() >> 58)
            index[i] = UInt16(m)
            values[i] = Int32(models[m].symbol(for: UInt32(rng.next() >> 40)))
        }
        return Workload(name: "gaussian64", models: try ModelSet(models), modelIndex: index, symbols: values, gaussianParameters: parameters)
    }

    /// The mass of N(mean, std) on each integer of -128...127, tails folded into the end symbols.
    static func gaussianMass(mean: Double, std: Double) -> [Double] {
        func cdf(_ x: Double) -> Double { 0.5 * erfc(-(x - mean) / (std * 2.0.squareRoot())) }
        return (-128...127).map { s in
            let low = s == -128 ? 0 : cdf(Double(s) - 0.5)
            let high = s == 127 ? 1 : cdf(Double(s) + 0.5)
            return max(high - low, 0)
        }
    }

    // MARK: Running

    /// Runs every configuration of one workload; `progress` gets a line per configuration.
    package func run(_ workload: Workload, progress: (String) -> Void = { _ in }) throws(EntropyError) -> [Record] {
        let crossEntropy = workload.crossEntropyBits
        var records: [Record] = []
        // (lanes, threads, substreams): one core over one substream, then one and two threads over eight.
        var configurations: [(Int, Int, Int)] = [1, 2, 4, 8].map { ($0, 1, 1) }
        configurations += [(4, 1, 8), (4, 2, 8), (8, 1, 8), (8, 2, 8)]
        for (lanes, threads, substreams) in configurations {
            var payload = RansPayload(lanes: lanes, substreams: [])
            var encodeTimes: [Double] = []
            var decodeTimes: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                payload = try RansPayload.encode(
                    workload.symbols, modelIndex: workload.modelIndex, models: workload.models, lanes: lanes,
                    substreams: substreams, threads: threads)
                encodeTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start))
            }
            // Decode into one reused buffer: a codec owns its latent buffer, and a fresh allocation of
            // tens of megabytes would add the kernel's page faults to every run.
            var decoded = [Int32](repeating: 0, count: workload.symbols.count)
            for _ in 0..<repeats {
                var output = decoded.mutableSpan
                let start = DispatchTime.now().uptimeNanoseconds
                try payload.decode(into: &output, modelIndex: workload.modelIndex, models: workload.models, threads: threads)
                decodeTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start))
            }
            guard decoded == workload.symbols else {
                throw EntropyError(.desynchronised, "benchmark decode of \(workload.name) differs from the input")
            }
            let n = Double(max(1, workload.symbols.count))
            let bits = Double(32 * payload.wordCount) / n
            for (op, times) in [("encode", encodeTimes), ("decode", decodeTimes)] {
                let record = Record(
                    caseName: workload.name, op: op, lanes: lanes, threads: threads, substreams: substreams,
                    nsPerSymbol: Self.median(times) / n, bitsPerSymbol: bits, crossEntropyBits: crossEntropy)
                records.append(record)
                progress(String(format: "%@ %@ lanes %d threads %d substreams %d: %.2f ns/symbol", workload.name, op, lanes, threads, substreams, record.nsPerSymbol))
            }
        }
        return records
    }

    /// Context-coded latents (spec chapter 12): encode and decode ns per value, context derivation
    /// included, one thread, one substream, for each lane count.
    package func runLatents(_ tensor: LatentTensor, tables: ContextTables, progress: (String) -> Void = { _ in }) throws(EntropyError) -> [Record] {
        var records: [Record] = []
        let n = Double(max(1, tensor.values.count))
        let prepared = try LatentCoder.Prepared(tables)
        for lanes in [1, 2, 4, 8] {
            var coded = LatentCoder.Coded(activation: RansPayload(lanes: 1, substreams: []), values: RansPayload(lanes: lanes, substreams: []))
            var encodeTimes: [Double] = []
            var decodeTimes: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                coded = try LatentCoder.encode(tensor, prepared: prepared, lanes: lanes)
                encodeTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start))
            }
            let active = try LatentCoder.activity(coded.activation, tables: tables)
            let decoding = try LatentCoder.DecodingTables(tables, active: active)
            var decoded = tensor
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                decoded = try LatentCoder.decode(coded.values, active: active, decoding: decoding, height: tensor.height, width: tensor.width)
                decodeTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start))
            }
            guard decoded == tensor else {
                throw EntropyError(.desynchronised, "benchmark decode of the latent differs from the input")
            }
            let bits = Double(32 * (coded.values.wordCount + coded.activation.wordCount)) / n
            for (op, times) in [("encode", encodeTimes), ("decode", decodeTimes)] {
                let record = Record(caseName: "latents", op: op, lanes: lanes, threads: 1, substreams: 1,
                                    nsPerSymbol: Self.median(times) / n, bitsPerSymbol: bits, crossEntropyBits: .nan)
                records.append(record)
                progress(String(format: "latents %@ lanes %d: %.2f ns/value (%.0f million values/s)", op, lanes, record.nsPerSymbol, 1000 / record.nsPerSymbol))
            }
        }
        return records
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
