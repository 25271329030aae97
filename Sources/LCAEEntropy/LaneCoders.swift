/// Where the coding loops find the model of value i: one model for all, or one per value.
protocol ModelSource {
    associatedtype View
    /// False when no model can have an escape, so the decoder drops the test.
    static var mayEscape: Bool { get }
    func view(_ i: Int) -> View
}

/// A single decoding model without escape and with offset 0 (raw symbols): the constants fold
/// into the loop, which then needs fewer registers.
struct PlainModel: ModelSource {
    static var mayEscape: Bool { false }
    let buckets: UnsafePointer<UInt64>
    let cdf: UnsafePointer<UInt32>
    let bucketBits: UInt64
    let bucketShift: UInt64
    @inline(__always) func view(_ i: Int) -> DecodeView {
        DecodeView(cdf: cdf, buckets: buckets, offset: 0, escape: -1, bucketBits: bucketBits, bucketShift: bucketShift)
    }
}

struct SingleModel<View>: ModelSource {
    static var mayEscape: Bool { true }
    let view: View
    @inline(__always) func view(_ i: Int) -> View { view }
}

struct IndexedModels<View>: ModelSource {
    static var mayEscape: Bool { true }
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
    let buckets: UnsafePointer<UInt64>
    let offset: Int64
    let escape: Int
    /// b, and P − b: x >> (P − b) gives the bucket in its low b bits and x >> P above them.
    let bucketBits: UInt64
    let bucketShift: UInt64

    init(cdf: UnsafePointer<UInt32>, buckets: UnsafePointer<UInt64>, offset: Int64, escape: Int, bucketBits: UInt64, bucketShift: UInt64) {
        self.cdf = cdf
        self.buckets = buckets
        self.offset = offset
        self.escape = escape
        self.bucketBits = bucketBits
        self.bucketShift = bucketShift
    }

    /// The first symbol of a bucket, stored after the 4096 entries.
    @inline(__always)
    func symbol(_ bucket: Int) -> UInt32 {
        UnsafeRawPointer(buckets).load(fromByteOffset: 8 &<< Int(bucketBits) &+ 4 &* bucket, as: UInt32.self)
    }

    init(_ info: ModelInfo, _ tables: DecodeTables, precision: Int) {
        cdf = tables.cdf + info.cdfBase
        buckets = tables.buckets + info.bucketBase
        bucketBits = UInt64(info.bucketBits)
        bucketShift = UInt64(precision - info.bucketBits)
        offset = info.offset
        escape = info.escape
    }
}

/// Base pointers of a model set's decoding tables.
struct DecodeTables {
    let cdf: UnsafePointer<UInt32>
    let buckets: UnsafePointer<UInt64>
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
    /// Branch-free: the word is stored whether or not it is kept (the buffer has room for it),
    /// because whether a flush happens depends on the data and defeats prediction.
    @inline(__always)
    mutating func put(_ x: inout UInt64, _ e: EncodeSymbol) {
        let flush = x &>> flushShift >= e.frequency
        out[count] = UInt32(truncatingIfNeeded: x)
        count &+= flush ? 1 : 0
        x = flush ? x &>> 32 : x
        x = x &+ e.left &+ e.quotient(x) &* e.complement
    }

    /// Encodes a value: its symbol, or the escape symbol after the bypass code (values were validated).
    @inline(__always)
    mutating func put(_ x: inout UInt64, _ value: Int32, _ view: EncodeView) {
        let symbol = Int(truncatingIfNeeded: Int64(value) &- view.offset)
        if UInt(bitPattern: symbol) < UInt(view.regular) {
            put(&x, view.table[symbol])
        } else {
            // Out of line and by value, so the lane states stay in registers on the hot path.
            (x, count) = InterleavedRans.encodeEscape(Int64(value), view, x, self)
            put(&x, view.table[view.escape])
        }
    }
}

/// The decoder's shared word stack, read from the end; lane states live in the caller's local variables.
///
/// Kept small and never passed by reference out of line, so that its fields stay in registers.
struct DecoderLanes<Precision: PrecisionConstants> {
    let words: UnsafePointer<UInt32>
    var position: Int
    let precision: Precision

    init(precision: Precision, words: UnsafePointer<UInt32>, position: Int) {
        self.words = words
        self.position = position
        self.precision = precision
    }

