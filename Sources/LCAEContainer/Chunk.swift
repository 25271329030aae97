import LCAESupport

/// One chunk: its type and payload (spec §5.1).
///
/// A chunk read from a file keeps its payload as a slice of the file's
/// bytes, so reading never copies payloads.
public struct Chunk: Equatable, Sendable {
    /// The four-byte type code (spec §5.2).
    public var type: ChunkType
    /// The payload bytes; its count is the chunk's length field (spec §5.1).
    public var payload: ArraySlice<UInt8>

    /// A chunk whose payload is a slice, such as one of a file's bytes.
    public init(type: ChunkType, payload: ArraySlice<UInt8>) {
        self.type = type
        self.payload = payload
    }

    /// A chunk with a payload of its own.
    public init(type: ChunkType, payload: [UInt8]) {
        self.init(type: type, payload: payload[...])
    }

    /// Length, type, payload and CRC-32 over type and payload, all little-endian (spec §5.1).
    func serialize(into writer: inout ByteWriter) {
        let typeBytes = type.array
        writer.u32(UInt32(payload.count))
        writer.append(contentsOf: typeBytes)
        writer.append(contentsOf: payload)
        writer.u32(CRC32.checksum(typeBytes[...], payload))
    }

    /// Chunks are equal when their types and payload bytes are.
    public static func == (a: Chunk, b: Chunk) -> Bool {
        a.type == b.type && a.payload.elementsEqual(b.payload)
    }
}

/// Where a chunk sits in a file and what the reader found about it (spec §5; `lcae inspect`).
public struct ChunkRecord: Equatable, Sendable {
    /// The chunk's type code (spec §5.2).
    public var type: ChunkType
    /// File offset of the chunk's length field.
    public var offset: Int
    /// Payload length in bytes.
    public var length: Int
    /// The CRC-32 stored after the payload (spec §5.3).
    public var storedCRC: UInt32
    /// The CRC-32 of the type and payload as read (spec §5.3).
    public var computedCRC: UInt32
    /// False for a type this reader does not know (an unknown ancillary chunk, skipped and kept).
    public var known: Bool

    /// True when bit 5 of the type's first byte is clear (spec §5.2, §5.4).
    public var isCritical: Bool { type.isCritical }
    /// True when the stored CRC matches the computed one (spec §5.3).
    public var crcOK: Bool { storedCRC == computedCRC }
    /// File offset of the first payload byte.
    public var payloadOffset: Int { offset + 8 }
}
