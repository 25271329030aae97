import LCAESupport

/// One decoded field of a chunk, with its place in the file (for `lcae inspect -v`).
public struct Field: Equatable, Sendable, Codable {
    /// The field's name, as in the spec's syntax tables.
    public var name: String
    /// File offset of the field's first byte.
    public var offset: Int
    /// Size in bytes.
    public var size: Int
    /// The value as text (decimal, hex bytes, or a name).
    public var value: String

    package init(name: String, offset: Int, size: Int, value: String) {
        self.name = name
        self.offset = offset
        self.size = size
        self.value = value
    }
}

/// A `ByteReader` that records every field it reads.
package struct FieldReader {
    package var reader: ByteReader
    package private(set) var fields: [Field] = []

    package init(_ bytes: ArraySlice<UInt8>, fileOffset: Int) {
        reader = ByteReader(bytes, fileOffset: fileOffset)
    }

    package var offset: Int { reader.offset }
    package var remaining: Int { reader.remaining }
    package var isAtEnd: Bool { reader.isAtEnd }

    package mutating func u8(_ name: String) throws(ContainerError) -> UInt8 {
        try record(name, 1) { (r: inout ByteReader) throws(ContainerError) in try r.u8(name) }
    }

    package mutating func u16(_ name: String) throws(ContainerError) -> UInt16 {
        try record(name, 2) { (r: inout ByteReader) throws(ContainerError) in try r.u16(name) }
    }

    package mutating func u32(_ name: String) throws(ContainerError) -> UInt32 {
        try record(name, 4) { (r: inout ByteReader) throws(ContainerError) in try r.u32(name) }
    }

    package mutating func u64(_ name: String) throws(ContainerError) -> UInt64 {
        try record(name, 8) { (r: inout ByteReader) throws(ContainerError) in try r.u64(name) }
    }

    /// Raw bytes, recorded as lowercase hex (long runs shortened).
    package mutating func bytes(_ count: Int, _ name: String) throws(ContainerError) -> ArraySlice<UInt8> {
        let start = reader.offset
        let value = try reader.bytes(count, name)
        let shown = value.prefix(64).map(hex2).joined() + (value.count > 64 ? "…" : "")
        fields.append(Field(name: name, offset: start, size: count, value: shown))
        return value
    }

    /// Records a field read directly through `reader` (long arrays, shown as a summary).
    package mutating func append(_ field: Field) { fields.append(field) }

    /// Replaces the recorded text of the last field, for enumerations shown by name.
    package mutating func describeLast(_ text: String) {
        if !fields.isEmpty { fields[fields.count - 1].value = text }
    }

    private mutating func record<T: BinaryInteger>(
        _ name: String, _ size: Int, _ read: (inout ByteReader) throws(ContainerError) -> T
    ) throws(ContainerError) -> T {
        let start = reader.offset
        let value = try read(&reader)
        fields.append(Field(name: name, offset: start, size: size, value: String(value)))
        return value
    }
}
