import LCAEEntropy

/// Codes an integer latent with context tables (spec §12.3, §12.4, §12.6).
///
/// The activation bits go in one small payload; the values of the active
/// channels, in coding order and raster order within a channel, in another,
/// each value with the CDF of its channel and context.
public enum LatentCoder {
    /// The encoder's model sets, built once and reused across latents.
    public struct Prepared: Sendable {
        /// The tables the models were built from.
        public let tables: ContextTables
        let values: ModelSet
        /// Channel k's context c is model `bases[k] + c` of `values`.
        let bases: [Int]
        let activation: ModelSet

        /// Builds the value and activation models of `tables`; throws `badModel` when one is invalid.
        public init(_ tables: ContextTables) throws(EntropyError) {
            self.tables = tables
            (values, bases) = try LatentCoder.valueModels(tables)
            activation = try LatentCoder.activationModels(tables)
        }
    }

    /// The decoder's lookups (see `Lookup`) for the channels a latent codes: a channel its
    /// activation bit leaves inactive is never decoded (spec §12.6), so it gets none.
    public struct DecodingTables: Sendable {
        /// The tables the lookups were built from.
        public let tables: ContextTables
        /// By channel index; an inactive channel's is never read.
        let lookups: [Lookup]
        let entries: [UInt64]
        /// Beside each entry, whether its symbol's value reaches the channel's threshold: 8 or 0.
        let entryReaches: [UInt8]
        /// The context CDFs of the active channels, one after another.
        let cdf: [UInt32]

        /// Builds the lookups of the channels that `active` marks (one flag per channel, spec §12.4).
        ///
        /// Throws `badModel` when `active` does not have one flag per channel or a
        /// channel has more than 65536 symbols.
        public init(_ tables: ContextTables, active: [Bool]) throws(EntropyError) {
            guard active.count == tables.channelCount else {
                throw EntropyError(.badModel, "\(active.count) activation bits for \(tables.channelCount) channels")
            }
            self.tables = tables
            (lookups, entries, entryReaches, cdf) = try LatentCoder.lookups(tables, active: active)
        }
    }

    /// One channel's part of the decoder's lookup on the top b bits of a quantile: for each of the
    /// 2^b buckets, one entry per context (4 slots; the first coded channel leaves slot 3 empty),
    /// so that the models of contexts c and c + 1 are neighbours in memory. The decoder loads the
    /// reach of both before it knows whether the left neighbour reaches its threshold and picks
    /// one afterwards: one value then leads to the next value's context without a load in between.
    ///
    /// An entry is `symbol | left << 16 | frequency << 40` when the bucket lies inside one symbol's
    /// interval (at most 2^16 symbols by spec §12.2, P ≤ 24, frequencies below 2^P) and that symbol
    /// is not the escape; otherwise its frequency is 0 and its symbol the bucket's first, from which
    /// the decoder searches the CDF, so that the common path has neither search nor escape test.
    struct Lookup: Sendable {
        /// The channel's first entry in `entries`.
        let first: Int
        let bucketBits: Int
        let offset: Int32
        let escape: Int
        /// The symbols s whose values do not reach the threshold are `low ... low + span`
        /// (spec §12.3 as in `ContextTables.Reach`, moved by the offset).
        let low: Int32
        let span: UInt32
        /// Context 0's CDF in `DecodingTables.cdf`; context c's is `cdfStride` × c further.
        let cdf: Int
        let cdfStride: Int
    }

    static let entrySlots = 4
    static let symbolBits: UInt64 = 16
    static let frequencyShift: UInt64 = 40

    /// A neighbour that reaches its threshold moves a context by one slot: 8 bytes.
    static let reachStep = 8

