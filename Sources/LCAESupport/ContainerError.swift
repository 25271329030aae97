/// An error found while reading or writing the `.lcae` container (spec §9).
///
/// `code` is stable across releases: tools and conformance sheets compare it
/// by its raw value. `offset` is the byte offset in the file of the field or
/// chunk at fault.
public struct ContainerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable error codes of the container layer (spec §9, table 9-1).
    public enum Code: String, Sendable, CaseIterable, Codable {
        /// The first 9 bytes are not the LCAE signature (spec §3).
        case badSignature
        /// The major format version is not 1 (spec §4).
        case unsupportedVersion
        /// The file ends inside a field or chunk, or before the LEND chunk (spec §5).
        case truncated
        /// A chunk type byte is not an ASCII letter (spec §5.2).
        case badChunkType
        /// A chunk length exceeds 2^31 - 1, or differs from the length its type requires (spec §5.1).
        case badChunkLength
        /// A stored CRC-32 does not match the type and payload (spec §5.3).
        case crcMismatch
        /// An unknown chunk type whose criticality bit says critical (spec §5.4).
        case unsupportedCritical
        /// A declared size is above the stream's level or the reader's limits (spec §8).
        case limitExceeded
        /// HEAD not first, LEND not last, or a chunk type repeated where the spec forbids it (spec §6).
        case badChunkOrder
        /// A chunk that the stream requires is absent (spec §6).
        case missingChunk
        /// Bytes follow the LEND chunk (spec §6).
        case trailingData
        /// A field holds a value the spec does not allow (the clause is in the message).
        case badField
        /// Context tables break a constraint of spec §12.2: a zero or wrong-total frequency table,
        /// an order that is not a permutation, a threshold or value out of range.
        case badTable
        /// The entropy-coded payload is inconsistent or does not decode to its declared end (spec §10, §12.6, §14.7).
        case badPayload
        /// A REC in-bin index outside its block's range (spec §14.7).
        case badIndex
        /// A chunk's compressed data does not inflate to its declared size (spec §12.5).
        case badCompression
        /// Referenced tables or a model are not the ones the stream names, or are not available (spec §12.5).
        case modelMismatch
        /// A decoded-output hash differs from the one the stream carries (spec §12.7).
        case hashMismatch
        /// The file could not be read or written (not a property of the stream).
        case ioError
    }

    /// The stable error code (spec Table 9-1).
    public var code: Code
    /// Byte offset in the file of the field or chunk at fault.
    public var offset: Int
    /// A human explanation, naming the spec clause where one applies.
    public var message: String

    /// Creates an error with `code` at byte `offset` of the file and an explanation.
    public init(_ code: Code, at offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    /// `CODE at byte N: MESSAGE`, the form the tools print (spec §11.3).
    public var description: String { "\(code.rawValue) at byte \(offset): \(message)" }
}
