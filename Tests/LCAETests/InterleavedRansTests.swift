import Foundation
@testable import LCAEEntropy
@testable import LCAESupport
import Testing

@Suite("Interleaved rANS, escapes and payloads")
struct InterleavedRansTests {
    /// A random model with `n` symbols at `precision`, every frequency at least 1.
    static func randomModel(_ n: Int, precision: Int = 24, _ rng: inout SplitMix64) throws -> CategoricalModel {
        let weights = (0..<n).map { _ in pow(rng.unit(), 3) + 1e-4 }
        return try .fastQuantized(weights, precision: precision)
    }

    static func draw(_ model: CategoricalModel, _ rng: inout SplitMix64) -> Int32 {
        Int32(model.symbol(for: UInt32(rng.next() >> UInt64(64 - model.precision))))
    }

    static func roundTrip(_ values: [Int32], index: [UInt16]?, models: ModelSet, lanes: Int) throws -> [UInt32] {
        let words = try InterleavedRans.encode(values.span, modelIndex: index?.span, models: models, lanes: lanes)
        var decoded = [Int32](repeating: 0, count: values.count)
        var output = decoded.mutableSpan
        try InterleavedRans.decode(words.span, into: &output, modelIndex: index?.span, models: models, lanes: lanes)
        #expect(decoded == values, "lanes \(lanes), \(values.count) values")
        return words
    }

    @Test("a model's symbol for every quantile is the one whose interval holds it (spec §10.2)", arguments: [2, 3, 40, 300, 3000])
    func symbolForQuantile(symbols n: Int) throws {
        var rng = SplitMix64(seed: UInt64(n))
        for precision in [12, 14, 16] {
            // Narrow and wide intervals side by side, so that buckets hold one symbol, several, or part of one.
            let model = try Self.randomModel(n, precision: precision, &rng)
            // Context tables' models have no lookup and search instead.
            let searched = try CategoricalModel(frequencies: model.frequencies, precision: precision, lookup: false)
            #expect(searched == model)
            var expected = 0
            for quantile in 0..<(UInt32(1) << UInt32(precision)) {
                while model.cdf[expected + 1] <= quantile { expected += 1 }
                let found = (model.symbol(for: quantile), searched.symbol(for: quantile))
                #expect(found == (expected, expected), "n \(n), P \(precision), quantile \(quantile)")
                if found != (expected, expected) { return }
            }
        }
    }

    @Test("one lane is constriction's AnsCoder word for word")
    func oneLaneIsAnsCoder() throws {
        var rng = SplitMix64(seed: 1)
        for trial in 0..<30 {
            let models = try (0..<4).map { _ in try Self.randomModel(2 + Int(rng.next() % 300), &rng) }
            let count = Int(rng.next() % 2000)
            let index = (0..<count).map { _ in UInt16(rng.next() % 4) }
            let values = index.map { Self.draw(models[Int($0)], &rng) }
            let words = try Self.roundTrip(values, index: index, models: ModelSet(models), lanes: 1)
            var reference = AnsCoder()
            try reference.encodeReverse(values, models: index.map { models[Int($0)] })
            #expect(try reference.compressed() == words, "trial \(trial)")
        }
    }

    @Test("every lane count round-trips any length, one model or one per value, at any precision")
    func lanes() throws {
        var rng = SplitMix64(seed: 2)
        for precision in [12, 16, 24] {
            let models = try (0..<3).map { _ in try Self.randomModel(2 + Int(rng.next() % 200), precision: precision, &rng) }
            let set = try ModelSet(models)
            for lanes in [1, 2, 4, 8] {
                for count in [0, 1, 3, 7, 8, 9, 17, 1000] {
                    let index = (0..<count).map { _ in UInt16(rng.next() % 3) }
                    let values = index.map { Self.draw(models[Int($0)], &rng) }
                    _ = try Self.roundTrip(values, index: index, models: set, lanes: lanes)
                    let single = (0..<count).map { _ in Self.draw(models[0], &rng) }
                    _ = try Self.roundTrip(single, index: nil, models: try ModelSet([models[0]]), lanes: lanes)
                }
            }
        }
    }

    @Test("escapes code every Int32, including values far outside the table's range")
    func escapes() throws {
        var rng = SplitMix64(seed: 3)
        let model = try Self.randomModel(17, precision: 16, &rng)
        for offset: Int32 in [0, -8, Int32.min, Int32.max - 16, 1000] {
            let set = try ModelSet([model], offsets: [offset], escapes: [true])
            var values: [Int32] = [Int32.min, Int32.max, 0, -1, 1, offset, offset &+ 15, offset &+ 16, offset &- 1]
            for _ in 0..<500 {
                values.append(rng.next() % 4 == 0 ? Int32(truncatingIfNeeded: rng.next()) : offset &+ Int32(rng.next() % 20) &- 2)
            }
            for lanes in [1, 4, 8] {
                _ = try Self.roundTrip(values, index: nil, models: set, lanes: lanes)
            }
        }
    }

