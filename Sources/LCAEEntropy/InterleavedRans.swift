/// rANS over L interleaved lanes sharing one word stack (spec §10.5).
///
/// Value i is coded by lane `i mod L`. The encoder runs over the values in
/// reverse and pushes words; the decoder runs forward and pops them, so each
/// pop mirrors a push. With L = 1 the words are exactly constriction's
/// `AnsCoder` output; with L > 1 each lane starts at state 2^32 and its final
/// state is stored as two words.
public enum InterleavedRans {
    /// The lane counts L a coded sequence may use (spec §10.5).
    public static let laneCounts: Set<Int> = [1, 2, 4, 8]

    /// Bits of the escape's length field (spec §10.4).
    static let escapeLengthBits = 6
    /// Largest length: z + 1 < 2^34, so it has at most 33 bits below its leading one.
    static let escapeMaxLength = 33

    // MARK: Encoding

    /// Codes `values` (model of value i: `models` entry `modelIndex[i]`, or entry 0 without an
    /// index) over `lanes` lanes (spec §10.5); throws `badModel` for a missing model or index and
    /// `badPayload` for a lane count other than 1, 2, 4 or 8.
    public static func encode(
        _ values: Span<Int32>, modelIndex: Span<UInt16>? = nil, models: ModelSet, lanes: Int
    ) throws(EntropyError) -> [UInt32] {
        try values.withUnsafeBufferPointer { (values) throws(EntropyError) in
            guard let modelIndex else { return try encode(values, modelIndex: nil, models: models, lanes: lanes) }
            return try modelIndex.withUnsafeBufferPointer { (index) throws(EntropyError) in
                try encode(values, modelIndex: index, models: models, lanes: lanes)
            }
        }
    }

    /// `encode(_:modelIndex:models:lanes:)` on buffers, for the payload's substreams.
    package static func encode(
        _ values: UnsafeBufferPointer<Int32>, modelIndex: UnsafeBufferPointer<UInt16>?,
        models: ModelSet, lanes: Int
    ) throws(EntropyError) -> [UInt32] {
        guard laneCounts.contains(lanes) else {
            throw EntropyError(.badPayload, "\(lanes) lanes; 1, 2, 4 or 8 are allowed (spec §10.5)")
        }
        if let modelIndex, modelIndex.count != values.count {
            throw EntropyError(.badModel, "\(modelIndex.count) model indices for \(values.count) values")
        }
        // Validate once so the loop below needs no checks: every model index exists and every
        // value is in its model's range or escapable.
        var escapes = 0
        for i in values.indices {
            let m = modelIndex.map { Int($0[i]) } ?? 0
            guard m < models.count else {
                throw EntropyError(.badModel, "value \(i) uses model \(m) of \(models.count)")
            }
            let info = models.info[m]
            let symbol = Int64(values[i]) - info.offset
            let regular = info.escape >= 0 ? Int64(info.escape) : Int64(info.symbolCount)
            if symbol < 0 || symbol >= regular {
                guard info.escape >= 0 else {
                    throw EntropyError(.impossibleSymbol, "value \(values[i]) at \(i) is outside model \(m)'s range, which has no escape")
                }
                escapes += 1
            }
        }
        let capacity = values.count + 6 * escapes + 2 * lanes
        return [UInt32](unsafeUninitializedCapacity: capacity) { buffer, count in
            count = encodeValidated(values, modelIndex, models, lanes, into: buffer.baseAddress!)
        }
    }

    private static func encodeValidated(
        _ values: UnsafeBufferPointer<Int32>, _ modelIndex: UnsafeBufferPointer<UInt16>?, _ models: ModelSet,
        _ lanes: Int, into out: UnsafeMutablePointer<UInt32>
    ) -> Int {
        models.encodeTable.withUnsafeBufferPointer { table in
            let views = models.info.map { EncodeView($0, table.baseAddress!) }
            return views.withUnsafeBufferPointer { views in
                if let modelIndex {
                    return encodeLanes(values, IndexedModels(views: views.baseAddress!, index: modelIndex.baseAddress), models.precision, lanes, out)
                }
                return encodeLanes(values, SingleModel(view: views[0]), models.precision, lanes, out)
            }
        }
    }

