import Foundation
import LCAESupport

/// A NumPy array read from or written to a `.npy` file, in C order, little-endian.
///
/// The reader checks the header strictly and the data size against the shape
/// (with checked arithmetic) before it allocates; `maxElements` bounds what a
/// file can make it allocate.
public struct NpyArray: Equatable, Sendable {
    /// The element types this library reads and writes, by their NumPy `descr` string.
    public enum DType: String, Sendable, CaseIterable {
        case uint8 = "|u1", int8 = "|i1", uint16 = "<u2", int16 = "<i2", uint32 = "<u4", int32 = "<i4"
        case uint64 = "<u8", int64 = "<i8", float32 = "<f4", float64 = "<f8", bool = "|b1"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .uint8, .int8, .bool: 1
            case .uint16, .int16: 2
            case .uint32, .int32, .float32: 4
            case .uint64, .int64, .float64: 8
            }
        }

        /// True for the integer and boolean types, false for the float types.
        public var isInteger: Bool { ![.float32, .float64].contains(self) }

        /// NumPy also writes one-byte types with `<` or `=`, and native-order types with `=`.
        init?(descr: String) {
            if let exact = DType(rawValue: descr) { self = exact; return }
            guard let first = descr.first, "<=|".contains(first) else { return nil }
            let body = descr.dropFirst()
            guard let match = DType.allCases.first(where: { $0.rawValue.dropFirst() == body }) else { return nil }
            self = match
        }
    }

    /// The element type.
    public var dtype: DType
    /// The dimensions, slowest first (C order); empty for a scalar.
    public var shape: [Int]
    /// Little-endian element bytes in C order.
    public var data: [UInt8]

    /// The number of elements: the product of `shape`.
    public var count: Int { shape.reduce(1, *) }

    /// An array from raw little-endian element bytes; the caller keeps `data` consistent with `dtype` and `shape`.
    public init(dtype: DType, shape: [Int], data: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// An int32 array of `values`, one-dimensional unless `shape` is given.
    public init(int32 values: [Int32], shape: [Int]? = nil) {
        self.init(dtype: .int32, shape: shape ?? [values.count], data: Self.bytes(values))
    }

    /// A uint32 array of `values`, one-dimensional unless `shape` is given.
    public init(uint32 values: [UInt32], shape: [Int]? = nil) {
        self.init(dtype: .uint32, shape: shape ?? [values.count], data: Self.bytes(values))
    }

    /// A float32 array of `values`, one-dimensional unless `shape` is given.
    public init(float32 values: [Float], shape: [Int]? = nil) {
        self.init(dtype: .float32, shape: shape ?? [values.count], data: Self.bytes(values.map(\.bitPattern)))
    }

    /// A float64 array of `values`, one-dimensional unless `shape` is given.
    public init(float64 values: [Double], shape: [Int]? = nil) {
        self.init(dtype: .float64, shape: shape ?? [values.count], data: Self.bytes(values.map(\.bitPattern)))
    }

    static func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(values.count * MemoryLayout<T>.size)
        for value in values {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    // MARK: Element access

    private func element(_ i: Int) -> UInt64 {
        var value: UInt64 = 0
        let base = i * dtype.size
        for k in 0..<dtype.size { value |= UInt64(data[base + k]) << (8 * k) }
        return value
    }

    /// The elements as UInt32; throws unless the dtype is uint32.
    public func uint32Values() throws(NpyError) -> [UInt32] {
        guard dtype == .uint32 else { throw NpyError(.wrongArray, "expected uint32, found \(dtype)") }
        return (0..<count).map { UInt32(truncatingIfNeeded: element($0)) }
    }

    /// The elements as Int32; integer dtypes whose values fit, or floats rounded to nearest (ties to even).
    public func int32Values() throws(NpyError) -> [Int32] {
        var out = [Int32]()
        out.reserveCapacity(count)
        for i in 0..<count {
            let raw = element(i)
            let value: Double
            switch dtype {
            case .uint8, .uint16, .uint32, .uint64, .bool: value = Double(raw)
            case .int8: value = Double(Int8(truncatingIfNeeded: raw))
            case .int16: value = Double(Int16(truncatingIfNeeded: raw))
            case .int32: value = Double(Int32(truncatingIfNeeded: raw))
            case .int64: value = Double(Int64(bitPattern: raw))
            case .float32: value = Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))).rounded(.toNearestOrEven)
            case .float64: value = Double(bitPattern: raw).rounded(.toNearestOrEven)
            }
            guard value >= Double(Int32.min), value <= Double(Int32.max) else {
                throw NpyError(.wrongArray, "element \(i) (\(value)) does not fit Int32")
            }
            out.append(Int32(value))
        }
        return out
    }

    /// The elements as Double (any dtype).
    public func doubleValues() -> [Double] {
        (0..<count).map { i in
            let raw = element(i)
            switch dtype {
            case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
            case .float64: return Double(bitPattern: raw)
            case .int8: return Double(Int8(truncatingIfNeeded: raw))
            case .int16: return Double(Int16(truncatingIfNeeded: raw))
            case .int32: return Double(Int32(truncatingIfNeeded: raw))
            case .int64: return Double(Int64(bitPattern: raw))
            default: return Double(raw)
            }
        }
    }

    // MARK: Reading

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Parses `.npy` bytes. `maxElements` bounds the array a file may declare.
    public static func parse(_ bytes: [UInt8], maxElements: Int = 1 << 30) throws(NpyError) -> NpyArray {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw NpyError(.badMagic, "not a .npy file: it does not start with \\x93NUMPY")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NpyError(.badHeader, at: 8, "the header length is truncated") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw NpyError(.badHeader, at: 6, ".npy format version \(major) is not 1, 2 or 3")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw NpyError(.badHeader, at: 8, "the header declares \(headerLength) bytes, \(bytes.count - headerStart) follow")
        }
        let dataStart = headerStart + headerLength
        guard let header = String(bytes: bytes[headerStart..<dataStart], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw NpyError(.badHeader, at: headerStart, "the header is not text")
        }
        let (descr, fortran, shape) = try parseHeader(header, at: headerStart)
        guard let dtype = DType(descr: descr) else {
            throw NpyError(.unsupportedType, at: headerStart, "dtype '\(descr)' is not supported; use little-endian integers, float32 or float64")
        }
        guard !fortran else { throw NpyError(.fortranOrder, at: headerStart, "Fortran-order arrays are not supported; save a C-order array") }
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= maxElements else {
                throw NpyError(.badSize, at: headerStart, "the shape \(shape) declares more than \(maxElements) elements")
            }
            elements = product
        }
        let dataSize = elements * dtype.size
        guard bytes.count - dataStart == dataSize else {
            throw NpyError(.badSize, at: dataStart, "shape \(shape) of \(dtype) needs \(dataSize) data bytes, the file has \(bytes.count - dataStart)")
        }
        return NpyArray(dtype: dtype, shape: shape, data: Array(bytes[dataStart...]))
    }

    /// Reads the dictionary NumPy writes: `{'descr': '<i4', 'fortran_order': False, 'shape': (3, 4), }`.
    private static func parseHeader(_ header: String, at offset: Int) throws(NpyError) -> (String, Bool, [Int]) {
        func fail(_ why: String) -> NpyError { NpyError(.badHeader, at: offset, "malformed header (\(why)): \(header.prefix(120))") }
        let text = header.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("{"), text.hasSuffix("}") else { throw fail("not a dictionary") }
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        var rest = Substring(text.dropFirst().dropLast())
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            if rest.isEmpty { break }
            guard let quote = rest.first, quote == "'" || quote == "\"" else { throw fail("expected a key") }
            rest = rest.dropFirst()
            guard let keyEnd = rest.firstIndex(of: quote) else { throw fail("unterminated key") }
            let key = String(rest[..<keyEnd])
            rest = rest[rest.index(after: keyEnd)...].drop { $0 == " " }
            guard rest.first == ":" else { throw fail("expected ':'") }
            rest = rest.dropFirst().drop { $0 == " " }
            switch key {
            case "descr":
                guard let q = rest.first, q == "'" || q == "\"" else { throw fail("descr is not a string") }
                rest = rest.dropFirst()
                guard let end = rest.firstIndex(of: q) else { throw fail("unterminated descr") }
                descr = String(rest[..<end])
                rest = rest[rest.index(after: end)...]
            case "fortran_order":
                if rest.hasPrefix("False") { fortran = false; rest = rest.dropFirst(5) }
                else if rest.hasPrefix("True") { fortran = true; rest = rest.dropFirst(4) }
                else { throw fail("fortran_order is not True or False") }
            case "shape":
                guard rest.first == "(", let end = rest.firstIndex(of: ")") else { throw fail("shape is not a tuple") }
                let items = rest[rest.index(after: rest.startIndex)..<end].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                var dims: [Int] = []
                for item in items {
                    guard let d = Int(item.hasSuffix("L") ? String(item.dropLast()) : item), d >= 0 else { throw fail("shape entry '\(item)'") }
                    dims.append(d)
                }
                shape = dims
                rest = rest[rest.index(after: end)...]
            default:
                throw fail("unknown key '\(key)'")
            }
        }
        guard let descr, let fortran, let shape else { throw fail("descr, fortran_order and shape are required") }
        return (descr, fortran, shape)
    }

    /// Reads and parses the `.npy` file at `path` (see `parse`).
    ///
    /// Throws `ioError` when the file cannot be read, and otherwise the errors
    /// of `parse`, with the path in the message.
    public static func read(contentsOf path: String, maxElements: Int = 1 << 30) throws(NpyError) -> NpyArray {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw NpyError(.ioError, "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            return try parse(bytes, maxElements: maxElements)
        } catch {
            throw NpyError(error.code, at: error.offset, "\(path): \(error.message)")
        }
    }

    // MARK: Writing

    /// Format 1.0 bytes, header padded so the data starts on a 64-byte boundary as NumPy does.
    public func bytes() -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = header.utf8.count
        return Self.magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + data
    }

    /// Writes atomically (temporary file, then rename).
    public func write(to path: String) throws(NpyError) {
        do {
            try AtomicFile.write(bytes(), to: path)
        } catch {
            throw NpyError(.ioError, "cannot write \(path): \(error.message)")
        }
    }
}