    static func lookups(
        _ tables: ContextTables, active: [Bool]
    ) throws(EntropyError) -> ([Lookup], [UInt64], [UInt8], [UInt32]) {
        var lookups: [Lookup] = []
        var count = 0
        var cdfCount = 0
        for (k, channel) in tables.channels.enumerated() {
            let n = channel.symbolCount
            guard n <= 1 << 16 else {
                throw EntropyError(.badModel, "channel \(k) has \(n) symbols; at most 65536 (spec §12.2)")
            }
            let bits = active[k] ? ModelSet.bucketBits(n, precision: tables.precision) : 0
            let reach = tables.reach(channel)
            lookups.append(Lookup(
                first: count, bucketBits: bits, offset: channel.offset, escape: n - 1,
                low: reach.low &- channel.offset, span: reach.span, cdf: cdfCount, cdfStride: n + 1))
            if active[k] {
                count += entrySlots << bits
                cdfCount += channel.models.count * (n + 1)
            }
        }
        var entries = [UInt64](repeating: 0, count: count)
        var entryReaches = [UInt8](repeating: 0, count: count)
        var cdfs = [UInt32]()
        cdfs.reserveCapacity(cdfCount)
        entries.withUnsafeMutableBufferPointer { entries in
            entryReaches.withUnsafeMutableBufferPointer { entryReaches in
                for (k, (channel, lookup)) in zip(tables.channels, lookups).enumerated() where active[k] {
                    let shift = tables.precision - lookup.bucketBits
                    let reach = tables.reach(channel)
                    for (c, model) in channel.models.enumerated() {
                        cdfs += model.cdf
                        model.cdf.withUnsafeBufferPointer { cdf in
                            CategoricalModel.forEachBucketRun(cdf, shift: shift) { s, run, whole in
                                let (left, right) = (cdf[s], cdf[s &+ 1])
                                let partial = UInt64(s) | UInt64(left) &<< symbolBits
                                let inside = s < lookup.escape ? partial | UInt64(right &- left) &<< frequencyShift : partial
                                let reaches = reach.reaches(channel.offset &+ Int32(truncatingIfNeeded: s)) ? UInt8(reachStep) : 0
                                for bucket in run {
                                    let at = lookup.first &+ c &+ bucket &* entrySlots
                                    entries[at] = bucket < whole ? inside : partial
                                    entryReaches[at] = reaches
                                }
                            }
                        }
                    }
                }
            }
        }
        return (lookups, entries, entryReaches, cdfs)
    }

    /// The two coded parts of a latent.
    public struct Coded: Equatable, Sendable {
        /// The activation bits as a rANS payload: the ACTV chunk's (spec §12.4, §12.5.3).
        public var activation: RansPayload
        /// The active channels' values as a rANS payload: the LATP chunk's (spec §12.5.4, §12.6).
        public var values: RansPayload

        /// A coded latent from its two payloads.
        public init(activation: RansPayload, values: RansPayload) {
            self.activation = activation
            self.values = values
        }
    }

    /// A channel is active when some value differs from its most probable value (spec §12.4).
    public static func activity(of tensor: LatentTensor, tables: ContextTables) -> [Bool] {
        (0..<tensor.channels).map { k in
            let mostProbable = tables.channels[k].mostProbable
            return tensor.values[(k * tensor.plane)..<((k + 1) * tensor.plane)].contains { $0 != mostProbable }
        }
    }

    /// The activation models: channel k's is [2^P − a, a] (symbol 1 means active).
    static func activationModels(_ tables: ContextTables) throws(EntropyError) -> ModelSet {
        var models: [CategoricalModel] = []
        for channel in tables.channels {
            models.append(try CategoricalModel(frequencies: [(UInt32(1) << tables.precision) - channel.activation, channel.activation],
                                               precision: tables.precision, lookup: false))
        }
        return try ModelSet(models)
    }

    /// All context models as one set; channel k's context c is model `bases[k] + c`.
    static func valueModels(_ tables: ContextTables) throws(EntropyError) -> (ModelSet, [Int]) {
        var models: [CategoricalModel] = []
        var offsets: [Int32] = []
        var bases: [Int] = []
        for channel in tables.channels {
            bases.append(models.count)
            models += channel.models
            offsets += Array(repeating: channel.offset, count: channel.models.count)
        }
        // The encoder's: the decoder has lookups of its own (`DecodingTables`).
        return (try ModelSet(models, offsets: offsets, escapes: Array(repeating: true, count: models.count), buckets: false), bases)
    }

    // MARK: Encoding

    /// Codes `tensor` with `tables` (spec §12.4, §12.6), building the models first.
    ///
    /// The values use `lanes` lanes in `substreams` substreams (spec §10.5, §10.6);
    /// the activation bits use one lane. Throws `badModel` when the channel counts
    /// differ or a model is invalid, and the errors of `RansPayload.encode`.
    public static func encode(
        _ tensor: LatentTensor, tables: ContextTables, lanes: Int = 4, substreams: Int = 1, threads: Int = 1
    ) throws(EntropyError) -> Coded {
        try encode(tensor, prepared: Prepared(tables), lanes: lanes, substreams: substreams, threads: threads)
    }

