import LCAESupport

/// Encodes a `RasterImage` as a PNG file: grey or RGB, 8 or 16 bits, not interlaced.
///
/// Each scanline gets the filter whose output has the smallest sum of absolute
/// (signed) byte values, the heuristic libpng uses; the filtered data is one
/// zlib stream at `compressionLevel`. Only IHDR, IDAT and IEND are written.
public struct PNGWriter: Sendable {
    /// zlib level, 0 (stored) to 9 (smallest).
    public let compressionLevel: Int

    /// The largest IDAT chunk written; longer data is split, as readers may buffer a chunk whole.
    static let maxChunkData = 1 << 20

    /// `compressionLevel` outside 0...9 is a programming error and traps.
    public init(compressionLevel: Int = 6) {
        precondition((0...9).contains(compressionLevel), "zlib levels are 0 to 9, not \(compressionLevel)")
        self.compressionLevel = compressionLevel
    }

    /// The PNG file's bytes.
    public func encode(_ image: RasterImage) -> [UInt8] {
        let header = PNGHeader(width: image.width, height: image.height, bitDepth: image.bitDepth,
                               colorType: image.channels == 1 ? .grey : .rgb, interlaced: false)
        let compressed = Deflate.compress(filteredScanlines(image, header), level: Int32(compressionLevel))
        var file = PNGReader.signature
        Self.appendChunk("IHDR", header.bytes[...], to: &file)
        var start = 0
        repeat {
            let end = min(start + Self.maxChunkData, compressed.count)
            Self.appendChunk("IDAT", compressed[start..<end], to: &file)
            start = end
        } while start < compressed.count
        Self.appendChunk("IEND", [][...], to: &file)
        return file
    }

    /// Writes the file atomically: a crash leaves either the old file or the whole new one.
    public func write(_ image: RasterImage, to path: String) throws(PNGError) {
        do {
            try AtomicFile.write(encode(image), to: path)
        } catch {
            throw PNGError(.ioError, at: error.offset, error.message)
        }
    }

    /// Scanlines as big-endian samples, each behind its chosen filter-type byte.
    private func filteredScanlines(_ image: RasterImage, _ header: PNGHeader) -> [UInt8] {
        let rowBytes = header.rowBytes(columns: image.width)
        let stride = header.filterStride
        var raw = [UInt8](repeating: 0, count: rowBytes * image.height)
        if image.bitDepth == 8 {
            for (i, sample) in image.samples.enumerated() { raw[i] = UInt8(truncatingIfNeeded: sample) }
        } else {
            for (i, sample) in image.samples.enumerated() {
                raw[2 * i] = UInt8(sample >> 8)
                raw[2 * i + 1] = UInt8(truncatingIfNeeded: sample)
            }
        }
        var out = [UInt8](repeating: 0, count: (rowBytes + 1) * image.height)
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        let zeros = [UInt8](repeating: 0, count: rowBytes)
        raw.withUnsafeBufferPointer { raw in
            out.withUnsafeMutableBufferPointer { out in
                candidate.withUnsafeMutableBufferPointer { candidate in
                    zeros.withUnsafeBufferPointer { zeros in
                        guard let raw = raw.baseAddress, let out = out.baseAddress,
                              let candidate = candidate.baseAddress, let zeros = zeros.baseAddress else { return }
                        for y in 0..<image.height {
                            let row = raw + y * rowBytes
                            let above = y == 0 ? zeros : row - rowBytes
                            let line = out + (rowBytes + 1) * y
                            var best = Int.max
                            for filter in PNGFilter.allCases {
                                filter.apply(row, above: above, count: rowBytes, stride: stride, into: candidate)
                                let cost = PNGFilter.cost(candidate, count: rowBytes)
                                if cost < best {
                                    best = cost
                                    line[0] = filter.rawValue
                                    (line + 1).update(from: candidate, count: rowBytes)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    private static func appendChunk(_ type: String, _ data: ArraySlice<UInt8>, to file: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        file += UInt32(data.count).bigEndianBytes + typeBytes
        file += data
        file += CRC32.checksum(typeBytes[...], data).bigEndianBytes
    }
}