    /// The encoding loop, with the lane states in local variables for each lane count.
    @inline(__always)
    private static func encodeLanes<Source: ModelSource>(
        _ values: UnsafeBufferPointer<Int32>, _ source: Source, _ precision: Int, _ lanes: Int,
        _ out: UnsafeMutablePointer<UInt32>
    ) -> Int where Source.View == EncodeView {
        var coder = EncoderLanes(precision: UInt64(precision), out: out)
        let initial: UInt64 = lanes == 1 ? 0 : 1 << 32
        var (x0, x1, x2, x3, x4, x5, x6, x7) = (initial, initial, initial, initial, initial, initial, initial, initial)
        let n = values.count
        // The values after the last full group of `lanes` go first (the encoder runs backwards).
        var i = n
        while i > 0 && i % lanes != 0 {
            i -= 1
            switch i % lanes {
            case 0: coder.put(&x0, values[i], source.view(i))
            case 1: coder.put(&x1, values[i], source.view(i))
            case 2: coder.put(&x2, values[i], source.view(i))
            case 3: coder.put(&x3, values[i], source.view(i))
            case 4: coder.put(&x4, values[i], source.view(i))
            case 5: coder.put(&x5, values[i], source.view(i))
            default: coder.put(&x6, values[i], source.view(i))
            }
        }
        switch lanes {
        case 1:
            while i > 0 {
                i -= 1
                coder.put(&x0, values[i], source.view(i))
            }
        case 2:
            while i > 0 {
                i -= 2
                coder.put(&x1, values[i + 1], source.view(i + 1))
                coder.put(&x0, values[i], source.view(i))
            }
        case 4:
            while i > 0 {
                i -= 4
                coder.put(&x3, values[i + 3], source.view(i + 3))
                coder.put(&x2, values[i + 2], source.view(i + 2))
                coder.put(&x1, values[i + 1], source.view(i + 1))
                coder.put(&x0, values[i], source.view(i))
            }
        default:
            while i > 0 {
                i -= 8
                coder.put(&x7, values[i + 7], source.view(i + 7))
                coder.put(&x6, values[i + 6], source.view(i + 6))
                coder.put(&x5, values[i + 5], source.view(i + 5))
                coder.put(&x4, values[i + 4], source.view(i + 4))
                coder.put(&x3, values[i + 3], source.view(i + 3))
                coder.put(&x2, values[i + 2], source.view(i + 2))
                coder.put(&x1, values[i + 1], source.view(i + 1))
                coder.put(&x0, values[i], source.view(i))
            }
        }
        if lanes == 1 {
            for word in stateWords(x0) { coder.push(word) }
        } else {
            for x in [x0, x1, x2, x3, x4, x5, x6, x7].prefix(lanes).reversed() {
                coder.push(UInt32(truncatingIfNeeded: x))
                coder.push(UInt32(truncatingIfNeeded: x >> 32))
            }
        }
        return coder.count
    }

    /// Pushes the bypass code of an escaped value (spec §10.4), in reverse of decoding order:
    /// the chunks last to first, then the length. Returns the new state and word count.
    @inline(never)
    static func encodeEscape(_ value: Int64, _ view: EncodeView, _ state: UInt64, _ lanes: EncoderLanes) -> (UInt64, Int) {
        var coder = lanes
        var x = state
        let low = view.offset
        let high = view.offset + Int64(view.escape)
        let z: UInt64 = value >= high ? UInt64(value - high) << 1 : UInt64(low - 1 - value) << 1 | 1
        let code = z + 1
        let length = 63 - code.leadingZeroBitCount
        var chunks: [(bits: Int, value: UInt64)] = []
        var done = 0
        while done < length {
            let bits = min(8, length - done)
            chunks.append((bits, (code >> UInt64(done)) & ((1 << UInt64(bits)) - 1)))
            done += bits
        }
        for chunk in chunks.reversed() {
            coder.put(&x, rawSymbol(chunk.value, bits: chunk.bits, coder.precision))
        }
        coder.put(&x, rawSymbol(UInt64(length), bits: escapeLengthBits, coder.precision))
        return (x, coder.count)
    }

