import Foundation
import LCAESupport

/// Decodes PNG files into the codec's `RasterImage` form.
///
/// Every standard PNG is read: colour types 0, 2, 3, 4 and 6 at all their bit
/// depths, Adam7 interlacing, the five filters, image data split over any
/// number of IDAT chunks. The result is grey (colour types 0 and 4) or RGB
/// (2, 3 and 6, palettes expanded); grey below 8 bits is scaled to 8 bits as
/// `v * 255 / (2^depth - 1)` and 16-bit samples stay 16-bit.
///
/// Dropped: alpha (the alpha channel of types 4 and 6, and tRNS transparency;
/// `Decoded.droppedAlpha` tells), gamma, chromaticities, colour profiles and
/// every other ancillary chunk — samples are returned as stored.
///
/// The reader never traps on file data. It checks every chunk's CRC, refuses
/// unknown critical chunks, checks the declared sizes against `limits` and
/// inflates into a buffer of exactly the size IHDR implies, so a file can make
/// it allocate no more than its limits admit.
public struct PNGReader: Sendable {
    /// Bounds on the image a file may declare, checked before anything is allocated for it.
    public struct Limits: Equatable, Sendable {
        /// Largest image width accepted, in pixels.
        public var maxWidth: Int
        /// Largest image height accepted, in pixels.
        public var maxHeight: Int
        /// Bound on width × height.
        public var maxPixels: Int

        /// Limits; the defaults are those of LCAE level 3 (65535 × 65535, at most 2^30 pixels).
        public init(maxWidth: Int = 65535, maxHeight: Int = 65535, maxPixels: Int = 1 << 30) {
            self.maxWidth = maxWidth
            self.maxHeight = maxHeight
            self.maxPixels = maxPixels
        }
    }

    /// A decoded file: the image and what was lost converting it.
    public struct Decoded: Equatable, Sendable {
        /// The image: grey or RGB, alpha dropped.
        public var image: RasterImage
        /// The file's IHDR, for reports (source colour type, bit depth, interlacing).
        public var header: PNGHeader
        /// True when the file had transparency that the image no longer has: an alpha
        /// channel (colour types 4 and 6) or a tRNS chunk.
        public var droppedAlpha: Bool
    }

    /// Bounds on the image a file may declare.
    public var limits: Limits

    /// A reader with the given limits.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads the file at `path`.
    public func read(contentsOf path: String) throws(PNGError) -> Decoded {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw PNGError(.ioError, at: 0, "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            return try read(bytes)
        } catch {
            throw PNGError(error.code, at: error.offset, "\(path): \(error.message)")
        }
    }

    /// Decodes a whole PNG file held in memory.
    public func read(_ bytes: [UInt8]) throws(PNGError) -> Decoded {
        let file = try walk(bytes)
        let passes = file.header.passes
        let size = try filteredSize(file.header, passes, at: file.headerOffset)
        // Deflate expands at most 1032:1 (a 258-byte match in 2 bits), so data that cannot
        // reach `size` is refused before the output buffer is allocated.
        let (reachable, overflow) = file.dataBytes.multipliedReportingOverflow(by: 1032)
        if !overflow && size > reachable + 1032 {
            throw PNGError(.badCompression, at: file.dataOffsets[0],
                           "\(file.dataBytes) bytes of IDAT data cannot inflate to the \(size) bytes IHDR implies")
        }
        var data: [UInt8]
        do {
            data = try Deflate.inflate(file.data, size: size)
        } catch {
            throw PNGError(.badCompression, at: file.dataOffsets[error.part], "image data: \(error.message)")
        }
        let header = file.header
        let image = try data.withUnsafeMutableBufferPointer { (data) throws(PNGError) in
            var start = 0
            for (number, pass) in passes.enumerated() where !pass.isEmpty {
                let rowBytes = header.rowBytes(columns: pass.columns)
                if let row = PNGFilter.unfilter(data, start: start, rows: pass.rows, rowBytes: rowBytes, stride: header.filterStride) {
                    let place = header.interlaced ? "row \(row) of Adam7 pass \(number + 1)" : "row \(row)"
                    let filter = data[start + row * (rowBytes + 1)]
                    throw PNGError(.badFilter, at: file.dataOffsets[0], "\(place) has filter type \(filter), not 0 to 4")
                }
                start += pass.rows * (rowBytes + 1)
            }
            return try expand(UnsafeBufferPointer(data), header, passes, palette: file.palette, dataOffset: file.dataOffsets[0])
        }
        let droppedAlpha = header.colorType.hasAlpha || file.hasTransparency
        return Decoded(image: image, header: header, droppedAlpha: droppedAlpha)
    }

    // MARK: Chunks