    /// Takes the next word into a state that fell below 2^32 (spec §10.3.2); past the data it does nothing.
    @inline(__always)
    mutating func refill(_ x: inout UInt64) {
        if x < 1 << 32 && position > 0 {
            position &-= 1
            x = x &<< 32 | UInt64(words[position])
        }
    }

    /// `refill` without the bounds test and without a branch, for when at least one word is left:
    /// whether a refill happens depends on the data and defeats prediction.
    /// Written as arithmetic rather than a select, which the compiler may turn back into a branch.
    @inline(__always)
    mutating func refillUnchecked(_ x: inout UInt64) {
        let take = ((x &>> 32) &- 1) &>> 63  // 1 when x < 2^32, else 0
        let keep = 0 &- take                  // all ones when taking
        let word = UInt64(words[position &- 1])
        x = (x & ~keep) | ((x &<< 32 | word) & keep)
        position &-= Int(truncatingIfNeeded: take)
    }

    /// Decodes one value into `out`; false if it is an invalid escape code. With `unchecked`,
    /// the caller guarantees a word is left (spec §10.3.2 either way).
    @inline(__always)
    mutating func get(_ x: inout UInt64, _ out: inout Int32, _ view: DecodeView, unchecked: Bool = false, mayEscape: Bool = true) -> Bool {
        let (shift, bits) = precision.geometry(view)
        let high = x &>> shift
        let bucket = Int(truncatingIfNeeded: high & ((1 &<< bits) &- 1))
        let quantile = x & precision.mask
        var entry = view.buckets[bucket]
        var symbol = Int(view.symbol(bucket))
        if entry & ModelSet.searchFlag != 0 {
            (entry, symbol) = Self.search(quantile, symbol, view)
        }
        x = (high &>> bits) &* (entry &>> 32) &+ (quantile &- (entry & 0xFFFF_FFFF))
        if unchecked { refillUnchecked(&x) } else { refill(&x) }
        if mayEscape && symbol == view.escape {
            // Out of line and by value, so the lane states stay in registers on the hot path.
            let escaped = decodeEscape(x, position, words, shift &+ bits, offset: view.offset, escape: view.escape)
            (x, position) = (escaped.state, escaped.position)
            guard let value = escaped.value else { return false }
            out = value
        } else {
            out = Int32(truncatingIfNeeded: Int64(symbol) &+ view.offset)
        }
        return true
    }

    /// The packed entry and the symbol holding `quantile`, for a bucket that holds a boundary.
    /// Inline although cold: a call would make the lane states live across it, in memory.
    @inline(__always)
    static func search(_ quantile: UInt64, _ first: Int, _ view: DecodeView) -> (UInt64, Int) {
        var symbol = first
        while UInt64(view.cdf[symbol &+ 1]) <= quantile { symbol &+= 1 }
        let left = view.cdf[symbol]
        return (UInt64(left) | UInt64(view.cdf[symbol &+ 1] &- left) &<< 32, symbol)
    }

}

/// Reads the bypass code after an escape symbol (spec §10.4); a nil value if it is invalid.
/// Out of line: escapes are rare, and the hot loop should not carry its registers.
@inline(never)
package func decodeEscape(
    _ state: UInt64, _ position: Int, _ words: UnsafePointer<UInt32>, _ precision: UInt64, offset: Int64, escape: Int
) -> (state: UInt64, position: Int, value: Int32?) {
    var x = state
    var position = position
    /// A raw k-bit value: a symbol of the uniform model with frequency 2^(P−k).
    func raw(_ bits: Int) -> UInt64 {
        let scale = precision - UInt64(bits)
        let quantile = x & ((1 << precision) - 1)
        x = (x >> precision) << scale | (quantile & ((1 << scale) - 1))
        if x < 1 << 32 && position > 0 {
            position -= 1
            x = x << 32 | UInt64(words[position])
        }
        return quantile >> scale
    }
    let length = Int(raw(InterleavedRans.escapeLengthBits))
    guard length <= InterleavedRans.escapeMaxLength else { return (x, position, nil) }
    var code: UInt64 = 1 << UInt64(length)
    var done = 0
    while done < length {
        let bits = min(8, length - done)
        code |= raw(bits) << UInt64(done)
        done += bits
    }
    let z = code - 1
    let m = Int64(z >> 1)
    let value = z & 1 == 0 ? offset + Int64(escape) + m : offset - 1 - m
    guard value >= Int64(Int32.min), value <= Int64(Int32.max) else { return (x, position, nil) }
    return (x, position, Int32(value))
}