    /// Codes `tensor` with models built beforehand (spec §12.4, §12.6); see
    /// `encode(_:tables:lanes:substreams:threads:)`.
    public static func encode(
        _ tensor: LatentTensor, prepared: Prepared, lanes: Int = 4, substreams: Int = 1, threads: Int = 1
    ) throws(EntropyError) -> Coded {
        let tables = prepared.tables
        guard tensor.channels == tables.channelCount else {
            throw EntropyError(.badModel, "a \(tensor.channels)-channel latent and \(tables.channelCount)-channel tables")
        }
        let active = activity(of: tensor, tables: tables)
        let activation = try RansPayload.encode(
            active.map { $0 ? 1 : 0 }, modelIndex: (0..<tensor.channels).map(UInt16.init), models: prepared.activation, lanes: 1)
        let layout = Layout(tables: tables, active: active, height: tensor.height, width: tensor.width)
        var values = [Int32](repeating: 0, count: layout.codedCount)
        var index = [UInt16](repeating: 0, count: layout.codedCount)
        let ranges = RansPayload.split(layout.codedCount, into: substreams)
        for range in ranges {
            for segment in layout.segments(range) {
                let k = tables.order[segment.position]
                for t in segment.coded {
                    let place = t - segment.channelStart
                    let context = layout.context(segment.position, place, t, range.lowerBound) { tensor.values[$0] }
                    values[t] = tensor.values[k * layout.plane + place]
                    index[t] = UInt16(prepared.bases[k] + context)
                }
            }
        }
        let payload = try RansPayload.encode(values, modelIndex: index, models: prepared.values, lanes: lanes, substreams: substreams, threads: threads)
        return Coded(activation: activation, values: payload)
    }

    // MARK: Decoding

    /// Decodes a latent of the given spatial size; `coded.values` must hold exactly the values of the active channels.
    public static func decode(
        _ coded: Coded, tables: ContextTables, height: Int, width: Int, threads: Int = 1
    ) throws(EntropyError) -> LatentTensor {
        let active = try activity(coded.activation, tables: tables)
        return try decode(coded.values, active: active, decoding: DecodingTables(tables, active: active),
                          height: height, width: width, threads: threads)
    }

    /// The activation bits of an ACTV payload (spec §12.4).
    public static func activity(_ payload: RansPayload, tables: ContextTables) throws(EntropyError) -> [Bool] {
        let c = tables.channelCount
        return try payload.decode(modelIndex: (0..<c).map(UInt16.init), models: activationModels(tables)).map { $0 == 1 }
    }

    /// The number of coded values when `active` channels of `plane` values each are active.
    public static func codedCount(active: [Bool], plane: Int) -> Int {
        active.filter { $0 }.count * plane
    }

    /// Decodes the values of the active channels (spec §12.6); inactive channels hold their most probable value.
    public static func decode(
        _ payload: RansPayload, active: [Bool], decoding prepared: DecodingTables, height: Int, width: Int, threads: Int = 1
    ) throws(EntropyError) -> LatentTensor {
        let tables = prepared.tables
        let c = tables.channelCount
        let layout = Layout(tables: tables, active: active, height: height, width: width)
        guard payload.valueCount == layout.codedCount else {
            throw EntropyError(.badPayload, "the payload holds \(payload.valueCount) values; the active channels have \(layout.codedCount) (spec §12.6)")
        }
        var values = [Int32](repeating: 0, count: c * layout.plane)
        for k in 0..<c where !active[k] {
            let mostProbable = tables.channels[k].mostProbable
            for place in 0..<layout.plane { values[k * layout.plane + place] = mostProbable }
        }
        try values.withUnsafeMutableBufferPointer { (output) throws(EntropyError) in
            try payload.forEachSubstream(writing: output, threads: threads) { range, words, output in
                Result { () throws(EntropyError) in
                    try decodeSubstream(words, range, lanes: payload.lanes, layout, prepared, output)
                }
            }
        }
        return LatentTensor(channels: c, height: height, width: width, values: values)
    }

