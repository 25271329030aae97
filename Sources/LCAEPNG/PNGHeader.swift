/// The image description in a PNG file's IHDR chunk.
public struct PNGHeader: Equatable, Sendable {
    /// PNG colour types (PNG specification §6.1), by their IHDR values.
    public enum ColorType: UInt8, Sendable, CaseIterable {
        case grey = 0
        case rgb = 2
        case palette = 3
        case greyAlpha = 4
        case rgba = 6

        /// Samples per pixel as stored in the file (a palette index counts as one).
        var storedChannels: Int {
            switch self {
            case .grey, .palette: 1
            case .greyAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }

        var allowedBitDepths: [Int] {
            switch self {
            case .grey: [1, 2, 4, 8, 16]
            case .palette: [1, 2, 4, 8]
            case .rgb, .greyAlpha, .rgba: [8, 16]
            }
        }

        var hasAlpha: Bool { self == .greyAlpha || self == .rgba }
    }

    /// Image width in pixels (1 to 2^31 − 1).
    public var width: Int
    /// Image height in pixels (1 to 2^31 − 1).
    public var height: Int
    /// Bits per stored sample (per palette index for `.palette`): 1, 2, 4, 8 or 16.
    public var bitDepth: Int
    /// The colour type.
    public var colorType: ColorType
    /// Adam7 interlacing.
    public var interlaced: Bool

    /// IHDR's data length.
    static let length = 13

    /// Parses and checks IHDR's 13 data bytes; `offset` is the file offset of the first of them.
    static func parse(_ data: ArraySlice<UInt8>, at offset: Int) throws(PNGError) -> PNGHeader {
        let field = Array(data)
        guard field.count == length else {
            throw PNGError(.badHeader, at: offset, "IHDR has \(field.count) data bytes, not \(length)")
        }
        let width = Int(bigEndian: field, at: 0)
        let height = Int(bigEndian: field, at: 4)
        guard (1...Int(Int32.max)).contains(width) else {
            throw PNGError(.badHeader, at: offset, "width \(width) is outside 1...2^31-1")
        }
        guard (1...Int(Int32.max)).contains(height) else {
            throw PNGError(.badHeader, at: offset + 4, "height \(height) is outside 1...2^31-1")
        }
        guard let colorType = ColorType(rawValue: field[9]) else {
            throw PNGError(.badHeader, at: offset + 9, "colour type \(field[9]) is not 0, 2, 3, 4 or 6")
        }
        let bitDepth = Int(field[8])
        guard colorType.allowedBitDepths.contains(bitDepth) else {
            throw PNGError(.badHeader, at: offset + 8, "bit depth \(bitDepth) is not allowed for colour type \(colorType.rawValue)")
        }
        guard field[10] == 0 else {
            throw PNGError(.badHeader, at: offset + 10, "compression method \(field[10]) is not 0 (deflate)")
        }
        guard field[11] == 0 else {
            throw PNGError(.badHeader, at: offset + 11, "filter method \(field[11]) is not 0 (adaptive)")
        }
        guard field[12] <= 1 else {
            throw PNGError(.badHeader, at: offset + 12, "interlace method \(field[12]) is not 0 or 1 (Adam7)")
        }
        return PNGHeader(width: width, height: height, bitDepth: bitDepth, colorType: colorType, interlaced: field[12] == 1)
    }

    /// IHDR's 13 data bytes.
    var bytes: [UInt8] {
        UInt32(width).bigEndianBytes + UInt32(height).bigEndianBytes
            + [UInt8(bitDepth), colorType.rawValue, 0, 0, interlaced ? 1 : 0]
    }

    var bitsPerPixel: Int { colorType.storedChannels * bitDepth }

    /// The distance in bytes between a byte and the one it is predicted from by filters Sub, Average and Paeth.
    var filterStride: Int { max(1, bitsPerPixel / 8) }

    /// Bytes of one scanline of `columns` pixels, without its filter-type byte. No overflow: columns < 2^31, bitsPerPixel ≤ 64.
    func rowBytes(columns: Int) -> Int { (columns * bitsPerPixel + 7) / 8 }

    /// One reduced image of the interlacing: the pixels (x0 + i·dx, y0 + j·dy) for i < columns, j < rows.
    struct Pass: Equatable {
        var x0: Int, y0: Int, dx: Int, dy: Int
        var columns: Int, rows: Int

        var isEmpty: Bool { columns == 0 || rows == 0 }
    }

    /// The passes in file order: the whole image, or Adam7's seven (some empty for small images).
    var passes: [Pass] {
        guard interlaced else {
            return [Pass(x0: 0, y0: 0, dx: 1, dy: 1, columns: width, rows: height)]
        }
        let adam7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        return adam7.map { x0, y0, dx, dy in
            Pass(x0: x0, y0: y0, dx: dx, dy: dy,
                 columns: width > x0 ? (width - x0 + dx - 1) / dx : 0,
                 rows: height > y0 ? (height - y0 + dy - 1) / dy : 0)
        }
    }
}

extension Int {
    /// The big-endian unsigned 32-bit value at `index`; the caller has checked that 4 bytes are there.
    init(bigEndian bytes: [UInt8], at index: Int) {
        self = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
    }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] { [UInt8(self >> 24), UInt8(truncatingIfNeeded: self >> 16), UInt8(truncatingIfNeeded: self >> 8), UInt8(truncatingIfNeeded: self)] }
}
