/// An error reading a NumPy `.npy` file (format versions 1.0 to 3.0).
public struct NpyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable error codes of the `.npy` reader and writer.
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

    /// The stable error code.
    public var code: Code
    /// Byte offset in the file of the part at fault (0 when the error is not about a position).
    public var offset: Int
    /// A human explanation.
    public var message: String

    /// Creates an error with `code` at byte `offset` and an explanation.
    public init(_ code: Code, at offset: Int = 0, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    /// `CODE at byte N: MESSAGE`.
    public var description: String { "\(code.rawValue) at byte \(offset): \(message)" }
}
