import Dispatch

/// Codes an integer latent with context tables (spec §12.3, §12.4, §12.6).
///
/// The activation bits go in one small payload; the values of the active
/// channels, in coding order and raster order within a channel, in another,
/// each value with the CDF of its channel and context.
public enum LatentCoder {
    /// Tables with the model sets the coding loops use, built once and reused across latents.
    public struct Prepared: Sendable {
        public let tables: ContextTables
        let values: ModelSet
        /// Channel k's context c is model `bases[k] + c` of `values`.
        let bases: [Int]
        let activation: ModelSet

        public init(_ tables: ContextTables) throws(EntropyError) {
            self.tables = tables
            (values, bases) = try LatentCoder.valueModels(tables)
            activation = try LatentCoder.activationModels(tables)
        }
    }

    /// The two coded parts of a latent.
    public struct Coded: Equatable, Sendable {
        public var activation: RansPayload
        public var values: RansPayload
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
            models.append(try CategoricalModel(frequencies: [(UInt32(1) << tables.precision) - channel.activation, channel.activation], precision: tables.precision))
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
        return (try ModelSet(models, offsets: offsets, escapes: Array(repeating: true, count: models.count)), bases)
    }

    // MARK: Encoding

    public static func encode(
        _ tensor: LatentTensor, tables: ContextTables, lanes: Int = 4, substreams: Int = 1, threads: Int = 1
    ) throws(EntropyError) -> Coded {
        try encode(tensor, prepared: Prepared(tables), lanes: lanes, substreams: substreams, threads: threads)
    }

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
        let prepared = try Prepared(tables)
        return try decode(coded.values, active: activity(coded.activation, prepared: prepared), prepared: prepared,
                          height: height, width: width, threads: threads)
    }

    /// The activation bits of an ACTV payload (spec §12.4).
    public static func activity(_ payload: RansPayload, prepared: Prepared) throws(EntropyError) -> [Bool] {
        let c = prepared.tables.channelCount
        return try payload.decode(modelIndex: (0..<c).map(UInt16.init), models: prepared.activation).map { $0 == 1 }
    }

    /// The number of coded values when `active` channels of `plane` values each are active.
    public static func codedCount(active: [Bool], plane: Int) -> Int {
        active.filter { $0 }.count * plane
    }

    /// Decodes the values of the active channels (spec §12.6); inactive channels hold their most probable value.
    public static func decode(
        _ payload: RansPayload, active: [Bool], prepared: Prepared, height: Int, width: Int, threads: Int = 1
    ) throws(EntropyError) -> LatentTensor {
        let tables = prepared.tables
        let c = tables.channelCount
        let layout = Layout(tables: tables, active: active, height: height, width: width)
        guard payload.valueCount == layout.codedCount else {
            throw EntropyError(.badPayload, "the payload holds \(payload.valueCount) values; the active channels have \(layout.codedCount) (spec §12.6)")
        }
        let (models, bases) = (prepared.values, prepared.bases)
        var values = [Int32](repeating: 0, count: c * layout.plane)
        for k in 0..<c where !active[k] {
            let mostProbable = tables.channels[k].mostProbable
            for place in 0..<layout.plane { values[k * layout.plane + place] = mostProbable }
        }
        try values.withUnsafeMutableBufferPointer { (output) throws(EntropyError) in
            nonisolated(unsafe) let output = output
            try payload.forEachSubstream(threads: threads) { range, words in
                Result { () throws(EntropyError) in
                    try decodeSubstream(words, range, lanes: payload.lanes, layout, models, bases, output)
                }
            }
        }
        return LatentTensor(channels: c, height: height, width: width, values: values)
    }

    /// Decodes one substream (spec §12.6). The loop keeps the left neighbour's reach in a register
    /// and finds a context's model by arithmetic: the models of a channel's contexts have the same
    /// lookup geometry and lie one after the other, so the only load that waits for the previous
    /// value is the lookup itself.
    private static func decodeSubstream(
        _ words: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, lanes: Int, _ layout: Layout,
        _ models: ModelSet, _ bases: [Int], _ output: UnsafeMutableBufferPointer<Int32>
    ) throws(EntropyError) {
        var (states, position) = try InterleavedRans.startLanes(words, lanes: lanes)
        let first = range.lowerBound
        let plane = layout.plane
        let width = layout.width
        let precision = UInt64(layout.tables.precision)
        let quantileMask = (UInt64(1) << precision) &- 1
        let ok = InterleavedRans.withDecoder(words, position: position, models: models) { start, views in
            var pos = start.position
            let wordBase = start.words
            var ok = true
            states.withUnsafeMutableBufferPointer { states in
                guard let out = output.baseAddress else { return }
                var lane = 0
                for segment in layout.segments(range) {
                    let p = segment.position
                    let k = layout.tables.order[p]
                    let base = bases[k]
                    let head = views[base]
                    let bits = head.bucketBits
                    let shift = head.bucketShift
                    let bucketMask = (UInt64(1) &<< bits) &- 1
                    // A model's slots: 2^b entries and 2^(b−1) slots of symbol pairs (b ≥ 2), 3 × 2^(b−1)
                    // in all (ModelSet lays them out so): a context's model is 3 × context slots of 2^(b−1) on.
                    let strideShift = Int(bits) &- 1
                    let symbolBytes = 8 &<< Int(bits)
                    let offset = head.offset
                    let escape = head.escape
                    let reach = layout.reaches[p]
                    let channel = out + k * plane
                    // Where neighbours stop being usable: places before these are in another substream.
                    let minPlace = first - segment.channelStart
                    var previous: UnsafePointer<Int32>?
                    var previousReach = reach
                    var previousConstant = 0
                    var previousFrom = 0
                    if p > 0 {
                        let previousStart = layout.codedStarts[p - 1]
                        if previousStart < 0 {
                            previousConstant = layout.mostProbableReaches[p - 1] ? 1 : 0
                        } else {
                            previous = UnsafePointer(out + layout.tables.order[p - 1] * plane)
                            previousReach = layout.reaches[p - 1]
                            previousFrom = first - previousStart
                        }
                    }
                    var place = segment.coded.lowerBound - segment.channelStart
                    let end = segment.coded.upperBound - segment.channelStart
                    var column = place % width
                    var left = column > 0 && place - 1 >= minPlace && reach.reaches(channel[place - 1]) ? 1 : 0
                    // The first place whose top neighbour exists in this substream.
                    let topFrom = max(width, minPlace &+ width)
                    while place < end {
                        var context = left
                        if place >= topFrom && reach.reaches(channel[place &- width]) { context &+= 1 }
                        if let previous {
                            if place >= previousFrom && previousReach.reaches(previous[place]) { context &+= 1 }
                        } else {
                            context &+= previousConstant
                        }
                        var x = states[lane]
                        let high = x &>> shift
                        let bucket = Int(truncatingIfNeeded: high & bucketMask)
                        let quantile = x & quantileMask
                        let entries = head.buckets + (context &* 3) &<< strideShift
                        var entry = entries[bucket]
                        var symbol = Int(UnsafeRawPointer(entries).load(fromByteOffset: symbolBytes &+ 4 &* bucket, as: UInt32.self))
                        if entry & ModelSet.searchFlag != 0 {
                            (entry, symbol) = DecoderLanes<AnyPrecision>.search(quantile, symbol, views[base + context])
                        }
                        x = (high &>> bits) &* (entry &>> 32) &+ (quantile &- (entry & 0xFFFF_FFFF))
                        if x < 1 << 32 && pos > 0 {
                            pos &-= 1
                            x = x &<< 32 | UInt64(wordBase[pos])
                        }
                        let value: Int32
                        if symbol == escape {
                            let escaped = decodeEscape(x, pos, wordBase, precision, views[base + context])
                            (x, pos) = (escaped.state, escaped.position)
                            if escaped.value == nil { ok = false }
                            value = escaped.value ?? 0
                        } else {
                            value = Int32(truncatingIfNeeded: Int64(symbol) &+ offset)
                        }
                        channel[place] = value
                        states[lane] = x
                        lane = (lane &+ 1) & (lanes &- 1)
                        place &+= 1
                        column &+= 1
                        if column == width {
                            column = 0
                            left = 0
                        } else {
                            left = reach.reaches(value) ? 1 : 0
                        }
                    }
                }
            }
            position = pos
            return ok
        }
        guard ok else {
            throw EntropyError(.badEscape, at: 4 * position, "an escape code decodes outside Int32 or has a length above 33 (spec §10.4)")
        }
        try InterleavedRans.finishLanes(states, position: position, values: range.count)
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
