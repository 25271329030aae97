import CZlib

/// zlib's deflate format (RFC 1950) for compressed chunk data (spec §12.5).
enum Deflate {
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), Z_BEST_COMPRESSION)
            }
        }
        // compress2 cannot fail with a buffer of compressBound bytes.
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")
        return Array(out.prefix(Int(capacity)))
    }

    /// Inflates to exactly `size` bytes, consuming all of `data`; nil if the data is not valid
    /// zlib data of that size. It never produces more than `size` bytes (no decompression bomb).
    static func decompress(_ data: ArraySlice<UInt8>, size: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: max(size, 1))
        var produced = uLong(size)
        var consumed = uLong(data.count)
        let status = out.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBufferPointer { input in
                uncompress2(out.baseAddress, &produced, input.baseAddress, &consumed)
            }
        }
        guard status == Z_OK, Int(produced) == size, Int(consumed) == data.count else { return nil }
        return Array(out.prefix(size))
    }
}
