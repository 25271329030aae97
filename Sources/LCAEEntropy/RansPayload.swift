import LCAESupport

/// A coded sequence: interleaved lanes in independently decodable substreams (spec §10.6).
///
/// Substream j codes the next `valueCounts[j]` values with its own lanes, so
/// substreams decode in parallel; the output is the same for any thread count.
public struct RansPayload: Equatable, Sendable {
    /// The lane count L of every substream: 1, 2, 4 or 8 (spec §10.5, Table 10-1).
    public var lanes: Int
    /// The substreams in file order (spec §10.6).
    public var substreams: [Substream]

    /// One independently decodable substream: value_count(j) and its words (spec Table 10-1).
    public struct Substream: Equatable, Sendable {
        /// The number of values the substream codes.
        public var valueCount: Int
        /// The substream's coded words (spec §10.1).
        public var words: [UInt32]
    }

    /// A payload from its parts, unchecked; `parse(_:expectedValues:)` checks a payload read from a file.
    public init(lanes: Int, substreams: [Substream]) {
        self.lanes = lanes
        self.substreams = substreams
    }

    /// N, the values of all substreams together.
    public var valueCount: Int { substreams.reduce(0) { $0 + $1.valueCount } }
    /// The words of all substreams together.
    public var wordCount: Int { substreams.reduce(0) { $0 + $1.words.count } }
    /// Bytes of the lane count and substream table before the words.
    public var headerSize: Int { 5 + 8 * substreams.count }

    /// The default split of `count` values into `parts` contiguous ranges of near-equal size.
    public static func split(_ count: Int, into parts: Int) -> [Range<Int>] {
        (0..<parts).map { j in (count * j / parts)..<(count * (j + 1) / parts) }
    }

    // MARK: Coding

    /// Encodes values into `substreams` parts (encoding them on up to `threads` threads).
    public static func encode(
        _ values: [Int32], modelIndex: [UInt16]? = nil, models: ModelSet, lanes: Int,
        substreams: Int = 1, threads: Int = 1
    ) throws(EntropyError) -> RansPayload {
        guard substreams >= 1 else {
            throw EntropyError(.badPayload, "at least one substream (spec §10.6)")
        }
        let ranges = split(values.count, into: substreams)
        let results = values.withUnsafeBufferPointer { values in
            Self.withOptionalBuffer(modelIndex) { index in
                Parallel.map(ranges.count, threads: threads) { j in
                    let range = ranges[j]
                    return Result { () throws(EntropyError) -> [UInt32] in
                        try InterleavedRans.encode(
                            UnsafeBufferPointer(rebasing: values[range]),
                            modelIndex: index.map { UnsafeBufferPointer(rebasing: $0[range]) },
                            models: models, lanes: lanes)
                    }
                }
            }
        }
        var parts: [Substream] = []
        for (j, result) in results.enumerated() {
            parts.append(Substream(valueCount: ranges[j].count, words: try result.get()))
        }
        return RansPayload(lanes: lanes, substreams: parts)
    }

    /// Decodes all values (substreams on up to `threads` threads; the result does not depend on it).
    public func decode(modelIndex: [UInt16]? = nil, models: ModelSet, threads: Int = 1) throws(EntropyError) -> [Int32] {
        var result: Result<Void, EntropyError> = .success(())
        let output = [Int32](unsafeUninitializedCapacity: valueCount) { buffer, count in
            result = Result { () throws(EntropyError) in
                try decode(into: buffer, modelIndex: modelIndex, models: models, threads: threads)
            }
            count = buffer.count
        }
        try result.get()
        return output
    }

    /// Decodes all values into `output` (exactly `valueCount` elements), for callers that reuse a buffer.
    /// On error, the substreams that failed are zeroed.
    public func decode(
        into output: inout MutableSpan<Int32>, modelIndex: [UInt16]? = nil, models: ModelSet, threads: Int = 1
    ) throws(EntropyError) {
        try output.withUnsafeMutableBufferPointer { (output) throws(EntropyError) in
            try decode(into: output, modelIndex: modelIndex, models: models, threads: threads)
        }
    }

    private func decode(
        into output: UnsafeMutableBufferPointer<Int32>, modelIndex: [UInt16]?, models: ModelSet, threads: Int
    ) throws(EntropyError) {
        let total = valueCount
        guard output.count == total else {
            throw EntropyError(.badPayload, "an output of \(output.count) values for a payload of \(total)")
        }
        if let modelIndex, modelIndex.count != total {
            throw EntropyError(.badModel, "\(modelIndex.count) model indices for \(total) values")
        }
        let outcome = Self.withOptionalBuffer(modelIndex) { index in
            Result { () throws(EntropyError) in
                try forEachSubstream(writing: output, threads: threads) { range, words, output in
                    let part = UnsafeMutableBufferPointer(rebasing: output[range])
                    let result = Result { () throws(EntropyError) in
                        try InterleavedRans.decode(
                            words, into: part, modelIndex: index.map { UnsafeBufferPointer(rebasing: $0[range]) },
                            models: models, lanes: lanes)
                    }
                    if case .failure = result {
                        // Zero the part so that no memory is left undefined.
                        part.update(repeating: 0)
                    }
                    return result
                }
            }
        }
        try outcome.get()
    }

