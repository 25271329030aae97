import CZlib

/// zlib's deflate format (RFC 1950): compressed chunk data (spec §12.5) and PNG image data.
package enum Deflate {
    /// Why zlib data did not inflate to the size the caller expected.
    package struct Failure: Error, Equatable {
        package enum Kind: Equatable {
            /// zlib refused the data (bad header, bad block, checksum mismatch, preset dictionary).
            case corrupt
            /// The stream inflates to more bytes than expected.
            case tooLong
            /// The stream ends, or the data ends, before the expected number of bytes.
            case tooShort
            /// Bytes follow the end of the zlib stream.
            case trailingData
        }

        package var kind: Kind
        /// Index of the input part where the failure showed.
        package var part: Int
        package var message: String
    }

    package static func compress(_ bytes: [UInt8], level: Int32 = Z_BEST_COMPRESSION) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), level)
            }
        }
        // compress2 cannot fail with a buffer of compressBound bytes and a level in 0...9.
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")
        return Array(out.prefix(Int(capacity)))
    }

    /// Inflates to exactly `size` bytes, consuming all of `data`; nil if the data is not valid
    /// zlib data of that size. It never produces more than `size` bytes (no decompression bomb).
    package static func decompress(_ data: ArraySlice<UInt8>, size: Int) -> [UInt8]? {
        try? inflate([data], size: size)
    }

    /// Inflates one zlib stream split over `parts` (PNG's IDAT chunks) into exactly `size` bytes.
    ///
    /// The output buffer is allocated once at `size` and never grows: a stream that would
    /// produce more is stopped at the first extra byte, so the caller's size bounds memory.
    package static func inflate(_ parts: [ArraySlice<UInt8>], size: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(kind: .corrupt, part: 0, message: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: size)
        var produced = 0
        var ended = false
        // Where output goes once `out` is full: one byte written there proves the stream too long.
        var spill: UInt8 = 0
        // zlib counts in 32 bits; larger inputs and outputs are fed in slices.
        let step = 1 << 30
        try out.withUnsafeMutableBufferPointer { (out) throws(Failure) in
            for (index, part) in parts.enumerated() {
                try part.withUnsafeBufferPointer { (input) throws(Failure) in
                    var consumed = 0
                    while consumed < input.count {
                        if ended {
                            throw Failure(kind: .trailingData, part: index,
                                          message: "\(input.count - consumed) bytes follow the end of the zlib stream")
                        }
                        let fed = min(input.count - consumed, step)
                        stream.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0 + consumed) }
                        stream.avail_in = uInt(fed)
                        let status: Int32
                        let wrote: Int
                        if produced == size {
                            (status, wrote) = withUnsafeMutablePointer(to: &spill) { spill in
                                stream.next_out = spill
                                stream.avail_out = 1
                                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                                return (status, 1 - Int(stream.avail_out))
                            }
                            if wrote > 0 {
                                throw Failure(kind: .tooLong, part: index, message: "the stream inflates to more than \(size) bytes")
                            }
                        } else {
                            let room = min(size - produced, step)
                            stream.next_out = out.baseAddress.map { $0 + produced }
                            stream.avail_out = uInt(room)
                            status = CZlib.inflate(&stream, Z_NO_FLUSH)
                            wrote = room - Int(stream.avail_out)
                        }
                        produced += wrote
                        consumed += fed - Int(stream.avail_in)
                        switch status {
                        case Z_STREAM_END:
                            ended = true
                        case Z_OK:
                            break
                        default:
                            let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                            throw Failure(kind: .corrupt, part: index, message: reason)
                        }
                    }
                }
            }
        }
        let last = max(parts.count - 1, 0)
        guard ended else {
            throw Failure(kind: .tooShort, part: last, message: "the data ends inside the zlib stream after \(produced) of \(size) bytes")
        }
        guard produced == size else {
            throw Failure(kind: .tooShort, part: last, message: "the stream inflates to \(produced) bytes, not \(size)")
        }
        return out
    }
}
