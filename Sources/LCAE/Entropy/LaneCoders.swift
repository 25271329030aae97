/// Where the coding loops find the model of value i: one model for all, or one per value.
protocol ModelSource {
    associatedtype View
    func view(_ i: Int) -> View
}

struct SingleModel<View>: ModelSource {
    let view: View
    @inline(__always) func view(_ i: Int) -> View { view }
}

struct IndexedModels<View>: ModelSource {
    let views: UnsafePointer<View>
    let index: UnsafePointer<UInt16>?
    @inline(__always) func view(_ i: Int) -> View { views[Int(index.unsafelyUnwrapped[i])] }
}

/// One model as the encoder loop sees it.
struct EncodeView {
    let table: UnsafePointer<EncodeSymbol>
    let offset: Int64
    /// The escape symbol, or -1.
    let escape: Int
    /// Symbols that code a value directly: all, or all but the escape.
    let regular: Int

    init(_ info: ModelInfo, _ table: UnsafePointer<EncodeSymbol>) {
        self.table = table + info.encodeBase
        offset = info.offset
        escape = info.escape
        regular = info.escape >= 0 ? info.escape : info.symbolCount
    }
}

/// One model as the decoder loop sees it.
struct DecodeView {
    let cdf: UnsafePointer<UInt32>
    let lookup: UnsafePointer<UInt32>
    let lookupShift: UInt32
    let offset: Int64
    let escape: Int

    init(_ info: ModelInfo, cdf: UnsafePointer<UInt32>, lookup: UnsafePointer<UInt32>) {
        self.cdf = cdf + info.cdfBase
        self.lookup = lookup + info.lookupBase
        lookupShift = info.lookupShift
        offset = info.offset
        escape = info.escape
    }
}

/// The encoder's shared word stack; lane states live in the caller's local variables.
struct EncoderLanes {
    let precision: UInt64
    let flushShift: UInt64
    let out: UnsafeMutablePointer<UInt32>
    var count = 0

    init(precision: UInt64, out: UnsafeMutablePointer<UInt32>) {
        self.precision = precision
        flushShift = 64 - precision
        self.out = out
    }

    @inline(__always)
    mutating func push(_ word: UInt32) {
        out[count] = word
        count += 1
    }

    /// One rANS encoding step (spec §10.3.1): flush a word if the state would overflow, then
    /// x' = floor(x / f) · 2^P + left + x mod f.
    @inline(__always)
    mutating func put(_ x: inout UInt64, _ e: EncodeSymbol) {
        if x >> flushShift >= e.frequency {
            push(UInt32(truncatingIfNeeded: x))
            x >>= 32
        }
        x = x &+ e.left &+ e.quotient(x) &* e.complement
    }

    /// Encodes a value: its symbol, or the escape symbol after the bypass code (values were validated).
    @inline(__always)
    mutating func put(_ x: inout UInt64, _ value: Int32, _ view: EncodeView) {
        let symbol = Int(truncatingIfNeeded: Int64(value) &- view.offset)
        if UInt(bitPattern: symbol) < UInt(view.regular) {
            put(&x, view.table[symbol])
        } else {
            InterleavedRans.encodeEscape(Int64(value), view, &x, &self)
            put(&x, view.table[view.escape])
        }
    }
}

/// The decoder's shared word stack, read from the end; lane states live in the caller's local variables.
struct DecoderLanes {
    let precision: UInt64
    let mask: UInt64
    let words: UnsafeBufferPointer<UInt32>
    var position: Int

    init(precision: UInt64, words: UnsafeBufferPointer<UInt32>, position: Int) {
        self.precision = precision
        mask = (1 << precision) - 1
        self.words = words
        self.position = position
    }

    /// Takes the next word into a state that fell below 2^32 (spec §10.3.2); past the data it does nothing.
    @inline(__always)
    mutating func refill(_ x: inout UInt64) {
        if x < 1 << 32 && position > 0 {
            position -= 1
            x = x << 32 | UInt64(words[position])
        }
    }

    /// Decodes one value into `out`; false if it is an invalid escape code.
    @inline(__always)
    mutating func get(_ x: inout UInt64, _ out: inout Int32, _ view: DecodeView) -> Bool {
        let quantile = UInt32(truncatingIfNeeded: x & mask)
        var symbol = Int(view.lookup[Int(quantile >> view.lookupShift)])
        while view.cdf[symbol + 1] <= quantile { symbol += 1 }
        let left = view.cdf[symbol]
        x = (x >> precision) &* UInt64(view.cdf[symbol + 1] &- left) &+ UInt64(quantile &- left)
        refill(&x)
        if symbol == view.escape {
            guard let value = decodeEscape(&x, view) else { return false }
            out = value
        } else {
            out = Int32(truncatingIfNeeded: Int64(symbol) &+ view.offset)
        }
        return true
    }

    /// Pops a raw k-bit value (uniform model, frequency 2^(P−k); spec §10.4).
    mutating func raw(_ x: inout UInt64, bits: Int) -> UInt64 {
        let scale = precision - UInt64(bits)
        let quantile = x & mask
        x = (x >> precision) << scale | (quantile & ((1 << scale) - 1))
        refill(&x)
        return quantile >> scale
    }

    /// Reads the bypass code after an escape symbol (spec §10.4); nil if it is invalid.
    @inline(never)
    mutating func decodeEscape(_ x: inout UInt64, _ view: DecodeView) -> Int32? {
        let length = Int(raw(&x, bits: InterleavedRans.escapeLengthBits))
        guard length <= InterleavedRans.escapeMaxLength else { return nil }
        var code: UInt64 = 1 << UInt64(length)
        var done = 0
        while done < length {
            let bits = min(8, length - done)
            code |= raw(&x, bits: bits) << UInt64(done)
            done += bits
        }
        let z = code - 1
        let m = Int64(z >> 1)
        let value = z & 1 == 0 ? view.offset + Int64(view.escape) + m : view.offset - 1 - m
        guard value >= Int64(Int32.min), value <= Int64(Int32.max) else { return nil }
        return Int32(value)
    }
}
