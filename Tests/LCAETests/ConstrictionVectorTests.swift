import Foundation
@testable import LCAEEntropy
@testable import LCAESupport
import Testing

/// Golden vectors written by constriction 0.5.0 itself (tools/constriction_vectors.py);
/// equality with them is what "bit-compatible with constriction" means.
@Suite("constriction golden vectors")
struct ConstrictionVectorTests {
    struct Vectors: Decodable {
        struct Quantized: Decodable {
            var dtype: String
            var probs_bits: [String]
            var cdf: [UInt32]?
            var weights: [UInt32]?
        }
        struct Ans: Decodable {
            var models: [[UInt32]]
            var model_index: [Int]
            var symbols: [Int32]
            var compressed: [UInt32]?
            var seal: Bool?
            var data: [UInt32]?
            var after_pos: [Position]?
            var remainders_pair: [[UInt32]]?
            var data_pair: [[UInt32]]?
        }
        enum Position: Decodable {
            case int(Int)
            case hex(String)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let i = try? c.decode(Int.self) { self = .int(i) } else { self = .hex(try c.decode(String.self)) }
            }
        }
        struct ChainDoc: Decodable {
            var side_info: [UInt32]
            var models: [[UInt32]]
            var support: [Int]
            var symbols: [Int32]
            var remainders_pair: [[UInt32]]
            var data_pair: [[UInt32]]
        }
        struct AnsDoc: Decodable {
            var data: [UInt32]
            var cdfs: [[UInt32]]
            var probs_bits: [[String]]
            var symbols: [Int32]
            var chain_symbols: [Int32]
        }
        var constriction_version: String
        var quantize_fast: [Quantized]
        var quantize_perfect: [Quantized]
        var ans_encode: [Ans]
        var ans_decode: [Ans]
        var ans_seal_roundtrip: [Ans]
        var chain: [Ans]
        var chain_doc_example: ChainDoc
        var ans_doc_example: AnsDoc
    }

    static let vectors: Vectors = {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("Tests/LCAETests/Vectors/constriction.json")))
            return try JSONDecoder().decode(Vectors.self, from: data)
        } catch {
            fatalError("cannot load the constriction vectors: \(error)")
        }
    }()

    static func hex(_ s: String) -> UInt64 { UInt64(s.dropFirst(2), radix: 16) ?? 0 }

    static func models(_ v: Vectors.Ans) throws -> [CategoricalModel] {
        let distinct = try v.models.map { try CategoricalModel(frequencies: $0, precision: 24) }
        return v.model_index.map { distinct[$0] }
    }

    @Test("the vectors come from constriction 0.5.0")
    func version() {
        #expect(Self.vectors.constriction_version == "0.5.0")
        #expect(Self.vectors.ans_encode.count >= 30 && Self.vectors.chain.count >= 20)
    }

    @Test("fast quantization matches Categorical(p, perfect=False) in float32 and float64")
    func fastQuantization() throws {
        for (i, v) in Self.vectors.quantize_fast.enumerated() {
            let model: CategoricalModel
            if v.dtype == "float32" {
                model = try .fastQuantized(v.probs_bits.map { Float(bitPattern: UInt32(Self.hex($0))) })
            } else {
                model = try .fastQuantized(v.probs_bits.map { Double(bitPattern: Self.hex($0)) })
            }
            #expect(model.cdf == v.cdf, "case \(i) (\(v.dtype), \(v.probs_bits.count) symbols)")
        }
    }

    @Test("perfect quantization matches Categorical(p, perfect=True)")
    func perfectQuantization() throws {
        for (i, v) in Self.vectors.quantize_perfect.enumerated() {
            let model: CategoricalModel
            if v.dtype == "float32" {
                model = try .perfectlyQuantized(v.probs_bits.map { Float(bitPattern: UInt32(Self.hex($0))) })
            } else {
                model = try .perfectlyQuantized(v.probs_bits.map { Double(bitPattern: Self.hex($0)) })
            }
            #expect(model.frequencies == v.weights, "case \(i) (\(v.dtype), \(v.probs_bits.count) symbols)")
        }
    }

    @Test("AnsCoder encode gives constriction's words")
    func ansEncode() throws {
        for (i, v) in Self.vectors.ans_encode.enumerated() {
            var coder = AnsCoder()
            try coder.encodeReverse(v.symbols, models: try Self.models(v))
            #expect(try coder.compressed() == v.compressed, "case \(i)")
            var decoder = try AnsCoder(compressed: v.compressed ?? [])
            #expect(try decoder.decode(count: v.symbols.count, models: Self.models(v)) == v.symbols)
            #expect(decoder.isEmpty && decoder.bulk.isEmpty, "case \(i): decoding ends at the initial state")
        }
    }

    @Test("AnsCoder decode of any words gives constriction's symbols and state")
    func ansDecode() throws {
        for (i, v) in Self.vectors.ans_decode.enumerated() {
            var coder = try AnsCoder(compressed: v.data ?? [], seal: v.seal ?? false)
            #expect(try coder.decode(count: v.symbols.count, models: Self.models(v)) == v.symbols, "case \(i)")
            guard case .int(let words) = v.after_pos?[0], case .hex(let state) = v.after_pos?[1] else {
                Issue.record("case \(i) has no after_pos")
                continue
            }
            #expect(coder.position.words == words && coder.position.state == Self.hex(state), "case \(i)")
        }
    }

    @Test("sealed data round-trips through decode, re-encode and unseal")
    func sealRoundTrip() throws {
        for (i, v) in Self.vectors.ans_seal_roundtrip.enumerated() {
            let data = v.data ?? []
            var coder = try AnsCoder(compressed: data, seal: true)
            let models = try Self.models(v)
            let symbols = try coder.decode(count: v.symbols.count, models: models)
            #expect(symbols == v.symbols, "case \(i)")
            try coder.encodeReverse(symbols, models: models)
            #expect(try coder.compressed(unseal: true) == data, "case \(i)")
        }
    }

    @Test("ChainCoder decode, remainders, re-encode and data match constriction")
    func chain() throws {
        for (i, v) in Self.vectors.chain.enumerated() {
            let models = try Self.models(v)
            let seal = v.seal ?? false
            var decoder = try ChainCoder(v.data ?? [], seal: seal)
            #expect(try decoder.decode(count: v.symbols.count, models: models) == v.symbols, "case \(i)")
            let remainders = decoder.remaindersPair()
            #expect([remainders.compressed, remainders.remainders] == v.remainders_pair, "case \(i)")
            var encoder = try ChainCoder(remainders.compressed + remainders.remainders, isRemainders: true)
            try encoder.encodeReverse(v.symbols, models: models)
            let data = try encoder.dataPair(unseal: seal)
            #expect([data.remainders, data.compressed] == v.data_pair, "case \(i)")
            #expect(data.remainders + data.compressed == v.data, "case \(i): bits back recover the data")
        }
    }

    @Test("the bits-back round trip of constriction's documentation of constriction.stream.chain")
    func chainDocExample() throws {
        let v = Self.vectors.chain_doc_example
        let models = try v.models.map { try CategoricalModel(frequencies: $0, precision: 24) }
        let low = Int32(v.support[0])
        var decoder = try ChainCoder(v.side_info, seal: true)
        let symbols = try decoder.decode(count: 3, models: models).map { $0 + low }
        #expect(symbols == [-3, -20, 1])
        let remainders = decoder.remaindersPair()
        #expect([remainders.compressed, remainders.remainders] == v.remainders_pair)
        #expect(remainders.remainders == [0x1253_445A, 0xBAFB_F1D9, 0x0727_1B69, 0x01B8_B88D])

        var encoder = try ChainCoder(remainders.compressed + remainders.remainders, isRemainders: true)
        try encoder.encodeReverse(symbols.map { $0 - low }, models: models)
        let data = try encoder.dataPair(unseal: true)
        #expect(data.remainders + data.compressed == v.side_info)
    }

    @Test("the AnsCoder and ChainCoder documentation examples")
    func ansDocExample() throws {
        let v = Self.vectors.ans_doc_example
        let models = try v.probs_bits.map { row in try CategoricalModel.fastQuantized(row.map { Double(bitPattern: Self.hex($0)) }) }
        #expect(models.map(\.cdf) == v.cdfs)
        var ans = try AnsCoder(compressed: v.data, seal: true)
        #expect(try ans.decode(count: 3, models: models) == [0, 0, 2])
        var chain = try ChainCoder(v.data, seal: true)
        #expect(try chain.decode(count: 3, models: models) == [0, 3, 3])
    }
}