    /// What the chunk walk keeps of a file.
    private struct ChunkSummary {
        var header: PNGHeader
        var headerOffset: Int
        /// PLTE as RGB triples.
        var palette: [UInt8]
        var hasTransparency: Bool
        /// IDAT data in file order, with each chunk's file offset.
        var data: [ArraySlice<UInt8>]
        var dataOffsets: [Int]
        var dataBytes: Int
    }

    /// Checks the signature and every chunk up to IEND; keeps what decoding needs.
    private func walk(_ bytes: [UInt8]) throws(PNGError) -> ChunkSummary {
        guard bytes.starts(with: Self.signature) else {
            if Self.signature.starts(with: bytes) {
                throw PNGError(.truncated, at: bytes.count, "the file ends inside the PNG signature")
            }
            throw PNGError(.badSignature, at: 0, "the file does not start with the PNG signature")
        }
        var header: PNGHeader?
        var headerOffset = 0
        var palette: [UInt8]?
        var hasTransparency = false
        var data: [ArraySlice<UInt8>] = []
        var dataOffsets: [Int] = []
        var dataBytes = 0
        var dataEnded = false
        var offset = Self.signature.count
        while true {
            guard bytes.count - offset >= 8 else {
                throw PNGError(.truncated, at: offset, bytes.count == offset ? "the file ends before IEND" : "the file ends inside a chunk's length and type")
            }
            let length = Int(bigEndian: bytes, at: offset)
            let typeBytes = bytes[(offset + 4)..<(offset + 8)]
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= Int(Int32.max) else {
                throw PNGError(.badChunk, at: offset, "chunk length \(length) is above 2^31-1")
            }
            guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                throw PNGError(.badChunk, at: offset + 4, "chunk type bytes \(Array(typeBytes)) are not four ASCII letters")
            }
            let dataStart = offset + 8
            guard bytes.count - dataStart >= length + 4 else {
                throw PNGError(.truncated, at: offset, "the file ends inside the \(type) chunk (\(length) data bytes)")
            }
            let chunkData = bytes[dataStart..<(dataStart + length)]
            let stored = UInt32(Int(bigEndian: bytes, at: dataStart + length))
            guard stored == CRC32.checksum(typeBytes, chunkData) else {
                throw PNGError(.crcMismatch, at: offset, "the \(type) chunk's CRC does not match its type and data")
            }
            if type != "IHDR" && header == nil {
                throw PNGError(.badChunk, at: offset, "the first chunk is \(type), not IHDR")
            }
            if type != "IDAT" && !data.isEmpty {
                dataEnded = true
            }
            switch type {
            case "IHDR":
                guard header == nil else { throw PNGError(.badChunk, at: offset, "a second IHDR chunk") }
                let parsed = try PNGHeader.parse(chunkData, at: dataStart)
                try check(parsed, at: dataStart)
                header = parsed
                headerOffset = dataStart
            case "PLTE":
                guard palette == nil else { throw PNGError(.badChunk, at: offset, "a second PLTE chunk") }
                guard data.isEmpty else { throw PNGError(.badChunk, at: offset, "PLTE after IDAT") }
                guard header?.colorType != .grey && header?.colorType != .greyAlpha else {
                    throw PNGError(.badChunk, at: offset, "PLTE in a greyscale image")
                }
                guard length % 3 == 0, (3...768).contains(length) else {
                    throw PNGError(.badPalette, at: offset, "PLTE has \(length) bytes, not 1 to 256 RGB entries")
                }
                palette = Array(chunkData)
            case "IDAT":
                guard !dataEnded else { throw PNGError(.badChunk, at: offset, "IDAT chunks are not consecutive") }
                if header?.colorType == .palette && palette == nil {
                    throw PNGError(.badPalette, at: offset, "a palette image has no PLTE before its IDAT")
                }
                data.append(chunkData)
                dataOffsets.append(offset)
                dataBytes += length
            case "IEND":
                guard length == 0 else { throw PNGError(.badChunk, at: offset, "IEND has \(length) data bytes, not 0") }
                guard let header, !data.isEmpty else { throw PNGError(.badChunk, at: offset, "IEND before any IDAT") }
                return ChunkSummary(header: header, headerOffset: headerOffset, palette: palette ?? [],
                                    hasTransparency: hasTransparency, data: data, dataOffsets: dataOffsets, dataBytes: dataBytes)
            default:
                // Bit 5 of the first type byte clear (an uppercase letter) marks a chunk critical.
                guard typeBytes.first.map({ $0 & 0x20 != 0 }) ?? false else {
                    throw PNGError(.unsupported, at: offset, "unknown critical chunk \(type)")
                }
                if type == "tRNS" { hasTransparency = true }
            }
            offset = dataStart + length + 4
        }
    }

    /// Checks the declared sizes against the limits; `offset` is IHDR's first data byte.
    private func check(_ header: PNGHeader, at offset: Int) throws(PNGError) {
        guard header.width <= limits.maxWidth else {
            throw PNGError(.limitExceeded, at: offset, "width \(header.width) is above the limit \(limits.maxWidth)")
        }
        guard header.height <= limits.maxHeight else {
            throw PNGError(.limitExceeded, at: offset + 4, "height \(header.height) is above the limit \(limits.maxHeight)")
        }
        let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        guard !overflow, pixels <= limits.maxPixels else {
            throw PNGError(.limitExceeded, at: offset, "\(header.width)x\(header.height) pixels is above the limit \(limits.maxPixels)")
        }
    }

    /// Bytes of filtered scanlines (filter-type bytes included) over all passes.
    private func filteredSize(_ header: PNGHeader, _ passes: [PNGHeader.Pass], at offset: Int) throws(PNGError) -> Int {
        var total = 0
        for pass in passes where !pass.isEmpty {
            let (lines, o1) = (header.rowBytes(columns: pass.columns) + 1).multipliedReportingOverflow(by: pass.rows)
            let (sum, o2) = total.addingReportingOverflow(lines)
            guard !o1, !o2 else {
                throw PNGError(.limitExceeded, at: offset, "the image data size overflows")
            }
            total = sum
        }
        return total
    }

    // MARK: Samples

    /// Converts unfiltered scanlines to the image's samples: alpha dropped, palette expanded, low depths scaled.
    private func expand(
        _ data: UnsafeBufferPointer<UInt8>, _ header: PNGHeader, _ passes: [PNGHeader.Pass], palette: [UInt8], dataOffset: Int
    ) throws(PNGError) -> RasterImage {
        let width = header.width
        let colorType = header.colorType
        let channels = colorType == .grey || colorType == .greyAlpha ? 1 : 3
        let bitDepth = header.bitDepth == 16 ? 16 : 8
        let stored = colorType.storedChannels
        let count = try RasterImage.sampleCount(width: width, height: header.height, channels: channels, bitDepth: bitDepth)
        var samples = [UInt16](repeating: 0, count: count)
        let entries = palette.count / 3
        var badIndex: (x: Int, y: Int, index: Int)?
        samples.withUnsafeMutableBufferPointer { samples in
            guard let out = samples.baseAddress, let input = data.baseAddress else { return }
            var start = 0
            passLoop: for pass in passes where !pass.isEmpty {
                let rowBytes = header.rowBytes(columns: pass.columns)
                let step = pass.dx * channels
                for row in 0..<pass.rows {
                    let line = input + start + row * (rowBytes + 1) + 1
                    let y = pass.y0 + row * pass.dy
                    let first = out + (y * width + pass.x0) * channels
                    switch (colorType, header.bitDepth) {
                    case (.palette, let depth):
                        for i in 0..<pass.columns {
                            let index = depth == 8 ? Int(line[i]) : Self.packed(line, i, depth)
                            guard index < entries else {
                                badIndex = (pass.x0 + i * pass.dx, y, index)
                                break passLoop
                            }
                            let pixel = first + i * step
                            pixel[0] = UInt16(palette[3 * index])
                            pixel[1] = UInt16(palette[3 * index + 1])
                            pixel[2] = UInt16(palette[3 * index + 2])
                        }
                    case (_, 8):
                        for i in 0..<pass.columns {
                            let source = line + i * stored
                            let pixel = first + i * step
                            for c in 0..<channels { pixel[c] = UInt16(source[c]) }
                        }
                    case (_, 16):
                        for i in 0..<pass.columns {
                            let source = line + 2 * i * stored
                            let pixel = first + i * step
                            for c in 0..<channels { pixel[c] = UInt16(source[2 * c]) << 8 | UInt16(source[2 * c + 1]) }
                        }
                    case (_, let depth):
                        // Grey at 1, 2 or 4 bits: 255 / (2^depth - 1) is 255, 85 or 17, exactly.
                        let scale = UInt16(255 / ((1 << depth) - 1))
                        for i in 0..<pass.columns {
                            first[i * step] = UInt16(Self.packed(line, i, depth)) * scale
                        }
                    }
                }
                start += pass.rows * (rowBytes + 1)
            }
        }
        if let badIndex {
            throw PNGError(.badPalette, at: dataOffset,
                           "pixel (\(badIndex.x), \(badIndex.y)) has palette index \(badIndex.index); PLTE has \(entries) entries")
        }
        return RasterImage(unchecked: width, height: header.height, channels: channels, bitDepth: bitDepth, samples: samples)
    }

    /// Sample `i` of a row packed at `depth` (1, 2 or 4) bits, leftmost pixel in the high bits.
    @inline(__always)
    private static func packed(_ line: UnsafePointer<UInt8>, _ i: Int, _ depth: Int) -> Int {
        let bit = i * depth
        return Int(line[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1)
    }
}