/// The shifts and mask that depend on the precision P: constants for P = 24 (the common case,
/// and constriction's), so the loop needs neither a shift-count register nor a mask register.
protocol PrecisionConstants {
    var mask: UInt64 { get }
    /// P − b and b for a model (see `DecodeView`).
    func geometry(_ view: DecodeView) -> (shift: UInt64, bits: UInt64)
}

/// P = 24 with 12 bucket bits: for models of at least 512 symbols... or exactly the models
/// `ModelSet.bucketBits` gives 12 bits at precision 24 (256 symbols and more).
struct Precision24: PrecisionConstants {
    var mask: UInt64 { 0xFF_FFFF }
    @inline(__always) func geometry(_ view: DecodeView) -> (shift: UInt64, bits: UInt64) { (12, 12) }
}

struct AnyPrecision: PrecisionConstants {
    let mask: UInt64

    init(_ precision: Int) {
        mask = (1 << UInt64(precision)) - 1
    }

    @inline(__always) func geometry(_ view: DecodeView) -> (shift: UInt64, bits: UInt64) { (view.bucketShift, view.bucketBits) }
}

/// The states of L lanes as separate stored properties, so that after the compiler unrolls the
/// loop over lanes each state lives in a register; only L of them exist, not the maximum 8.
protocol LaneStates {
    static var count: Int { get }
    init(_ states: [UInt64])
    subscript(_ k: Int) -> UInt64 { get set }
    /// Calls `body` with each lane's state and number, written out lane by lane (unrolled).
    mutating func each(_ body: (inout UInt64, Int) -> Void)
}

extension LaneStates {
    var array: [UInt64] { (0..<Self.count).map { self[$0] } }
}

struct Lanes1: LaneStates {
    static var count: Int { 1 }
    var a: UInt64
    init(_ s: [UInt64]) { a = s[0] }
    @inline(__always) mutating func each(_ body: (inout UInt64, Int) -> Void) { body(&a, 0) }
    subscript(_ k: Int) -> UInt64 {
        @inline(__always) get { a }
        @inline(__always) set { a = newValue }
    }
}

struct Lanes2: LaneStates {
    static var count: Int { 2 }
    var a, b: UInt64
    init(_ s: [UInt64]) { (a, b) = (s[0], s[1]) }
    @inline(__always) mutating func each(_ body: (inout UInt64, Int) -> Void) {
        body(&a, 0)
        body(&b, 1)
    }
    subscript(_ k: Int) -> UInt64 {
        @inline(__always) get { k == 0 ? a : b }
        @inline(__always) set { if k == 0 { a = newValue } else { b = newValue } }
    }
}

struct Lanes4: LaneStates {
    static var count: Int { 4 }
    var a, b, c, d: UInt64
    init(_ s: [UInt64]) { (a, b, c, d) = (s[0], s[1], s[2], s[3]) }
    @inline(__always) mutating func each(_ body: (inout UInt64, Int) -> Void) {
        body(&a, 0)
        body(&b, 1)
        body(&c, 2)
        body(&d, 3)
    }
    subscript(_ k: Int) -> UInt64 {
        @inline(__always) get {
            switch k { case 0: a; case 1: b; case 2: c; default: d }
        }
        @inline(__always) set {
            switch k { case 0: a = newValue; case 1: b = newValue; case 2: c = newValue; default: d = newValue }
        }
    }
}

struct Lanes8: LaneStates {
    static var count: Int { 8 }
    var a, b, c, d, e, f, g, h: UInt64
    init(_ s: [UInt64]) { (a, b, c, d, e, f, g, h) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]) }
    @inline(__always) mutating func each(_ body: (inout UInt64, Int) -> Void) {
        body(&a, 0)
        body(&b, 1)
        body(&c, 2)
        body(&d, 3)
        body(&e, 4)
        body(&f, 5)
        body(&g, 6)
        body(&h, 7)
    }
    subscript(_ k: Int) -> UInt64 {
        @inline(__always) get {
            switch k { case 0: a; case 1: b; case 2: c; case 3: d; case 4: e; case 5: f; case 6: g; default: h }
        }
        @inline(__always) set {
            switch k {
            case 0: a = newValue
            case 1: b = newValue
            case 2: c = newValue
            case 3: d = newValue
            case 4: e = newValue
            case 5: f = newValue
            case 6: g = newValue
            default: h = newValue
            }
        }
    }
}
