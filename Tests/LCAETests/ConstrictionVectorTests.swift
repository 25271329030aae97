import Foundation
import Testing
@testable import LCAE

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

    @Test("the constriction documentation's bits-back round trip (seed 001)")
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
