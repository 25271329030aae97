import Foundation
@testable import LCAE
@testable import LCAEContainer
@testable import LCAEREC
@testable import LCAESupport
import Testing

/// Chapter 14 against an independent implementation (tools/rec_reference.py, written from the
/// spec, stdlib only): Philox, q16, blocks, partition, regenerated candidates and index streams.
@Suite("REC: vectors from the independent Python implementation")
struct RECVectorTests {
    struct Vectors: Decodable {
        struct PhiloxCase: Decodable { var key: [UInt32]; var counter: [UInt32]; var output: [UInt32] }
        struct Q16Case: Decodable { var u: UInt32; var z: Int32 }
        struct Message: Decodable { var intervals: [UInt32]; var index: UInt32 }
        struct Case: Decodable {
            var name: String
            var method: UInt8
            var seed: String
            var bits_per_block: Int
            var max_block_dims: Int
            var prior: [[Int64]]
            var info: [UInt16]
            var index_bits: Int
            var zeta_ratio: UInt16
            var blocks: [[Int]]
            var bits: [UInt8]
            var messages: [Message]
            var words: [UInt32]
            var values: [Int32]
        }
        var philox: [PhiloxCase]
        var q16: [Q16Case]
        var cases: [Case]
    }

    static let vectors: Vectors = {
        let data = (try? Data(contentsOf: Fixtures.root.appendingPathComponent("Tests/LCAETests/Vectors/rec.json"))) ?? Data()
        return (try? JSONDecoder().decode(Vectors.self, from: data)) ?? Vectors(philox: [], q16: [], cases: [])
    }()

    @Test("the vector file is there and non-trivial")
    func present() {
        #expect(Self.vectors.philox.count == 3 && Self.vectors.q16.count == 12 && Self.vectors.cases.count == 4)
    }

    @Test("Philox4x32-10 and q16 answers match the Python implementation")
    func primitives() {
        for c in Self.vectors.philox {
            let out = Philox(key: (c.key[0], c.key[1])).block((c.counter[0], c.counter[1], c.counter[2], c.counter[3]))
            #expect([out.0, out.1, out.2, out.3] == c.output)
        }
        for c in Self.vectors.q16 {
            #expect(GaussianCandidate.q16(c.u) == c.z, "u = \(c.u)")
        }
    }

    @Test("blocks, partition, index stream and regenerated values match, for every method", arguments: 0..<4)
    func cases(_ i: Int) throws {
        guard i < Self.vectors.cases.count else { Issue.record("missing case \(i)"); return }
        let c = Self.vectors.cases[i]
        let method = try #require(RECMethod(rawValue: c.method))
        let layout = RECBlockLayout(info: c.info, bitsPerBlock: c.bits_per_block, maxBlockDims: c.max_block_dims, partitioned: method.isPartitioned)
        #expect(layout.blocks.map { [$0.lowerBound, $0.upperBound] } == c.blocks, "\(c.name) blocks")
        #expect(layout.bits == c.bits, "\(c.name) bits")
        let messages = c.messages.map { ZetaIndexCode.Message(intervals: $0.intervals, index: $0.index) }
        let blockBits = layout.blocks.map { layout.bits[$0] }
        let words = try ZetaIndexCode.encode(messages, blockBits: blockBits, exact: method.isExact, indexBits: c.index_bits, zetaRatio: c.zeta_ratio)
        #expect(words == c.words, "\(c.name) index stream")
        let decoded = try ZetaIndexCode.decode(c.words, at: 0, blockBits: blockBits, exact: method.isExact, indexBits: c.index_bits, zetaRatio: c.zeta_ratio)
        #expect(decoded == messages, "\(c.name) decoded messages")
        let prior = try #require(RECPrior(mean: c.prior.map { Int32($0[0]) }, std: c.prior.map { UInt32($0[1]) }))
        let chunk = RECChunk(latentIndex: 0, method: method, seed: try #require(UInt64(c.seed)), bitsPerBlock: c.bits_per_block,
                             indexBits: c.index_bits, maxBlockDims: c.max_block_dims, zetaRatio: c.zeta_ratio, blockCount: c.blocks.count,
                             prior: prior, info: c.info, words: c.words)
        let (parsed, offsets) = try RECChunk.parse(chunk.chunk.payload, at: 0, dimensions: c.info.count, limits: Level.highest)
        #expect(parsed == chunk)
        #expect(try RECChunk.decode(parsed, offsets, limits: Level.highest) == c.values, "\(c.name) values")
    }
}

/// Encoders: round trips, the candidate scored is the one regenerated, exactness, speed-up in steps.
@Suite("REC: encoders")
struct RECEncoderTests {
    static let prior = RECPrior(mean: [0.0], std: [1.0])!

    /// A 3-D target of about 2.3 bits, the last dimension collapsed onto the prior.
    static let small = GaussianTarget(mean: [1.0, -0.5, 0], std: [0.3, 0.6, 1.0])!
    /// A 5-D target of about 9 bits KL and 12 bits D∞, the last dimension collapsed.
    static let medium = GaussianTarget(mean: [1.2, -0.9, 0.5, 0.2, 0], std: [0.08, 0.2, 0.4, 0.7, 1.0])!

    static func decodeValues(_ container: ContainerStream) throws -> [Int32] {
        try LatentDecoder().decodeAll(ContainerReader().read(container.bytes())).continuous[0].tensor.values
    }

