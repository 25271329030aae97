import Foundation
@testable import LCAE
@testable import LCAEContainer
@testable import LCAEContext
@testable import LCAESupport
import Testing

@Suite("Context tables and latent coding")
struct ContextTests {
    /// A latent with spatially and inter-channel correlated, mostly small values: a smooth random
    /// field per channel, partly shared with the previous channel, quantized with a channel-dependent step.
    static func latent(channels: Int, height: Int, width: Int, seed: UInt64, inactive: Set<Int> = []) -> LatentTensor {
        var rng = SplitMix64(seed: seed)
        var values = [Int32](repeating: 0, count: channels * height * width)
        var previous = [Double](repeating: 0, count: height * width)
        for k in 0..<channels {
            var field = [Double](repeating: 0, count: height * width)
            for i in 0..<height {
                for j in 0..<width {
                    let noise = (rng.unit() - 0.5) * 4
                    let left = j > 0 ? field[i * width + j - 1] : 0
                    let top = i > 0 ? field[(i - 1) * width + j] : 0
                    field[i * width + j] = 0.3 * left + 0.3 * top + 0.3 * previous[i * width + j] + noise
                }
            }
            let step = 1.0 + Double(k % 3)
            for place in 0..<(height * width) where !inactive.contains(k) {
                values[k * height * width + place] = Int32((field[place] / step).rounded())
            }
            previous = field
        }
        return LatentTensor(channels: channels, height: height, width: width, values: values)
    }

    static func roundTrip(_ tensor: LatentTensor, _ tables: ContextTables, lanes: Int = 4, substreams: Int = 1) throws -> LatentCoder.Coded {
        let coded = try LatentCoder.encode(tensor, tables: tables, lanes: lanes, substreams: substreams, threads: 2)
        let decoded = try LatentCoder.decode(coded, tables: tables, height: tensor.height, width: tensor.width, threads: 2)
        #expect(decoded == tensor, "lanes \(lanes), substreams \(substreams)")
        return coded
    }

    @Test("fitted tables round-trip every latent: lanes, substreams, both measures")
    func roundTrips() throws {
        let training = (0..<4).map { Self.latent(channels: 6, height: 12, width: 10, seed: UInt64($0)) }
        for measure in ContextTables.Measure.allCases {
            let (tables, _) = try ContextFitter(precision: 16, measure: measure).fit(training)
            #expect(try ContextTables.parse(tables.body()[...]) == tables)
            let test = Self.latent(channels: 6, height: 9, width: 13, seed: 99)
            for (lanes, substreams) in [(1, 1), (4, 1), (2, 3), (8, 5)] {
                _ = try Self.roundTrip(test, tables, lanes: lanes, substreams: substreams)
            }
        }
    }

    @Test("values far outside the fitted ranges, all-inactive and single-channel latents round-trip")
    func edges() throws {
        let training = (0..<3).map { Self.latent(channels: 4, height: 8, width: 8, seed: UInt64($0)) }
        let (tables, _) = try ContextFitter(precision: 16).fit(training)
        var wild = Self.latent(channels: 4, height: 8, width: 8, seed: 7)
        wild.values[3] = Int32.max
        wild.values[40] = Int32.min
        wild.values[100] = 123_456
        _ = try Self.roundTrip(wild, tables)
        // Every channel at its most probable value: nothing but activation bits is coded.
        let flat = LatentTensor(channels: 4, height: 8, width: 8, values: (0..<256).map { tables.channels[$0 / 64].mostProbable })
        let coded = try Self.roundTrip(flat, tables)
        #expect(coded.values.valueCount == 0)
        // One inactive channel among active ones.
        _ = try Self.roundTrip(Self.latent(channels: 4, height: 8, width: 8, seed: 8, inactive: [1]), tables)

        let single = [Self.latent(channels: 1, height: 16, width: 16, seed: 3)]
        let (oneChannel, _) = try ContextFitter(precision: 12).fit(single)
        #expect(oneChannel.channels[0].models.count == 3)
        _ = try Self.roundTrip(Self.latent(channels: 1, height: 5, width: 7, seed: 4), oneChannel)
    }

