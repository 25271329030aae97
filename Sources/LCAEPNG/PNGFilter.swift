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

    /// Filters the `count` bytes of `row` with this filter into `out`; `above` is the previous
    /// unfiltered row (zeros for the first).
    func apply(_ row: UnsafePointer<UInt8>, above: UnsafePointer<UInt8>, count: Int, stride: Int, into out: UnsafeMutablePointer<UInt8>) {
        let left = min(stride, count)
        switch self {
        case .none:
            out.update(from: row, count: count)
        case .sub:
            out.update(from: row, count: left)
            for i in left..<count { out[i] = row[i] &- row[i - stride] }
        case .up:
            for i in 0..<count { out[i] = row[i] &- above[i] }
        case .average:
            for i in 0..<left { out[i] = row[i] &- above[i] >> 1 }
            for i in left..<count { out[i] = row[i] &- UInt8(truncatingIfNeeded: (UInt16(row[i - stride]) &+ UInt16(above[i])) >> 1) }
        case .paeth:
            for i in 0..<left { out[i] = row[i] &- above[i] }
            for i in left..<count { out[i] = row[i] &- Self.predictPaeth(row[i - stride], above[i], above[i - stride]) }
        }
    }

    /// libpng's heuristic for choosing a filter: the sum of the filtered bytes read as signed
    /// magnitudes (0...128) — small residuals compress best.
    static func cost(_ filtered: UnsafePointer<UInt8>, count: Int) -> Int {
        var sum = 0
        for byte in UnsafeBufferPointer(start: filtered, count: count) {
            sum &+= byte < 128 ? Int(byte) : 256 - Int(byte)
        }
        return sum
    }
}