    /// Decodes one substream (spec §12.6).
    ///
    /// The context's top and previous-channel parts come from a plane of reach flags (`reachStep`
    /// or 0): `reached[width + q]` holds whether the value at place q of the channel being decoded
    /// reaches its threshold, and before the decoder gets there, whether the previous channel's
    /// value at q does; the first `width` bytes stay 0 and stand for the missing row above row 0.
    /// Decoding place q reads `reached[q] + reached[q + width]`, which with the left neighbour's
    /// flag is the context's offset into a bucket's slots, and overwrites `reached[q + width]`.
    /// Neighbours in an earlier substream count as not reaching (spec §12.3): the plane starts at 0
    /// and the first segment writes only from its first place on.
    private static func decodeSubstream(
        _ words: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, lanes: Int, _ layout: Layout,
        _ prepared: DecodingTables, _ output: UnsafeMutableBufferPointer<Int32>
    ) throws(EntropyError) {
        var (states, position) = try InterleavedRans.startLanes(words, lanes: lanes)
        let (plane, width) = (layout.plane, layout.width)
        let precision = UInt64(layout.tables.precision)
        let quantileMask = (UInt64(1) << precision) &- 1
        let bucketBytes = entrySlots * MemoryLayout<UInt64>.stride
        var reached = [UInt8](repeating: 0, count: width + plane)
        let segments = layout.segments(range)
        var ok = true
        prepared.cdf.withUnsafeBufferPointer { cdfs in
            prepared.entries.withUnsafeBytes { entries in
                prepared.entryReaches.withUnsafeBufferPointer { entryReaches in
                    reached.withUnsafeMutableBufferPointer { reached in
                        states.withUnsafeMutableBufferPointer { states in
                            guard let out = output.baseAddress, let cdfBase = cdfs.baseAddress, let entryBase = entries.baseAddress,
                                  let reachBase = entryReaches.baseAddress, let plane0 = reached.baseAddress,
                                  let state = states.baseAddress else { return }
                            // An empty buffer may have no base address; the decoder never reads it then (position 0).
                            let wordBase = words.baseAddress ?? UnsafePointer(cdfBase)
                            var pos = position
                            var lane = 0
                            for (i, segment) in segments.enumerated() {
                                let p = segment.position
                                let k = layout.tables.order[p]
                                let lookup = prepared.lookups[k]
                                let shift = precision &- UInt64(lookup.bucketBits)
                                let table = entryBase + MemoryLayout<UInt64>.stride * lookup.first
                                let tableReaches = reachBase + lookup.first
                                let (offset, escape, low, span) = (lookup.offset, lookup.escape, UInt32(bitPattern: lookup.low), lookup.span)
                                let channel = out + k * plane
                                var place = segment.coded.lowerBound - segment.channelStart
                                let end = segment.coded.upperBound - segment.channelStart
                                let previous = (p > 0 ? layout.codedStarts[p - 1] : -1, p > 0 && layout.mostProbableReaches[p - 1])
                                if previous.0 < 0 || i == 0 {
                                    // The previous channel is inactive (its most probable value everywhere),
                                    // absent, or coded in an earlier substream.
                                    let reach = previous.0 < 0 && previous.1 ? UInt8(reachStep) : 0
                                    (plane0 + width + place).update(repeating: reach, count: end - place)
                                }
                                while place < end {
                                    let rowEnd = min(end, (place / width + 1) * width)
                                    var left = 0
                                    while place < rowEnd {
                                        let context = Int(plane0[place]) &+ Int(plane0[place &+ width])
                                        var x = state[lane]
                                        let quantile = x & quantileMask
                                        let slot = Int(truncatingIfNeeded: quantile &>> shift) &* bucketBytes &+ context
                                        let entry = table.load(fromByteOffset: slot &+ left, as: UInt64.self)
                                        // Both candidates' reach flags come before `left` is known, so the next
                                        // context waits on a shift rather than on a load.
                                        let reaches = Int(tableReaches[slot &>> 3]) | Int(tableReaches[slot &>> 3 &+ 1]) &<< 8
                                        var reach = reaches &>> left & reachStep
                                        let frequency = entry &>> frequencyShift
                                        let value: Int32
                                        if frequency != 0 {
                                            x = (x &>> precision) &* frequency &+ (quantile &- (entry &>> symbolBits & quantileMask))
                                            refill(&x, &pos, wordBase)
                                            value = Int32(truncatingIfNeeded: entry & 0xFFFF) &+ offset
                                        } else {
                                            // A bucket that holds a boundary, or the escape symbol.
                                            var symbol = Int(truncatingIfNeeded: entry & 0xFFFF)
                                            let cdf = cdfBase + (lookup.cdf &+ (context &+ left) / reachStep &* lookup.cdfStride)
                                            while UInt64(cdf[symbol &+ 1]) <= quantile { symbol &+= 1 }
                                            let start = UInt64(cdf[symbol])
                                            x = (x &>> precision) &* (UInt64(cdf[symbol &+ 1]) &- start) &+ (quantile &- start)
                                            refill(&x, &pos, wordBase)
                                            if symbol == escape {
                                                let escaped = decodeEscape(x, pos, wordBase, precision, offset: Int64(offset), escape: escape)
                                                (x, pos) = (escaped.state, escaped.position)
                                                if escaped.value == nil { ok = false }
                                                value = escaped.value ?? 0
                                            } else {
                                                value = Int32(truncatingIfNeeded: symbol) &+ offset
                                            }
                                            reach = UInt32(bitPattern: value &- offset) &- low > span ? reachStep : 0
                                        }
                                        left = reach
                                        channel[place] = value
                                        plane0[place &+ width] = UInt8(truncatingIfNeeded: left)
                                        state[lane] = x
                                        lane = (lane &+ 1) & (lanes &- 1)
                                        place &+= 1
                                    }
                                }
                            }
                            position = pos
                        }
                    }
                }
            }
        }
        guard ok else {
            throw EntropyError(.badEscape, at: 4 * position, "an escape code decodes outside Int32 or has a length above 33 (spec §10.4)")
        }
        try InterleavedRans.finishLanes(states, position: position, values: range.count)
    }

