import Foundation
import LCAEEntropy
import LCAESupport

/// The code of REC indices (spec §14.7): one single-lane rANS stream at precision 16 with raw
/// bits for interval numbers and ORC indices, and a zeta-shaped model for PFR's in-bin index
/// (its octave by the model, the bits below the leading one raw).
package enum ZetaIndexCode {
    package static let precision = 16

    /// Uniform models for raw chunks of 1 … 8 bits (index c − 1).
    static let rawModels: [CategoricalModel] = (1...8).map { bits in
        CategoricalModel(validatedCDF: (0...(1 << bits)).map { UInt32($0) << UInt32(16 - bits) }, precision: 16)
    }

    /// The octave model for in-bin indices below 2^m with ratio ρ = zetaRatio / 2^16 (spec §14.7).
    package static func octaveModel(indexBits m: Int, zetaRatio: UInt16) -> CategoricalModel {
        var g = [UInt64](repeating: 0, count: m + 1)
        g[0] = 1 << 16
        for o in stride(from: 1, through: m, by: 1) {
            g[o] = (g[o - 1] * UInt64(zetaRatio)) >> 16
        }
        let total = g.reduce(0, +)
        let free = UInt64(1 << 16) - UInt64(m + 1)
        var f = g.map { 1 + $0 * free / total }
        f[0] += UInt64(1 << 16) - f.reduce(0, +)
        // m ≤ 24, so every f ≥ 1 and Σ f = 2^16: a valid model of spec §10.2.
        var cdf: [UInt32] = [0]
        for frequency in f { cdf.append(cdf[cdf.count - 1] + UInt32(frequency)) }
        return CategoricalModel(validatedCDF: cdf, precision: 16)
    }

    /// zeta_ratio for an expected log2 of the in-bin index E: round(2^16 · 2^(−1/(E+1))) (spec §14.10).
    package static func ratio(expectedLog2 e: Double) -> UInt16 {
        let rho = Foundation.pow(2.0, -1 / (max(0, e) + 1))
        return UInt16(min(65535, max(1, (rho * 65536).rounded())))
    }

    /// What one block's message is: its interval numbers (for positions with p > 0) and its in-bin index.
    package struct Message: Equatable, Sendable {
        package var intervals: [UInt32]
        package var index: UInt32

        package init(intervals: [UInt32], index: UInt32) {
            self.intervals = intervals
            self.index = index
        }
    }

    /// Ideal code length in bits of one block's message.
    package static func cost(_ message: Message, bits: ArraySlice<UInt8>, exact: Bool, indexBits m: Int, model: CategoricalModel?) -> Double {
        let binBits = bits.reduce(0) { $0 + Int($1) }
        guard exact, let model else { return Double(binBits + m) }
        let octave = bitLength(UInt64(message.index) + 1) - 1
        return Double(binBits + octave) - Foundation.log2(Double(model.frequency(octave)) / 65536)
    }

    static func bitLength(_ v: UInt64) -> Int { 64 - v.leadingZeroBitCount }

    /// Encodes every block's message (spec §14.7); `bits` gives p of each block's positions.
    package static func encode(_ messages: [Message], blockBits: [ArraySlice<UInt8>], exact: Bool, indexBits m: Int, zetaRatio: UInt16) throws(EntropyError) -> [UInt32] {
        let model = exact ? octaveModel(indexBits: m, zetaRatio: zetaRatio) : nil
        // rANS is a stack: push the symbols in reverse decoding order.
        var symbols: [(Int, CategoricalModel)] = []
        for (message, bits) in zip(messages, blockBits) {
            for (i, p) in zip(message.intervals, bits.filter { $0 > 0 }) {
                appendRaw(UInt64(i), bits: Int(p), to: &symbols)
            }
            if let model {
                let v = UInt64(message.index) + 1
                let octave = bitLength(v) - 1
                symbols.append((octave, model))
                appendRaw(v - (1 << UInt64(octave)), bits: octave, to: &symbols)
            } else {
                appendRaw(UInt64(message.index), bits: m, to: &symbols)
            }
        }
        var coder = AnsCoder()
        for (symbol, model) in symbols.reversed() {
            try coder.encode(symbol, model)
        }
        return try coder.compressed()
    }

    private static func appendRaw(_ value: UInt64, bits: Int, to symbols: inout [(Int, CategoricalModel)]) {
        var left = bits
        var v = value
        while left > 0 {
            let c = min(8, left)
            symbols.append((Int(v & ((1 << UInt64(c)) - 1)), rawModels[c - 1]))
            v >>= UInt64(c)
            left -= c
        }
    }

    /// Decodes the messages of blocks whose positions have bits `blockBits` (spec §14.7). Errors are
    /// reported at the first word plus 4 × the words not yet taken (spec §9).
    package static func decode(
        _ words: [UInt32], at wordsOffset: Int, blockBits: [ArraySlice<UInt8>], exact: Bool, indexBits m: Int, zetaRatio: UInt16
    ) throws(ContainerError) -> [Message] {
        var coder: AnsCoder
        do {
            coder = try AnsCoder(compressed: words)
        } catch {
            throw ContainerError(.badPayload, at: wordsOffset + 4 * words.count, "the index stream's top word is 0 (spec §10.3.3, §14.7)")
        }
        let model = exact ? octaveModel(indexBits: m, zetaRatio: zetaRatio) : nil
        var messages: [Message] = []
        messages.reserveCapacity(blockBits.count)
        for bits in blockBits {
            var intervals: [UInt32] = []
            for p in bits where p > 0 {
                intervals.append(UInt32(raw(&coder, bits: Int(p))))
            }
            let index: UInt64
            if let model {
                let octave = coder.decode(model)
                index = (1 << UInt64(octave)) + raw(&coder, bits: octave) - 1
                guard index < 1 << UInt64(m) else {
                    throw ContainerError(.badIndex, at: wordsOffset + 4 * coder.position.words,
                                       "block \(messages.count): in-bin index \(index) is not below 2^\(m) (spec §14.7)")
                }
            } else {
                index = raw(&coder, bits: m)
            }
            messages.append(Message(intervals: intervals, index: UInt32(index)))
        }
        guard coder.position.words == 0, coder.isEmpty else {
            throw ContainerError(.badPayload, at: wordsOffset + 4 * coder.position.words,
                               "the index stream does not end after the last block: \(coder.position.words) words left, state \(coder.position.state) (spec §14.7)")
        }
        return messages
    }

    private static func raw(_ coder: inout AnsCoder, bits: Int) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var left = bits
        while left > 0 {
            let c = min(8, left)
            value |= UInt64(coder.decode(rawModels[c - 1])) << shift
            shift += UInt64(c)
            left -= c
        }
        return value
    }
}