    @Test("every method round-trips: the decoder regenerates exactly the candidate the encoder scored", arguments: RECMethod.allCases)
    func roundTrip(_ method: RECMethod) throws {
        let target = Self.medium
        let info = RECEncoder.information(target, Self.prior)
        let encoder = RECEncoder(method: method, seed: 99, bitsPerBlock: 5, maxBlockDims: 4, log2Candidates: method.isExact ? nil : 8)
        let (container, report) = try encoder.container(target, prior: Self.prior, info: info, channels: 1, height: 1, width: 5)
        let values = try Self.decodeValues(container)
        let rec = try #require(LatentDecoder().decodeAll(ContainerReader().read(container.bytes())).continuous.first?.chunk)
        let layout = rec.layout
        #expect(layout.blocks.count > 1, "the budget splits the latent into several blocks")
        #expect(report.blocks == layout.blocks.count)
        if method.isExact { #expect(report.certified) }
        for (b, block) in layout.blocks.enumerated() {
            let message = report.messages[b]
            var intervals = [UInt32](repeating: 0, count: block.count)
            var next = message.intervals.makeIterator()
            for (t, d) in block.enumerated() where layout.bits[d] > 0 { intervals[t] = next.next() ?? 0 }
            let bin = SharedCandidates.bin(intervals, bits: layout.bits[block])
            let target = BlockTarget(block: b, dimensions: block, seed: 99, layout: layout, prior: Self.prior, target: target)
            // The encoder's score of its winner, against log r of the decoded values.
            let scored = target.logRatio(bin: bin, index: message.index, intervals: intervals)
            let regenerated = block.enumerated().reduce(0.0) { $0 + target.logRatio($1.offset, values[$1.element]) }
            #expect(scored == regenerated, "block \(b)")
        }
    }

    /// Kolmogorov–Smirnov statistic of samples against N(m, s).
    static func ks(_ samples: [Double], mean m: Double, std s: Double) -> Double {
        let sorted = samples.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, x) in sorted.enumerated() {
            let f = 0.5 * erfc(-(x - m) / (s * 2.0.squareRoot()))
            d = max(d, abs(f - Double(i) / n), abs(Double(i + 1) / n - f))
        }
        return d
    }

    /// Samples of one dimension over many seeds (one block holds the whole latent).
    static func samples(_ method: RECMethod, _ target: GaussianTarget, runs: Int, log2Candidates: Int? = nil) throws -> [[Double]] {
        let info = RECEncoder.information(target, prior)
        var out = [[Double]](repeating: [], count: target.count)
        for seed in 0..<runs {
            let encoder = RECEncoder(method: method, seed: UInt64(seed) &* 0x9E37_79B9 &+ 1, bitsPerBlock: 24, log2Candidates: log2Candidates)
            let (container, _) = try encoder.container(target, prior: prior, info: info, channels: 1, height: 1, width: target.count)
            for (d, v) in try decodeValues(container).enumerated() { out[d].append(Double(v) / 65536) }
        }
        return out
    }

    // KS critical value at α ≈ 0.001: 1.95 / √n. Seeds are fixed, so the outcome never changes between runs.
    static let runs = 300
    static let critical = 1.95 / Double(runs).squareRoot()

    @Test("exact methods are exact: decoded samples over many seeds pass KS against Q in every dimension", arguments: [RECMethod.pfr, .spPFR])
    func exactness(_ method: RECMethod) throws {
        let samples = try Self.samples(method, Self.small, runs: Self.runs)
        for d in 0..<Self.small.count {
            let statistic = Self.ks(samples[d], mean: Self.small.mean[d], std: Self.small.std[d])
            #expect(statistic < Self.critical, "\(method) dimension \(d): KS \(statistic)")
        }
    }

    @Test("the KS check has power: ORC with 2 candidates on a 4.5-bit target is refused")
    func ksPower() throws {
        let target = GaussianTarget(mean: [2.0, 0], std: [0.2, 1.0])!
        let samples = try Self.samples(.orc, target, runs: Self.runs, log2Candidates: 1)
        #expect(Self.ks(samples[0], mean: 2.0, std: 0.2) > Self.critical)
    }

    @Test("ORC and SP-ORC with 2^8 candidates on a 2.3-bit target pass KS", arguments: [RECMethod.orc, .spORC])
    func orcEnough(_ method: RECMethod) throws {
        let samples = try Self.samples(method, Self.small, runs: Self.runs, log2Candidates: 8)
        for d in 0..<Self.small.count {
            let statistic = Self.ks(samples[d], mean: Self.small.mean[d], std: Self.small.std[d])
            #expect(statistic < Self.critical, "\(method) dimension \(d): KS \(statistic)")
        }
    }

    @Test("space partitioning cuts PFR's steps, and both keep the codelength bound KL + log2(KL + 1) + 4")
    func stepsAndCodelength() throws {
        let info = RECEncoder.information(Self.medium, Self.prior)
        var steps: [RECMethod: Int] = [:]
        var bits: [RECMethod: Double] = [:]
        var kl = 0.0
        let runs = 12
        for method in [RECMethod.pfr, .spPFR] {
            for seed in 0..<runs {
                let (_, report) = try RECEncoder(method: method, seed: UInt64(seed) + 5, bitsPerBlock: 24)
                    .encode(Self.medium, prior: Self.prior, info: info)
                #expect(report.certified)
                steps[method, default: 0] += report.steps
                bits[method, default: 0] += report.indexBits
                kl = report.klBits
            }
        }
        #expect((steps[.spPFR] ?? 0) * 10 < steps[.pfr] ?? 0, "steps \(steps)")
        for method in [RECMethod.pfr, .spPFR] {
            let mean = (bits[method] ?? 0) / Double(runs)
            #expect(mean <= kl + log2(kl + 1) + 4, "\(method): \(mean) bits for KL \(kl)")
        }
    }
}
