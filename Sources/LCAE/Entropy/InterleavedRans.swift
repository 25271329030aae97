/// rANS over L interleaved lanes sharing one word stack (spec §10.5).
///
/// Value i is coded by lane `i mod L`. The encoder runs over the values in
/// reverse and pushes words; the decoder runs forward and pops them, so each
/// pop mirrors a push. With L = 1 the words are exactly constriction's
/// `AnsCoder` output; with L > 1 each lane starts at state 2^32 and its final
/// state is stored as two words.
public enum InterleavedRans {
    public static let laneCounts: Set<Int> = [1, 2, 4, 8]

    /// Bits of the escape's length field (spec §10.4).
    static let escapeLengthBits = 6
    /// Largest length: z + 1 < 2^34, so it has at most 33 bits below its leading one.
    static let escapeMaxLength = 33

    // MARK: Encoding

    /// Codes `values` (model of value i: `models` entry `modelIndex[i]`, or entry 0 without an index).
    public static func encode(
        _ values: UnsafeBufferPointer<Int32>, modelIndex: UnsafeBufferPointer<UInt16>? = nil,
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
    /// the chunks last to first, then the length.
    @inline(never)
    static func encodeEscape(_ value: Int64, _ view: EncodeView, _ x: inout UInt64, _ coder: inout EncoderLanes) {
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
        _ words: UnsafeBufferPointer<UInt32>, into output: UnsafeMutableBufferPointer<Int32>,
        modelIndex: UnsafeBufferPointer<UInt16>? = nil, models: ModelSet, lanes: Int
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
        let failure = models.cdf.withUnsafeBufferPointer { cdf in
            models.lookup.withUnsafeBufferPointer { lookup in
                let views = models.info.map { DecodeView($0, cdf: cdf.baseAddress!, lookup: lookup.baseAddress!) }
                return views.withUnsafeBufferPointer { views in
                    var decoder = DecoderLanes(precision: UInt64(models.precision), words: words, position: position)
                    defer { position = decoder.position }
                    if let modelIndex {
                        return decodeLanes(&decoder, &states, output, IndexedModels(views: views.baseAddress!, index: modelIndex.baseAddress))
                    }
                    return decodeLanes(&decoder, &states, output, SingleModel(view: views[0]))
                }
            }
        }
        if let failure { throw failure }
        let initial: UInt64 = lanes == 1 ? 0 : 1 << 32
        guard position == 0, states.allSatisfy({ $0 == initial }) else {
            throw EntropyError(
                .desynchronised, at: 4 * position,
                "after \(output.count) values \(position) words are left and the lane states are not initial: the stream is truncated or corrupt (spec §10.5.3)")
        }
    }

    /// The decoding loop, with the lane states in local variables for each lane count.
    @inline(__always)
    private static func decodeLanes<Source: ModelSource>(
        _ decoder: inout DecoderLanes, _ states: inout [UInt64], _ output: UnsafeMutableBufferPointer<Int32>, _ source: Source
    ) -> EntropyError? where Source.View == DecodeView {
        let lanes = states.count
        var x = [UInt64](repeating: 0, count: 8)
        x.replaceSubrange(0..<lanes, with: states)
        var (x0, x1, x2, x3, x4, x5, x6, x7) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7])
        let n = output.count
        let whole = n - n % lanes
        var i = 0
        var ok = true
        switch lanes {
        case 1:
            while i < whole {
                ok = decoder.get(&x0, &output[i], source.view(i)) && ok
                i += 1
            }
        case 2:
            while i < whole {
                ok = decoder.get(&x0, &output[i], source.view(i)) && ok
                ok = decoder.get(&x1, &output[i + 1], source.view(i + 1)) && ok
                i += 2
            }
        case 4:
            while i < whole {
                ok = decoder.get(&x0, &output[i], source.view(i)) && ok
                ok = decoder.get(&x1, &output[i + 1], source.view(i + 1)) && ok
                ok = decoder.get(&x2, &output[i + 2], source.view(i + 2)) && ok
                ok = decoder.get(&x3, &output[i + 3], source.view(i + 3)) && ok
                i += 4
            }
        default:
            while i < whole {
                ok = decoder.get(&x0, &output[i], source.view(i)) && ok
                ok = decoder.get(&x1, &output[i + 1], source.view(i + 1)) && ok
                ok = decoder.get(&x2, &output[i + 2], source.view(i + 2)) && ok
                ok = decoder.get(&x3, &output[i + 3], source.view(i + 3)) && ok
                ok = decoder.get(&x4, &output[i + 4], source.view(i + 4)) && ok
                ok = decoder.get(&x5, &output[i + 5], source.view(i + 5)) && ok
                ok = decoder.get(&x6, &output[i + 6], source.view(i + 6)) && ok
                ok = decoder.get(&x7, &output[i + 7], source.view(i + 7)) && ok
                i += 8
            }
        }
        while i < n {
            switch i % lanes {
            case 0: ok = decoder.get(&x0, &output[i], source.view(i)) && ok
            case 1: ok = decoder.get(&x1, &output[i], source.view(i)) && ok
            case 2: ok = decoder.get(&x2, &output[i], source.view(i)) && ok
            case 3: ok = decoder.get(&x3, &output[i], source.view(i)) && ok
            case 4: ok = decoder.get(&x4, &output[i], source.view(i)) && ok
            case 5: ok = decoder.get(&x5, &output[i], source.view(i)) && ok
            default: ok = decoder.get(&x6, &output[i], source.view(i)) && ok
            }
            i += 1
        }
        states = Array([x0, x1, x2, x3, x4, x5, x6, x7].prefix(lanes))
        return ok ? nil : EntropyError(.badEscape, at: 4 * decoder.position, "an escape code decodes outside Int32 or has a length above 33 (spec §10.4)")
    }
}