    @Test("the fitted model codes its training data within 0.5 % of the empirical conditional entropy")
    func efficiency() throws {
        let training = (0..<6).map { Self.latent(channels: 8, height: 32, width: 32, seed: UInt64($0)) }
        let (tables, report) = try ContextFitter(precision: 24).fit(training)
        var coded = 0
        for tensor in training {
            coded += 32 * (try LatentCoder.encode(tensor, tables: tables, lanes: 1).values.wordCount)
        }
        let entropy = report.full.reduce(0, +)
        #expect(Double(coded) <= entropy * 1.005 + Double(64 * training.count), "coded \(coded) bits, entropy \(entropy)")
        #expect(report.full.reduce(0, +) < report.factorized.reduce(0, +), "contexts beat one CDF per channel on correlated data")
    }

    @Test("table bodies that break spec §12.2 are refused")
    func badTables() throws {
        let (tables, _) = try ContextFitter(precision: 12).fit([Self.latent(channels: 3, height: 6, width: 6, seed: 1)])
        let body = tables.body()
        func refused(_ edit: (inout [UInt8]) -> Void) -> ContainerError.Code? {
            var damaged = body
            edit(&damaged)
            do {
                _ = try ContextTables.parse(damaged[...])
                return nil
            } catch {
                return error.code
            }
        }
        #expect(refused { $0[0] = 0; $0[1] = 0 } == .badTable)                 // no channel
        #expect(refused { $0[2] = 25 } == .badTable)                          // precision
        #expect(refused { $0[3] = 2 } == .badTable)                           // measure
        #expect(refused { $0[4] = $0[6]; $0[5] = $0[7] } == .badTable)        // order repeats a channel
        #expect(refused { $0.removeLast() } != nil)                           // truncated
        #expect(refused { $0.append(0) } == .badTable)                        // trailing bytes
        // A zero frequency: the first frequency of the first channel's first table.
        let firstFrequency = 4 + 2 * 3 + 19
        #expect(refused { for i in 0..<4 { $0[firstFrequency + i] = 0 } } == .badTable)
        // Every prefix is refused, and every single-bit flip either refused or parsed into valid tables.
        for cut in 0..<body.count {
            #expect(refused { $0 = Array($0.prefix(cut)) } != nil, "prefix \(cut)")
        }
        var limits = Level.level1
        limits.maxChannels = 2
        #expect { try ContextTables.parse(body[...], limits: limits) } throws: { ($0 as? ContainerError)?.code == .limitExceeded }
    }

    @Test("the generalization prior makes tables code latents unlike the training ones at a fair cost, in-sample at a small one")
    func generalization() throws {
        // Channel 2 is never active in training, and channel 0's values are twice as large in the test latent.
        let training = (0..<3).map { Self.latent(channels: 4, height: 12, width: 12, seed: UInt64(10 + $0), inactive: [2]) }
        var test = Self.latent(channels: 4, height: 12, width: 12, seed: 99)
        for p in 0..<test.plane { test.values[p] *= 2 }
        func bytes(_ tables: ContextTables, _ tensor: LatentTensor) throws -> Int {
            try LatentEncoder().container(tensor, tables: tables, placement: .referenced).bytes().count
        }
        var smooth = ContextFitter(precision: 16)
        smooth.generalization = 32
        let plain = try ContextFitter(precision: 16).fit(training).0
        let general = try smooth.fit(training).0
        let (unseen, unseenPlain) = (try bytes(general, test), try bytes(plain, test))
        let (seen, seenPlain) = (try bytes(general, training[0]), try bytes(plain, training[0]))
        #expect(unseen * 10 < unseenPlain * 9, "\(unseen) bytes with the prior, \(unseenPlain) without")
        #expect(seen * 100 < seenPlain * 106, "\(seen) bytes with the prior, \(seenPlain) without")
        // Decoding is unaffected: whatever the tables, the latent comes back.
        let stream = try LatentEncoder().container(test, tables: general, placement: .referenced)
        #expect(try LatentDecoder(available: [general]).decode(ContainerReader().read(stream.bytes()))[0].tensor == test)
    }
}
