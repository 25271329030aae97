import CZlib

/// CRC-32 as in ISO 3309 / PNG (polynomial 0xEDB88320, reflected), computed by zlib (spec §5.3).
package enum CRC32 {
    package static func checksum(_ parts: ArraySlice<UInt8>...) -> UInt32 {
        var crc: uLong = crc32(0, nil, 0)
        for part in parts {
            crc = part.withUnsafeBufferPointer { buffer in
                // zlib takes a 32-bit length; chunk payloads are below 2^31 by spec §5.1.
                crc32(crc, buffer.baseAddress, uInt(buffer.count))
            }
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
