/// An error reading a NumPy `.npy` file (format versions 1.0 to 3.0).
public struct NpyError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable, Codable {
        /// The file does not start with `\x93NUMPY`.
        case badMagic
        /// Unknown format version, or a header that is not the dictionary NumPy writes.
        case badHeader
        /// A dtype this reader does not handle (big-endian, structured, object, ...).
        case unsupportedType
        /// Fortran order: only C order is read.
        case fortranOrder
        /// The data is shorter or longer than the shape says, or above the caller's limit.
        case badSize
        /// The array has a dtype or shape other than the one the caller needs.
        case wrongArray
        /// The file cannot be read or written.
        case ioError
    }

    public var code: Code
    public var offset: Int
    public var message: String

    public init(_ code: Code, at offset: Int = 0, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(code.rawValue) at byte \(offset): \(message)" }
}
