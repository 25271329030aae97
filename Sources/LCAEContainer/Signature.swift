import LCAESupport

/// The 9-byte file signature (spec §3): a non-ASCII byte, "LCAE", CR LF, Ctrl-Z, LF.
///
/// Each byte catches one kind of damage: 0x8C a 7-bit channel, CR LF a
/// DOS-to-Unix conversion, the final LF a Unix-to-DOS conversion, Ctrl-Z
/// stops a DOS `type` listing.
public enum Signature {
    /// The nine signature bytes, `8C 4C 43 41 45 0D 0A 1A 0A` (spec §3).
    public static let bytes: [UInt8] = [0x8C, 0x4C, 0x43, 0x41, 0x45, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads and checks the signature; the error names the damage it recognises.
    static func read(_ reader: inout ByteReader) throws(ContainerError) {
        let available = min(reader.remaining, bytes.count)
        let head = Array(try reader.bytes(available, "signature"))
        if head != Array(bytes.prefix(available)) {
            throw ContainerError(.badSignature, at: firstDifference(head), diagnose(head))
        }
        if available < bytes.count {
            throw ContainerError(.truncated, at: available, "file ends inside the 9-byte signature (spec §3)")
        }
    }

    /// The signature rule of §3 for the package's other files (table files §12.2.1, model files
    /// §15.1): `badSignature` at the first differing byte, `truncated` for a file that stops
    /// inside a matching signature.
    package static func check(_ file: [UInt8], against expected: [UInt8], _ what: String) throws(ContainerError) {
        let available = min(file.count, expected.count)
        if let at = (0..<available).first(where: { file[$0] != expected[$0] }) {
            throw ContainerError(.badSignature, at: at, "not \(what): it does not start with \(expected.map(hex2).joined(separator: " "))")
        }
        if available < expected.count {
            throw ContainerError(.truncated, at: available, "\(what) ends inside its \(expected.count)-byte signature")
        }
    }

    private static func firstDifference(_ head: [UInt8]) -> Int {
        head.indices.first { head[$0] != bytes[$0] } ?? 0
    }

    private static func diagnose(_ head: [UInt8]) -> String {
        if head.first == 0x0C {
            return "signature byte 0 is 0x0C, not 0x8C: the file went through a 7-bit channel (spec §3)"
        }
        if head.starts(with: bytes.prefix(5)) {
            let tail = Array(head.dropFirst(5))
            if tail.starts(with: [0x0A, 0x1A]) {
                return "CR LF became LF: the file went through a DOS-to-Unix text conversion (spec §3)"
            }
            if tail.starts(with: [0x0D, 0x0D, 0x0A]) || tail.starts(with: [0x0D, 0x0A, 0x1A, 0x0D]) {
                return "LF became CR LF: the file went through a Unix-to-DOS text conversion (spec §3)"
            }
        }
        return "the file does not start with the LCAE signature 8C 4C 43 41 45 0D 0A 1A 0A (spec §3)"
    }
}

/// The format version stored at the start of HEAD (spec §4).
public struct FormatVersion: Equatable, Sendable, CustomStringConvertible {
    /// The major version; a version 1 reader refuses any other (spec §4).
    public var major: UInt16
    /// The minor version; any value is read (spec §4).
    public var minor: UInt16

    /// A version from its two HEAD fields.
    public init(major: UInt16, minor: UInt16) {
        self.major = major
        self.minor = minor
    }

    /// The version this library writes and fully understands.
    public static let current = FormatVersion(major: 1, minor: 0)

    /// `major.minor`, as `lcae inspect` shows it (spec §11.1).
    public var description: String { "\(major).\(minor)" }
}