    /// Takes the next word into a state that fell below 2^32 (spec §10.3.2); past the data it does nothing.
    @inline(__always)
    private static func refill(_ x: inout UInt64, _ position: inout Int, _ words: UnsafePointer<UInt32>) {
        if x < 1 << 32 && position > 0 {
            position &-= 1
            x = x &<< 32 | UInt64(words[position])
        }
    }
}

/// Where each coded value sits and which neighbours it sees (spec §12.3, §12.6).
struct Layout {
    let tables: ContextTables
    let active: [Bool]
    let height: Int
    let width: Int
    let plane: Int
    /// Coded index of the first value of the channel at each coding position (-1 when inactive).
    let codedStarts: [Int]
    let codedCount: Int
    /// Per position, which values of its channel reach the channel's threshold.
    let reaches: [ContextTables.Reach]
    /// Whether the most probable value of the channel at each position reaches its threshold.
    let mostProbableReaches: [Bool]

    init(tables: ContextTables, active: [Bool], height: Int, width: Int) {
        self.tables = tables
        self.active = active
        self.height = height
        self.width = width
        plane = height * width
        var starts: [Int] = []
        var count = 0
        for k in tables.order {
            starts.append(active[k] ? count : -1)
            if active[k] { count += height * width }
        }
        codedStarts = starts
        codedCount = count
        reaches = tables.order.map { tables.reach(tables.channels[$0]) }
        mostProbableReaches = zip(tables.order, reaches).map { $1.reaches(tables.channels[$0].mostProbable) }
    }

    struct Segment {
        let position: Int
        let channelStart: Int
        let coded: Range<Int>
    }

    /// The parts of active channels that a range of coded indices covers, in coding order.
    func segments(_ range: Range<Int>) -> [Segment] {
        var out: [Segment] = []
        for (p, start) in codedStarts.enumerated() where start >= 0 {
            let low = max(start, range.lowerBound)
            let high = min(start + plane, range.upperBound)
            if low < high { out.append(Segment(position: p, channelStart: start, coded: low..<high)) }
        }
        return out
    }

    /// The context of the value at coding position p, place (row × width + column), coded index t,
    /// in a substream starting at `first` (spec §12.3): how many of left, top and the same place in
    /// the previous channel reach their threshold; a neighbour before `first` counts as missing.
    @inline(__always)
    func context(_ p: Int, _ place: Int, _ t: Int, _ first: Int, _ value: (Int) -> Int32) -> Int {
        let base = tables.order[p] * plane
        var count = 0
        if place % width != 0 && t - 1 >= first && reaches[p].reaches(value(base + place - 1)) { count += 1 }
        if place >= width && t - width >= first && reaches[p].reaches(value(base + place - width)) { count += 1 }
        if p > 0 {
            let start = codedStarts[p - 1]
            if start < 0 {
                if mostProbableReaches[p - 1] { count += 1 }
            } else if start + place >= first && reaches[p - 1].reaches(value(tables.order[p - 1] * plane + place)) {
                count += 1
            }
        }
        return count
    }
}
