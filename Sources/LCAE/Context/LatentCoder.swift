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
        var starts: [Int] = []
        var start = 0
        for substream in payload.substreams {
            starts.append(start)
            start += substream.valueCount
        }
        var errors = [EntropyError?](repeating: nil, count: starts.count)
        values.withUnsafeMutableBufferPointer { output in
            nonisolated(unsafe) let output = output
            errors.withUnsafeMutableBufferPointer { errors in
                nonisolated(unsafe) let errors = errors
                parallel(starts.count, threads: threads) { j in
                    let substream = payload.substreams[j]
                    let range = starts[j]..<(starts[j] + substream.valueCount)
                    let result = substream.words.withUnsafeBufferPointer { words in
                        Result { () throws(EntropyError) in
                            try decodeSubstream(words, range, lanes: payload.lanes, layout, models, bases, output)
                        }
                    }
                    if case .failure(let failure) = result {
                        var offset = payload.headerSize
                        for earlier in payload.substreams.prefix(j) { offset += 4 * earlier.words.count }
                        errors[j] = EntropyError(failure.code, at: offset + failure.offset, "substream \(j): " + failure.message)
                    }
                }
            }
        }
        if let error = errors.compactMap({ $0 }).first { throw error }
        return LatentTensor(channels: c, height: height, width: width, values: values)
    }

    private static func decodeSubstream(
        _ words: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, lanes: Int, _ layout: Layout,
        _ models: ModelSet, _ bases: [Int], _ output: UnsafeMutableBufferPointer<Int32>
    ) throws(EntropyError) {
        var (states, position) = try InterleavedRans.startLanes(words, lanes: lanes)
        let margin = 7 * lanes
        let ok = InterleavedRans.withDecoder(words, position: position, models: models) { start, views in
            var decoder = start
            var ok = true
            states.withUnsafeMutableBufferPointer { states in
                var lane = 0
                for segment in layout.segments(range) {
                    let k = layout.tables.order[segment.position]
                    let channelBase = k * layout.plane
                    let base = bases[k]
                    for t in segment.coded {
                        let place = t - segment.channelStart
                        let context = layout.context(segment.position, place, t, range.lowerBound) { output[$0] }
                        ok = decoder.get(&states[lane], &output[channelBase + place], views[base + context],
                                         unchecked: decoder.position >= margin) && ok
                        lane = (lane + 1) & (lanes - 1)
                    }
                }
            }
            position = decoder.position
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
        mostProbableReaches = tables.order.map { tables.reaches(tables.channels[$0].mostProbable, tables.channels[$0]) }
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
        let k = tables.order[p]
        let channel = tables.channels[k]
        let base = k * plane
        var count = 0
        if place % width != 0 && t - 1 >= first && tables.reaches(value(base + place - 1), channel) { count += 1 }
        if place >= width && t - width >= first && tables.reaches(value(base + place - width), channel) { count += 1 }
        if p > 0 {
            let previous = tables.order[p - 1]
            let start = codedStarts[p - 1]
            if start < 0 {
                if mostProbableReaches[p - 1] { count += 1 }
            } else if start + place >= first && tables.reaches(value(previous * plane + place), tables.channels[previous]) {
                count += 1
            }
        }
        return count
    }
}
