/// An error of the entropy-coding layer (spec chapter 10).
///
/// `offset` is a byte offset into the coded data the operation worked on
/// (word index × 4); the container layer adds the chunk's file offset.
public struct EntropyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable error codes of the entropy layer (spec §10.9, table 10-2).
    public enum Code: String, Sendable, CaseIterable, Codable {
        /// A model is malformed: a zero frequency, a wrong total, too few or too many symbols (§10.2).
        case badModel
        /// A symbol outside its model's alphabet was given to an encoder.
        case impossibleSymbol
        /// Compressed data cannot start a coder: it ends in a zero word where that is not allowed (§10.3.3).
        case badCompressedData
        /// A ChainCoder decoder needed more compressed words than the data holds (§10.8.2).
        case outOfData
        /// A ChainCoder encoder needed more remainder words than it was given (§10.8).
        case outOfRemainders
        /// `unseal` was asked of data that was not sealed, or not fully re-encoded (§10.3.4).
        case cannotUnseal
        /// A ChainCoder holds a fractional number of words (§10.8).
        case fractionalWords
        /// After the declared number of symbols the coder is not back at its initial state,
        /// or words are left over: the payload is truncated, corrupt or desynchronised (§10.5).
        case desynchronised
        /// An escape code decodes to a value that is out of range or not canonical (§10.4).
        case badEscape
        /// A payload's lane count, substream table or sizes are inconsistent (§10.6).
        case badPayload
    }

    /// The stable error code (spec Table 10-2).
    public var code: Code
    /// Byte offset into the coded data the operation worked on (word index × 4).
    public var offset: Int
    /// A human explanation, naming the spec clause where one applies.
    public var message: String

    /// Creates an error with `code` at byte `offset` of the coded data and an explanation.
    public init(_ code: Code, at offset: Int = 0, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    /// `CODE at byte N: MESSAGE`.
    public var description: String { "\(code.rawValue) at byte \(offset): \(message)" }
}