    /// A k-bit raw value as a symbol of the uniform model with frequency 2^(P−k) (spec §10.4).
    static func rawSymbol(_ value: UInt64, bits: Int, _ precision: UInt64) -> EncodeSymbol {
        let frequency = UInt32(1) << (UInt32(precision) - UInt32(bits))
        return EncodeSymbol(left: UInt32(value) * frequency, frequency: frequency, precision: Int(precision))
    }

    // MARK: Decoding

    /// Decodes `output.count` values from `words` (spec §10.5). Throws `desynchronised` if the
    /// lanes do not end at their initial states with every word consumed, `badEscape` on an
    /// invalid escape code. Never reads outside `words`.
    public static func decode(
        _ words: Span<UInt32>, into output: inout MutableSpan<Int32>,
        modelIndex: Span<UInt16>? = nil, models: ModelSet, lanes: Int
    ) throws(EntropyError) {
        try words.withUnsafeBufferPointer { (words) throws(EntropyError) in
            try output.withUnsafeMutableBufferPointer { (output) throws(EntropyError) in
                guard let modelIndex else { return try decode(words, into: output, modelIndex: nil, models: models, lanes: lanes) }
                try modelIndex.withUnsafeBufferPointer { (index) throws(EntropyError) in
                    try decode(words, into: output, modelIndex: index, models: models, lanes: lanes)
                }
            }
        }
    }

    /// `decode(_:into:modelIndex:models:lanes:)` on buffers, for the payload's substreams.
    package static func decode(
        _ words: UnsafeBufferPointer<UInt32>, into output: UnsafeMutableBufferPointer<Int32>,
        modelIndex: UnsafeBufferPointer<UInt16>?, models: ModelSet, lanes: Int
    ) throws(EntropyError) {
        guard laneCounts.contains(lanes) else {
            throw EntropyError(.badPayload, "\(lanes) lanes; 1, 2, 4 or 8 are allowed (spec §10.5)")
        }
        if let modelIndex {
            guard modelIndex.count == output.count else {
                throw EntropyError(.badModel, "\(modelIndex.count) model indices for \(output.count) values")
            }
            if let bad = modelIndex.firstIndex(where: { Int($0) >= models.count }) {
                throw EntropyError(.badModel, "value \(bad) uses model \(modelIndex[bad]) of \(models.count)")
            }
        }
        var (states, position) = try startLanes(words, lanes: lanes)
        let failure = models.cdf.withUnsafeBufferPointer { cdf in
                models.buckets.withUnsafeBufferPointer { buckets -> EntropyError? in
                    let tables = DecodeTables(cdf: cdf.baseAddress!, buckets: buckets.baseAddress!)
                    let views = models.info.map { DecodeView($0, tables, precision: models.precision) }
                    // An empty buffer may have no base address; the decoder never reads it then (position 0).
                    let base = words.baseAddress ?? tables.cdf
                    let result = views.withUnsafeBufferPointer { views in
                        let decoder = DecoderLanes(precision: AnyPrecision(models.precision), words: base, position: position)
                        if let modelIndex {
                            return decodeLanes(decoder, &states, output, IndexedModels(views: views.baseAddress!, index: modelIndex.baseAddress))
                        }
                        let view = views[0]
                        if view.escape < 0 && view.offset == 0 {
                            let plain = PlainModel(buckets: view.buckets, cdf: view.cdf, bucketBits: view.bucketBits, bucketShift: view.bucketShift)
                            if models.precision == 24 && view.bucketBits == UInt64(ModelSet.maxBucketBits) {
                                return decodeLanes(DecoderLanes(precision: Precision24(), words: base, position: position), &states, output, plain)
                            }
                            return decodeLanes(decoder, &states, output, plain)
                        }
                        return decodeLanes(decoder, &states, output, SingleModel(view: view))
                    }
                    position = result.position
                    return result.error
                }
        }
        if let failure { throw failure }
        try finishLanes(states, position: position, values: output.count)
    }

