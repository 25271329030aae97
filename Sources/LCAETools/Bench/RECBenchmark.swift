import Foundation
import LCAEInspect
import LCAEREC

/// `lcae rec bench`: encoder throughput in candidates per second, per method, on synthetic
/// targets of the study's kind (P = N(0, I), one collapsed dimension). Medians over repeats.
package struct RECBenchmark: Sendable {
    package struct Record: Sendable {
        package var method: RECMethod
        package var dimensions: Int
        package var klBits: Double
        package var candidates: Int
        package var candidatesPerSecond: Double

        package var json: JSONValue {
            .object([("method", .string(method.description)), ("dimensions", .int(dimensions)), ("kl_bits", .double(klBits)),
                     ("candidates", .int(candidates)), ("candidates_per_second", .double(candidatesPerSecond))])
        }
    }

    package var dimensions: Int
    package var repeats: Int
    package var seed: UInt64

    package init(dimensions: Int = 5, repeats: Int = 5, seed: UInt64 = 1) {
        self.dimensions = dimensions
        self.repeats = repeats
        self.seed = seed
    }

    /// A target whose dimensions carry decreasing shares of the information, the last one none.
    package func target(scale: Double) -> GaussianTarget? {
        let shares = (0..<dimensions).map { d in d == dimensions - 1 ? 0.0 : Double(dimensions - 1 - d) }
        let std = shares.map { exp(-scale * $0 / 4) }
        let mean = shares.map { $0 == 0 ? 0 : 0.8 * (1 - exp(-scale * $0 / 4)) }
        return GaussianTarget(mean: mean, std: std)
    }

    /// Runs `method` `repeats` times with different seeds; the median of candidates per second.
    package func run(_ method: RECMethod, scale: Double, bitsPerBlock: Int, log2Candidates: Int?) throws -> Record {
        guard let target = target(scale: scale), let prior = RECPrior(mean: [0.0], std: [1.0]) else {
            throw RECEncoder.Failure.mismatch("bad benchmark target")
        }
        let info = RECEncoder.information(target, prior)
        var rates: [Double] = []
        var candidates = 0
        var kl = 0.0
        for r in 0..<repeats {
            let encoder = RECEncoder(method: method, seed: seed &+ UInt64(r), bitsPerBlock: bitsPerBlock, maxBlockDims: dimensions,
                                     log2Candidates: log2Candidates)
            let start = DispatchTime.now().uptimeNanoseconds
            let (_, report) = try encoder.encode(target, prior: prior, info: info)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            rates.append(Double(report.steps) / seconds)
            candidates += report.steps
            kl = report.klBits
        }
        return Record(method: method, dimensions: dimensions, klBits: kl, candidates: candidates, candidatesPerSecond: EntropyBenchmark.median(rates))
    }
}
