/// An error found while reading or writing a PNG file, or building a `RasterImage`.
///
/// `code` is stable across releases: tools compare it by its raw value.
/// `offset` is the byte offset in the file of the chunk or field at fault
/// (0 for errors that are not about file bytes, such as an invalid `RasterImage`).
public struct PNGError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable error codes of the image layer.
    public enum Code: String, Sendable, CaseIterable, Codable {
        /// The first 8 bytes are not the PNG signature.
        case badSignature
        /// The file ends inside the signature or a chunk, or before IEND.
        case truncated
        /// A stored chunk CRC-32 does not match the chunk's type and data.
        case crcMismatch
        /// A chunk is malformed or misplaced: length above 2^31 - 1, a type that is not four
        /// ASCII letters, IHDR not first, a repeated or late chunk, IDAT chunks not consecutive.
        case badChunk
        /// IHDR holds a value or combination the PNG specification does not allow.
        case badHeader
        /// The palette is missing, has a bad length, or a pixel indexes past its end.
        case badPalette
        /// Valid PNG this reader does not handle: an unknown critical chunk.
        case unsupported
        /// A declared size is above the reader's limits.
        case limitExceeded
        /// The image data is not one zlib stream inflating to exactly the size IHDR implies.
        case badCompression
        /// A scanline starts with a filter type other than 0 to 4.
        case badFilter
        /// A `RasterImage` with inconsistent sizes or samples above its bit depth.
        case badImage
        /// The file could not be read or written.
        case ioError
    }

    /// The stable error code.
    public var code: Code
    /// Byte offset in the file of the chunk or field at fault.
    public var offset: Int
    /// A human explanation.
    public var message: String

    /// Creates an error with `code` at byte `offset` and an explanation.
    public init(_ code: Code, at offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    /// `CODE at byte N: MESSAGE`.
    public var description: String { "\(code.rawValue) at byte \(offset): \(message)" }
}