    @Test("a value outside a model without escape is refused by the encoder")
    func impossible() throws {
        var rng = SplitMix64(seed: 4)
        let set = try ModelSet([Self.randomModel(4, &rng)])
        #expect(throws: EntropyError.self) {
            _ = try InterleavedRans.encode([Int32(4)].span, models: set, lanes: 1)
        }
    }

    @Test("truncated or damaged words are reported, never trapped on")
    func damage() throws {
        var rng = SplitMix64(seed: 5)
        let model = try Self.randomModel(50, &rng)
        let set = try ModelSet([model], offsets: [-25], escapes: [true])
        let values = (0..<400).map { _ in Int32(truncatingIfNeeded: Int64(Self.draw(model, &rng)) - 25) } + [Int32.max, -70000]
        for lanes in [1, 2, 4, 8] {
            let words = try Self.roundTrip(values, index: nil, models: set, lanes: lanes)
            func decode(_ w: [UInt32]) -> EntropyError? {
                var out = [Int32](repeating: 0, count: values.count)
                var output = out.mutableSpan
                do throws(EntropyError) {
                    try InterleavedRans.decode(w.span, into: &output, models: set, lanes: lanes)
                    return nil
                } catch {
                    return error
                }
            }
            // With one lane, no words is the valid (constriction) code of a run of symbol 0 from state 0,
            // so only non-empty truncations are errors there.
            for cut in (lanes == 1 ? 1 : 0)..<words.count {
                #expect(decode(Array(words.prefix(cut))) != nil, "lanes \(lanes): truncation to \(cut) words went unnoticed")
            }
            // A flip in the bits of a raw escape chunk changes that value but not the state, so the
            // end-state check cannot see it (the decoded-latent hash chunk does); any other flip
            // leaves the lanes away from their initial states.
            var detected = 0
            for k in 0..<words.count {
                var damaged = words
                damaged[k] ^= 1 << UInt32(rng.next() % 32)
                if decode(damaged) != nil { detected += 1 }
            }
            #expect(Double(detected) >= 0.95 * Double(words.count), "lanes \(lanes): \(detected) of \(words.count) flips detected")
        }
    }

    @Test("payload bytes round-trip; decoding with 1 or 2 threads gives the same values")
    func payload() throws {
        var rng = SplitMix64(seed: 6)
        let models = try (0..<2).map { _ in try Self.randomModel(100, &rng) }
        let set = try ModelSet(models)
        let index = (0..<5000).map { _ in UInt16(rng.next() % 2) }
        let values = index.map { Self.draw(models[Int($0)], &rng) }
        for (lanes, substreams) in [(1, 1), (4, 3), (8, 8), (2, 64)] {
            let payload = try RansPayload.encode(values, modelIndex: index, models: set, lanes: lanes, substreams: substreams, threads: 2)
            let parsed = try RansPayload.parse(payload.bytes()[...], expectedValues: values.count)
            #expect(parsed == payload)
            #expect(try parsed.decode(modelIndex: index, models: set, threads: 1) == values)
            #expect(try parsed.decode(modelIndex: index, models: set, threads: 2) == values)
        }
    }

    @Test("malformed payload tables are refused", arguments: [
        ([3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] as [UInt8], EntropyError.Code.badPayload),   // 3 lanes
        ([1, 0, 0, 0, 0], .badPayload),                                                       // no substream
        ([1, 255, 255, 255, 255, 0, 0, 0, 0], .badPayload),                                   // table larger than the payload
        ([1, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0], .badPayload),                               // 5 values, 3 expected
        ([1, 1, 0, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0, 1, 2, 3, 4], .badPayload),                  // 9 words declared, 1 present
        ([1], .badPayload),                                                                   // truncated
    ])
    func malformed(bytes: [UInt8], code: EntropyError.Code) {
        #expect {
            _ = try RansPayload.parse(bytes[...], expectedValues: 3)
        } throws: { ($0 as? EntropyError)?.code == code }
    }

    @Test("an 8-lane stream too short for its lane states is refused")
    func shortLaneStates() throws {
        let set = try ModelSet([CategoricalModel(frequencies: [1 << 23, 1 << 23], precision: 24)])
        var out = [Int32](repeating: 0, count: 2)
        var output = out.mutableSpan
        #expect(throws: EntropyError.self) {
            try InterleavedRans.decode([UInt32](repeating: 7, count: 15).span, into: &output, models: set, lanes: 8)
        }
    }
}

