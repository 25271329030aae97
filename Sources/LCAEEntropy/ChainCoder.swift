/// A ChainCoder, bit-compatible with constriction 0.5.0's `constriction.stream.chain.ChainCoder` (spec §10.8).
///
/// Decoding consumes exactly one P-bit quantum of compressed data per symbol
/// and pushes the rest of the information ("bits back") onto a separate
/// remainders stack, so the model of one symbol never changes how another
/// decodes. Encoding is the exact inverse. Both buffers are stacks whose top
/// is the end of the array.
public struct ChainCoder: Sendable {
    /// The precision P that every model given to this coder must have (spec §10.8).
    public let precision: Int
    /// The `compressed` word stack (spec §10.8); its top is the end of the array.
    public private(set) var compressed: [UInt32]
    /// The `remainders` word stack (spec §10.8); its top is the end of the array.
    public private(set) var remainders: [UInt32]
    /// A sentinel 1 bit above 0 to 31 leftover bits of compressed data.
    public private(set) var headCompressed: UInt32
    /// Invariant: 2^(32 - P) <= headRemainders < 2^(64 - P).
    public private(set) var headRemainders: UInt64

    private var threshold: UInt64 { 1 << UInt64(32 - precision) }

    /// constriction's `ChainCoder(data, is_remainders, seal)` (spec §10.8.1).
    public init(_ data: [UInt32], isRemainders: Bool = false, seal: Bool = false, precision: Int = 24) throws(EntropyError) {
        guard CategoricalModel.precisionRange.contains(precision) else {
            throw EntropyError(.badModel, "precision \(precision) is outside 12...24 (spec §10.2)")
        }
        self.precision = precision
        var words = data
        headCompressed = 1
        if isRemainders {
            guard !seal else {
                throw EntropyError(.badCompressedData, "remainders cannot be sealed (spec §10.8.1)")
            }
            guard let head = words.popLast(), head != 0 else {
                throw EntropyError(.badCompressedData, "remainders data is empty or ends in a zero word (spec §10.8.1)")
            }
            headCompressed = head
            compressed = []
        } else {
            compressed = []
        }
        let threshold: UInt64 = 1 << UInt64(32 - precision)
        if seal {
            headRemainders = 1
        } else {
            guard let top = words.popLast(), top != 0 else {
                throw EntropyError(.badCompressedData, "too little data, or data ending in a zero word (spec §10.8.1)")
            }
            headRemainders = UInt64(top)
        }
        while headRemainders < threshold {
            guard let word = words.popLast() else {
                throw EntropyError(.badCompressedData, "too little data to start a ChainCoder (spec §10.8.1)")
            }
            headRemainders = headRemainders << 32 | UInt64(word)
        }
        if isRemainders {
            remainders = words
        } else {
            compressed = words
            remainders = []
        }
    }

    /// Decodes one symbol from one P-bit quantum (spec §10.8.2).
    public mutating func decode(_ model: CategoricalModel) throws(EntropyError) -> Int {
        try checkPrecision(model)
        let p = UInt32(precision)
        let quantile: UInt32
        if headCompressed < 1 << p {
            guard let word = compressed.popLast() else {
                throw EntropyError(.outOfData, "the ChainCoder has no compressed data left (spec §10.8.2)")
            }
            headCompressed = headCompressed << (32 - p) | word >> p
            quantile = word & ((1 << p) - 1)
        } else {
            quantile = headCompressed & ((1 << p) - 1)
            headCompressed >>= p
        }
        let symbol = model.symbol(for: quantile)
        headRemainders = headRemainders * UInt64(model.frequency(symbol)) + UInt64(quantile - model.left(symbol))
        if headRemainders >= 1 << (64 - UInt64(p)) {
            remainders.append(UInt32(truncatingIfNeeded: headRemainders))
            headRemainders >>= 32
        }
        return symbol
    }