    /// The lane states a decoder starts from, and the words left (spec §10.5.2).
    package static func startLanes(_ words: UnsafeBufferPointer<UInt32>, lanes: Int) throws(EntropyError) -> ([UInt64], Int) {
        var position = words.count
        var states = [UInt64](repeating: 0, count: lanes)
        if lanes == 1 {
            // constriction's from_compressed: the top word must not be zero.
            if position > 0 {
                guard words[position - 1] != 0 else {
                    throw EntropyError(.badCompressedData, at: 4 * (position - 1), "the last word of a one-lane stream is zero (spec §10.5.2)")
                }
                position -= 1
                states[0] = UInt64(words[position])
                if position > 0 {
                    position -= 1
                    states[0] = states[0] << 32 | UInt64(words[position])
                }
            }
        } else {
            guard position >= 2 * lanes else {
                throw EntropyError(.badPayload, "\(position) words cannot hold \(lanes) lane states (spec §10.5.2)")
            }
            for lane in 0..<lanes {
                states[lane] = UInt64(words[position - 1]) << 32 | UInt64(words[position - 2])
                position -= 2
            }
        }
        return (states, position)
    }

    /// The end check (spec §10.5.3): every word taken, every lane back at its initial state.
    package static func finishLanes(_ states: [UInt64], position: Int, values: Int) throws(EntropyError) {
        let initial: UInt64 = states.count == 1 ? 0 : 1 << 32
        guard position == 0, states.allSatisfy({ $0 == initial }) else {
            throw EntropyError(
                .desynchronised, at: 4 * position,
                "after \(values) values \(position) words are left and the lane states are not initial: the stream is truncated or corrupt (spec §10.5.3)")
        }
    }

    /// The decoding loop, with the lane states in local variables for each lane count.
    @inline(__always)
    private static func decodeLanes<Source: ModelSource, Precision: PrecisionConstants>(
        _ start: DecoderLanes<Precision>, _ states: inout [UInt64], _ output: UnsafeMutableBufferPointer<Int32>, _ source: Source
    ) -> (position: Int, error: EntropyError?) where Source.View == DecodeView {
        switch states.count {
        case 1: decodeLanes(start, Lanes1.self, &states, output, source)
        case 2: decodeLanes(start, Lanes2.self, &states, output, source)
        case 4: decodeLanes(start, Lanes4.self, &states, output, source)
        default: decodeLanes(start, Lanes8.self, &states, output, source)
        }
    }

    private static func decodeLanes<Source: ModelSource, Lanes: LaneStates, Precision: PrecisionConstants>(
        _ start: DecoderLanes<Precision>, _: Lanes.Type, _ states: inout [UInt64], _ output: UnsafeMutableBufferPointer<Int32>, _ source: Source
    ) -> (position: Int, error: EntropyError?) where Source.View == DecodeView {
        var decoder = start
        var x = Lanes(states)
        let n = output.count
        let lanes = Lanes.count
        var i = 0
        var ok = true
        // While a whole group of refills cannot run out of words, refill without bounds tests.
        // An escape takes up to 7 words, so the margin covers a group of escapes too.
        let margin = 7 * lanes
        while i &+ lanes <= n && decoder.position >= margin {
            x.each { state, k in
                ok = decoder.get(&state, &output[i &+ k], source.view(i &+ k), unchecked: true, mayEscape: Source.mayEscape) && ok
            }
            i &+= lanes
        }
        // The rest, with bounds tests: the end of the words, and the last partial group.
        while i < n {
            ok = decoder.get(&x[i % lanes], &output[i], source.view(i), mayEscape: Source.mayEscape) && ok
            i += 1
        }
        states = x.array
        return (decoder.position, ok ? nil : EntropyError(.badEscape, at: 4 * decoder.position, "an escape code decodes outside Int32 or has a length above 33 (spec §10.4)"))
    }
}