@Suite("Coder error paths")
struct CoderErrorTests {
    static let model = try! CategoricalModel(frequencies: [1 << 23, 1 << 22, 1 << 22], precision: 24)

    @Test("models are validated")
    func models() {
        for (frequencies, precision) in [([0, 1 << 24], 24), ([1 << 23, 1 << 23 - 1], 24), ([], 24), ([1 << 11], 11), ([1 << 25, 1], 24)] as [([UInt32], Int)] {
            #expect(throws: EntropyError.self) { try CategoricalModel(frequencies: frequencies, precision: precision) }
        }
        #expect(throws: EntropyError.self) { try CategoricalModel(cdf: [0, 5, 5, 1 << 12], precision: 12) }
        #expect(throws: EntropyError.self) { try CategoricalModel.fastQuantized([0.5, -0.1, 0.6]) }
        #expect(throws: EntropyError.self) { try CategoricalModel.perfectlyQuantized([0.0, 0.0]) }
        #expect(throws: EntropyError.self) { try CategoricalModel.fastQuantized([Double.nan, 1]) }
    }

    @Test("the AnsCoder refuses what constriction refuses")
    func ans() throws {
        #expect { try AnsCoder(compressed: [5, 0]) } throws: { ($0 as? EntropyError)?.code == .badCompressedData }
        #expect { try AnsCoder(compressed: [], seal: true) } throws: { ($0 as? EntropyError)?.code == .badCompressedData }
        var coder = AnsCoder()
        #expect { try coder.encode(3, Self.model) } throws: { ($0 as? EntropyError)?.code == .impossibleSymbol }
        try coder.encode(1, Self.model)
        #expect { try coder.compressed(unseal: true) } throws: { ($0 as? EntropyError)?.code == .cannotUnseal }
        // Decoding an empty coder returns symbols, as constriction does; it never traps.
        var empty = AnsCoder()
        #expect(try empty.decode(count: 5, models: [Self.model]).count == 5)
    }