    /// Encodes one symbol, the exact inverse of `decode` (spec §10.8.3).
    public mutating func encode(_ symbol: Int, _ model: CategoricalModel) throws(EntropyError) {
        try checkPrecision(model)
        guard symbol >= 0, symbol < model.symbolCount else {
            throw EntropyError(.impossibleSymbol, "symbol \(symbol) is outside the model's 0..<\(model.symbolCount)")
        }
        let p = UInt32(precision)
        let frequency = UInt64(model.frequency(symbol))
        if headRemainders < frequency << (32 - UInt64(p)) {
            guard let word = remainders.popLast() else {
                throw EntropyError(.outOfRemainders, "the ChainCoder has no remainders left (spec §10.8.3)")
            }
            headRemainders = headRemainders << 32 | UInt64(word)
        }
        let quantile = model.left(symbol) + UInt32(headRemainders % frequency)
        headRemainders /= frequency
        if headCompressed < 1 << (32 - p) {
            headCompressed = headCompressed << p | quantile
        } else {
            compressed.append(headCompressed << p | quantile)
            headCompressed >>= (32 - p)
        }
    }

    /// Decodes `count` symbols in order (spec §10.8.2); `models` has one model for all
    /// symbols or one per symbol.
    ///
    /// Throws `badModel` for a wrong model count or precision, `outOfData` when
    /// the compressed words run out.
    public mutating func decode(count: Int, models: [CategoricalModel]) throws(EntropyError) -> [Int32] {
        try AnsCoder.checkModelCount(models.count, count)
        var symbols = [Int32]()
        symbols.reserveCapacity(count)
        for i in 0..<count {
            symbols.append(Int32(try decode(models.count == 1 ? models[0] : models[i])))
        }
        return symbols
    }

    /// Encodes `symbols` last to first (spec §10.8.3), undoing `decode(count:models:)`
    /// of the same symbols; `models` has one model for all symbols or one per symbol.
    ///
    /// Throws `badModel` for a wrong model count or precision, `impossibleSymbol`
    /// for a symbol outside its model, `outOfRemainders` when the remainders run out.
    public mutating func encodeReverse(_ symbols: [Int32], models: [CategoricalModel]) throws(EntropyError) {
        try AnsCoder.checkModelCount(models.count, symbols.count)
        for i in symbols.indices.reversed() {
            try encode(Int(symbols[i]), models.count == 1 ? models[0] : models[i])
        }
    }

    /// constriction's `get_remainders()`: (compressed, remainders ++ head_r chunks ++ [head_c]) (spec §10.8.4).
    public func remaindersPair() -> (compressed: [UInt32], remainders: [UInt32]) {
        (compressed, remainders + stateWords(headRemainders) + [headCompressed])
    }

    /// constriction's `get_data(unseal)`: (remainders, compressed ++ head_r chunks) (spec §10.8.4).
    public func dataPair(unseal: Bool = false) throws(EntropyError) -> (remainders: [UInt32], compressed: [UInt32]) {
        guard headCompressed == 1 else {
            throw EntropyError(.fractionalWords, "the ChainCoder holds a fractional number of words (spec §10.8.4)")
        }
        if unseal {
            let bits = 64 - headRemainders.leadingZeroBitCount
            guard bits > 1, (bits - 1) % 32 == 0 else {
                throw EntropyError(.cannotUnseal, "the remainders head does not end in the seal (spec §10.8.4)")
            }
            var words: [UInt32] = []
            var head = headRemainders
            while head > 1 {
                words.append(UInt32(truncatingIfNeeded: head))
                head >>= 32
            }
            return (remainders, compressed + words)
        }
        return (remainders, compressed + stateWords(headRemainders))
    }

    private func checkPrecision(_ model: CategoricalModel) throws(EntropyError) {
        guard model.precision == precision else {
            throw EntropyError(.badModel, "a precision-\(model.precision) model on a precision-\(precision) ChainCoder")
        }
    }
}