    /// Runs `body` on every substream, on up to `threads` threads, with the substream's range of
    /// values, its words and `output`; throws the first failure in substream order, located in the
    /// whole payload (spec §9: the substream's first word plus the offset the body reports).
    ///
    /// - Precondition: the body of substream j writes only the elements of `output` that its
    ///   values decode to, which no other substream's do.
    package func forEachSubstream<Element>(
        writing output: UnsafeMutableBufferPointer<Element>, threads: Int,
        _ body: (Range<Int>, UnsafeBufferPointer<UInt32>, UnsafeMutableBufferPointer<Element>) -> Result<Void, EntropyError>
    ) throws(EntropyError) {
        var starts: [Int] = []
        var wordStarts: [Int] = []
        var (start, wordStart) = (0, headerSize)
        for substream in substreams {
            starts.append(start)
            wordStarts.append(wordStart)
            start += substream.valueCount
            wordStart += 4 * substream.words.count
        }
        let errors = Parallel.map(substreams.count, threads: threads, sharing: output) { j, output -> EntropyError? in
            let range = starts[j]..<(starts[j] + substreams[j].valueCount)
            guard case .failure(let failure) = substreams[j].words.withUnsafeBufferPointer({ body(range, $0, output) }) else {
                return nil
            }
            return EntropyError(failure.code, at: wordStarts[j] + failure.offset, "substream \(j): " + failure.message)
        }
        if let error = errors.compactMap({ $0 }).first { throw error }
    }

    // MARK: Bytes

    /// The payload bytes (spec §10.6, table 10-1).
    public func bytes() -> [UInt8] {
        var w = ByteWriter()
        w.u8(UInt8(lanes))
        w.u32(UInt32(substreams.count))
        for substream in substreams {
            w.u32(UInt32(substream.valueCount))
            w.u32(UInt32(substream.words.count))
        }
        var bytes = w.bytes
        bytes.reserveCapacity(bytes.count + 4 * wordCount)
        for substream in substreams {
            for word in substream.words {
                bytes.append(UInt8(truncatingIfNeeded: word))
                bytes.append(UInt8(truncatingIfNeeded: word >> 8))
                bytes.append(UInt8(truncatingIfNeeded: word >> 16))
                bytes.append(UInt8(truncatingIfNeeded: word >> 24))
            }
        }
        return bytes
    }

    /// Parses payload bytes (spec §10.6), checking the table against the bytes present and the
    /// expected value count before anything is allocated.
    public static func parse(_ bytes: ArraySlice<UInt8>, expectedValues: Int) throws(EntropyError) -> RansPayload {
        var reader = ByteReader(bytes, fileOffset: 0)
        do {
            let lanes = Int(try reader.u8("lanes"))
            guard InterleavedRans.laneCounts.contains(lanes) else {
                throw EntropyError(.badPayload, at: 0, "\(lanes) lanes; 1, 2, 4 or 8 are allowed (spec §10.6)")
            }
            let count = Int(try reader.u32("substream_count"))
            guard count >= 1, count <= (reader.remaining) / 8 else {
                throw EntropyError(.badPayload, at: 1, "\(count) substreams do not fit the \(bytes.count)-byte payload (spec §10.6)")
            }
            var table: [(values: Int, words: Int)] = []
            table.reserveCapacity(count)
            var values = 0
            var words = 0
            for j in 0..<count {
                let v = Int(try reader.u32("value_count"))
                let w = Int(try reader.u32("word_count"))
                values += v
                words += w
                guard values <= expectedValues else {
                    throw EntropyError(.badPayload, at: 5 + 8 * j, "substreams hold more than the \(expectedValues) values expected (spec §10.6)")
                }
                table.append((v, w))
            }
            // A wrong total is reported at the field that completes the sum: the last entry's.
            let lastEntry = 5 + 8 * (count - 1)
            guard values == expectedValues else {
                throw EntropyError(.badPayload, at: lastEntry, "substreams hold \(values) values, \(expectedValues) expected (spec §10.6)")
            }
            guard words == reader.remaining / 4, reader.remaining % 4 == 0 else {
                throw EntropyError(.badPayload, at: lastEntry + 4, "the table declares \(words) words; \(reader.remaining) bytes follow (spec §10.6)")
            }
            var substreams: [Substream] = []
            for entry in table {
                let raw = try reader.bytes(4 * entry.words, "words")
                var words = [UInt32](repeating: 0, count: entry.words)
                var k = raw.startIndex
                for i in 0..<entry.words {
                    words[i] = UInt32(raw[k]) | UInt32(raw[k + 1]) << 8 | UInt32(raw[k + 2]) << 16 | UInt32(raw[k + 3]) << 24
                    k += 4
                }
                substreams.append(Substream(valueCount: entry.values, words: words))
            }
            return RansPayload(lanes: lanes, substreams: substreams)
        } catch let error as EntropyError {
            throw error
        } catch {
            throw EntropyError(.badPayload, at: reader.offset, "the payload ends inside its substream table (spec §10.6)")
        }
    }

    private static func withOptionalBuffer<R>(_ array: [UInt16]?, _ body: (UnsafeBufferPointer<UInt16>?) -> R) -> R {
        guard let array else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0) }
    }
}
