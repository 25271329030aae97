/// A single-lane rANS coder, bit-compatible with constriction 0.5.0's `AnsCoder` (spec §10.3).
///
/// 64-bit state, 32-bit words, stack semantics: the last symbol encoded is the
/// first decoded, so `encodeReverse` takes symbols in decoding order. The
/// compressed data is `bulk` followed by the state's non-zero 32-bit chunks,
/// low chunk first; the last word is never zero.
public struct AnsCoder: Sendable {
    /// Words written so far; the top of the stack is the end.
    public private(set) var bulk: [UInt32]
    /// The coder state x (spec §10.3): 0 for an empty encoder.
    public private(set) var state: UInt64

    /// An empty encoder (state 0).
    public init() {
        bulk = []
        state = 0
    }

    /// A decoder over compressed data (spec §10.3.3). With `seal`, any word sequence is accepted
    /// (a sentinel 1 goes above its last word); without, the data must not end in a zero word.
    public init(compressed: [UInt32], seal: Bool = false) throws(EntropyError) {
        bulk = compressed
        if seal {
            guard !compressed.isEmpty else {
                throw EntropyError(.badCompressedData, "sealing needs at least one word (spec §10.3.3)")
            }
            state = 1
            while state < 1 << 32, let word = bulk.popLast() {
                state = state << 32 | UInt64(word)
            }
        } else {
            state = 0
            guard let top = bulk.popLast() else { return }
            guard top != 0 else {
                throw EntropyError(.badCompressedData, at: 4 * compressed.count - 4, "unsealed compressed data ends in a zero word (spec §10.3.3)")
            }
            state = UInt64(top)
            while state < 1 << 32, let word = bulk.popLast() {
                state = state << 32 | UInt64(word)
            }
        }
    }

    /// True when the state is 0: nothing is encoded (or everything was decoded from unsealed data).
    public var isEmpty: Bool { state == 0 }

    /// constriction's `pos()`: the number of bulk words and the state.
    public var position: (words: Int, state: UInt64) { (bulk.count, state) }

    /// Pushes one symbol (spec §10.3.1).
    public mutating func encode(_ symbol: Int, _ model: CategoricalModel) throws(EntropyError) {
        guard symbol >= 0, symbol < model.symbolCount else {
            throw EntropyError(.impossibleSymbol, "symbol \(symbol) is outside the model's 0..<\(model.symbolCount)")
        }
        let frequency = UInt64(model.frequency(symbol))
        let precision = UInt64(model.precision)
        if state >> (64 - precision) >= frequency {
            bulk.append(UInt32(truncatingIfNeeded: state))
            state >>= 32
        }
        state = (state / frequency) << precision | (UInt64(model.left(symbol)) + state % frequency)
    }

    /// Pops one symbol (spec §10.3.2). Never fails: past the data it keeps decoding from the state, as constriction does.
    public mutating func decode(_ model: CategoricalModel) -> Int {
        let precision = UInt64(model.precision)
        let quantile = UInt32(truncatingIfNeeded: state & ((1 << precision) - 1))
        let symbol = model.symbol(for: quantile)
        state = (state >> precision) * UInt64(model.frequency(symbol)) + UInt64(quantile - model.left(symbol))
        if state < 1 << 32, let word = bulk.popLast() {
            state = state << 32 | UInt64(word)
        }
        return symbol
    }

    /// Encodes `symbols` so that decoding yields them in order; `models` has one model for all
    /// symbols or one per symbol.
    public mutating func encodeReverse(_ symbols: [Int32], models: [CategoricalModel]) throws(EntropyError) {
        try Self.checkModelCount(models.count, symbols.count)
        for i in symbols.indices.reversed() {
            try encode(Int(symbols[i]), models.count == 1 ? models[0] : models[i])
        }
    }

    /// Decodes `count` symbols; `models` has one model for all symbols or one per symbol.
    public mutating func decode(count: Int, models: [CategoricalModel]) throws(EntropyError) -> [Int32] {
        try Self.checkModelCount(models.count, count)
        return (0..<count).map { Int32(decode(models.count == 1 ? models[0] : models[$0])) }
    }

    static func checkModelCount(_ models: Int, _ symbols: Int) throws(EntropyError) {
        guard models == 1 || models == symbols else {
            throw EntropyError(.badModel, "\(models) models for \(symbols) symbols: give one model, or one per symbol")
        }
    }

    /// The compressed words (spec §10.3.4). With `unseal`, the sentinel of a sealed coder is removed;
    /// that needs the state's top chunk to be exactly 1, which holds after re-encoding all that was decoded.
    public func compressed(unseal: Bool = false) throws(EntropyError) -> [UInt32] {
        if unseal {
            guard state >> 32 == 1 else {
                throw EntropyError(.cannotUnseal, at: 4 * bulk.count, "the state's top chunk is not the seal (spec §10.3.4)")
            }
            return bulk + [UInt32(truncatingIfNeeded: state)]
        }
        return bulk + stateWords(state)
    }
}

/// The non-zero 32-bit chunks of a state, low chunk first (none for 0, one below 2^32, else two).
func stateWords(_ state: UInt64) -> [UInt32] {
    if state == 0 { return [] }
    if state < 1 << 32 { return [UInt32(state)] }
    return [UInt32(truncatingIfNeeded: state), UInt32(state >> 32)]
}
