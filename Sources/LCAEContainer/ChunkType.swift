/// A four-letter chunk type code (spec §5.2).
///
/// Properties live in bit 5 (0x20) of the bytes, PNG style, and are tested
/// numerically: byte 0 lower case means ancillary, byte 1 lower case means
/// private. Bytes 2 and 3 carry no property in format version 1.
public struct ChunkType: Hashable, Sendable, CustomStringConvertible {
    /// The four type bytes, in file order.
    public let bytes: (UInt8, UInt8, UInt8, UInt8)

    /// A type from its four bytes, unchecked; `isValid` tells whether they are letters.
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        bytes = (b0, b1, b2, b3)
    }

    /// A type from its four-letter name; `nil` unless every character is an ASCII letter.
    public init?(_ name: String) {
        let raw = Array(name.utf8)
        guard raw.count == 4, raw.allSatisfy(ChunkType.isLetter) else { return nil }
        self.init(raw[0], raw[1], raw[2], raw[3])
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// The four type bytes as an array.
    public var array: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3] }
    /// True when every byte is an ASCII letter, as spec §5.2 requires.
    public var isValid: Bool { array.allSatisfy(ChunkType.isLetter) }
    /// Critical chunks must be understood by a decoder; unknown ones are an error (spec §5.4).
    public var isCritical: Bool { bytes.0 & 0x20 == 0 }
    /// Private chunks are not defined by the spec and never will be (spec §5.2).
    public var isPrivate: Bool { bytes.1 & 0x20 != 0 }

    /// The name, with any non-printable byte shown as `\xNN`.
    public var description: String {
        array.map { (0x20...0x7E).contains($0) ? String(UnicodeScalar($0)) : "\\x" + hex2($0) }.joined()
    }

    /// Types are compared as four bytes: `tEXT` and `TEXT` differ (spec §5.2).
    public static func == (a: ChunkType, b: ChunkType) -> Bool { a.array == b.array }
    /// Hashes the four bytes.
    public func hash(into hasher: inout Hasher) { hasher.combine(array) }

    // Chunk types of format version 1 (spec §6, table 6-1).
    /// The stream header (spec §7.1).
    public static let head = ChunkType(0x48, 0x45, 0x41, 0x44)  // "HEAD"
    /// The end-of-stream chunk (spec §7.2).
    public static let end = ChunkType(0x4C, 0x45, 0x4E, 0x44)  // "LEND"
    /// A keyword and value (spec §7.3).
    public static let text = ChunkType(0x74, 0x45, 0x58, 0x54)  // "tEXT"
    /// In-band context tables, deflated (spec §12.5.1).
    public static let tables = ChunkType(0x43, 0x54, 0x41, 0x42)  // "CTAB"
    /// Context tables named by the SHA-256 of their body (spec §12.5.2).
    public static let tableReference = ChunkType(0x43, 0x52, 0x45, 0x46)  // "CREF"
    /// Channel activation bits (spec §12.5.3).
    public static let activation = ChunkType(0x41, 0x43, 0x54, 0x56)  // "ACTV"
    /// The coded values of an integer latent (spec §12.5.4).
    public static let latentPayload = ChunkType(0x4C, 0x41, 0x54, 0x50)  // "LATP"
    /// SHA-256 of a decoded integer latent (spec §12.7).
    public static let latentHash = ChunkType(0x6C, 0x48, 0x53, 0x48)  // "lHSH"
    /// A relative-entropy-coded continuous latent (spec §14.8).
    public static let recLatent = ChunkType(0x52, 0x45, 0x43, 0x43)  // "RECC"
    /// The latent step: how decoded latent values scale into the synthesis input (spec §16.2).
    public static let latentStep = ChunkType(0x53, 0x54, 0x45, 0x50)  // "STEP"
    /// SHA-256 of the decoded image (spec §16.3).
    public static let imageHash = ChunkType(0x69, 0x48, 0x53, 0x48)  // "iHSH"
}

package func hex2(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}
