/// PNG's five scanline filters (PNG specification §9), all arithmetic modulo 256.
///
/// Scanlines are stored as a filter-type byte followed by `rowBytes` filtered bytes;
/// each byte is predicted from the byte `stride` to its left (a), the byte above (b)
/// and the byte above-left (c), zero outside the image.
enum PNGFilter: UInt8, CaseIterable {
    case none = 0, sub, up, average, paeth

    /// Undoes the filters in place over `rows` scanlines laid out from `start`.
    ///
    /// Returns the index of the first row whose filter-type byte is not 0 to 4, or nil.
    /// The caller guarantees `start + rows * (rowBytes + 1) <= data.count`.
    static func unfilter(_ data: UnsafeMutableBufferPointer<UInt8>, start: Int, rows: Int, rowBytes: Int, stride: Int) -> Int? {
        guard let base = data.baseAddress, rows > 0 else { return nil }
        let lineBytes = rowBytes + 1
        for row in 0..<rows {
            let line = base + start + row * lineBytes
            let current = line + 1
            guard let filter = PNGFilter(rawValue: line[0]) else { return row }
            // Above the first row the image is zero, so Up is None, Average halves the left byte and Paeth is Sub.
            let above: UnsafeMutablePointer<UInt8>? = row == 0 ? nil : current - lineBytes
            let left = min(stride, rowBytes)
            switch (filter, above) {
            case (.none, _), (.up, nil):
                break
            case (.sub, _), (.paeth, nil):
                for i in left..<rowBytes {
                    current[i] = current[i] &+ current[i - stride]
                }
            case (.up, let above?):
                for i in 0..<rowBytes {
                    current[i] = current[i] &+ above[i]
                }
            case (.average, nil):
                for i in left..<rowBytes {
                    current[i] = current[i] &+ current[i - stride] >> 1
                }
            case (.average, let above?):
                for i in 0..<left {
                    current[i] = current[i] &+ above[i] >> 1
                }
                for i in left..<rowBytes {
                    current[i] = current[i] &+ UInt8(truncatingIfNeeded: (UInt16(current[i - stride]) &+ UInt16(above[i])) >> 1)
                }
            case (.paeth, let above?):
                for i in 0..<left {
                    current[i] = current[i] &+ above[i]
                }
                for i in left..<rowBytes {
                    current[i] = current[i] &+ predictPaeth(current[i - stride], above[i], above[i - stride])
                }
            }
        }
        return nil
    }

    /// Paeth's predictor: whichever of a, b, c is nearest to a + b - c, ties in that order.
    @inline(__always)
    static func predictPaeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let a = Int(a), b = Int(b), c = Int(c)
        let distanceA = abs(b - c)
        let distanceB = abs(a - c)
        let distanceC = abs(a + b - 2 * c)
        if distanceA <= distanceB && distanceA <= distanceC { return UInt8(truncatingIfNeeded: a) }
        return UInt8(truncatingIfNeeded: distanceB <= distanceC ? b : c)
    }

    /// Filters `row` with this filter into `out` (which has `row.count` bytes); `above` is the
    /// previous unfiltered row, or nil for the first.
    func apply(_ row: UnsafeBufferPointer<UInt8>, above: UnsafeBufferPointer<UInt8>?, stride: Int, into out: UnsafeMutableBufferPointer<UInt8>) {
        let count = row.count
        func a(_ i: Int) -> UInt8 { i >= stride ? row[i - stride] : 0 }
        func b(_ i: Int) -> UInt8 { above?[i] ?? 0 }
        func c(_ i: Int) -> UInt8 { i >= stride ? above?[i - stride] ?? 0 : 0 }
        switch self {
        case .none:
            for i in 0..<count { out[i] = row[i] }
        case .sub:
            for i in 0..<count { out[i] = row[i] &- a(i) }
        case .up:
            for i in 0..<count { out[i] = row[i] &- b(i) }
        case .average:
            for i in 0..<count { out[i] = row[i] &- UInt8(truncatingIfNeeded: (UInt16(a(i)) + UInt16(b(i))) >> 1) }
        case .paeth:
            for i in 0..<count { out[i] = row[i] &- Self.predictPaeth(a(i), b(i), c(i)) }
        }
    }

    /// libpng's heuristic for choosing a filter: the sum of the filtered bytes read as signed
    /// magnitudes (0...128) — small residuals compress best.
    static func cost(_ filtered: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var sum = 0
        for byte in filtered {
            sum &+= byte < 128 ? Int(byte) : 256 - Int(byte)
        }
        return sum
    }
}