    @Test("the ChainCoder reports running out instead of panicking as constriction does")
    func chain() throws {
        #expect { try ChainCoder([]) } throws: { ($0 as? EntropyError)?.code == .badCompressedData }
        #expect { try ChainCoder([1, 0]) } throws: { ($0 as? EntropyError)?.code == .badCompressedData }
        #expect { try ChainCoder([1], isRemainders: true, seal: true) } throws: { ($0 as? EntropyError)?.code == .badCompressedData }
        var coder = try ChainCoder([0x1234_5678, 0x9ABC_DEF0, 0x0000_0001], seal: true)
        _ = try coder.decode(Self.model)
        _ = try coder.decode(Self.model)
        #expect { try coder.decode(Self.model) } throws: { ($0 as? EntropyError)?.code == .outOfData }
        #expect { try coder.dataPair() } throws: { ($0 as? EntropyError)?.code == .fractionalWords }
        var encoder = try ChainCoder([0x0000_0100, 0x0000_0001], isRemainders: true)
        #expect { try encoder.encode(0, Self.model) } throws: { ($0 as? EntropyError)?.code == .outOfRemainders }
        let wrong = try CategoricalModel(frequencies: [1 << 15, 1 << 15], precision: 16)
        #expect { try coder.decode(wrong) } throws: { ($0 as? EntropyError)?.code == .badModel }
    }

    @Test("decoding garbage never traps", arguments: [1, 2, 4, 8])
    func garbage(lanes: Int) throws {
        var rng = SplitMix64(seed: UInt64(lanes))
        let set = try ModelSet([Self.model], offsets: [-1], escapes: [true])
        for length in 0..<40 {
            let words = (0..<length).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
            var out = [Int32](repeating: 0, count: Int(rng.next() % 100))
            var output = out.mutableSpan
            _ = try? InterleavedRans.decode(words.span, into: &output, models: set, lanes: lanes)
            var chain = try? ChainCoder(words, seal: true)
            for _ in 0..<50 { _ = try? chain?.decode(Self.model) }
        }
    }
}
