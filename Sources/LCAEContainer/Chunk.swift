import LCAESupport

/// One chunk: its type and payload (spec §5.1).
///
/// A chunk read from a file keeps its payload as a slice of the file's
/// bytes, so reading never copies payloads.
public struct Chunk: Equatable, Sendable {
    public var type: ChunkType
    public var payload: ArraySlice<UInt8>

    public init(type: ChunkType, payload: ArraySlice<UInt8>) {
        self.type = type
        self.payload = payload
    }

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

    public static func == (a: Chunk, b: Chunk) -> Bool {
        a.type == b.type && a.payload.elementsEqual(b.payload)
    }
}

/// Where a chunk sits in a file and what the reader found about it (spec §5; `lcae inspect`).
public struct ChunkRecord: Equatable, Sendable {
    public var type: ChunkType
    /// File offset of the chunk's length field.
    public var offset: Int
    /// Payload length in bytes.
    public var length: Int
    public var storedCRC: UInt32
    public var computedCRC: UInt32
    /// False for a type this reader does not know (an unknown ancillary chunk, skipped and kept).
    public var known: Bool

    public var isCritical: Bool { type.isCritical }
    public var crcOK: Bool { storedCRC == computedCRC }
    /// File offset of the first payload byte.
    public var payloadOffset: Int { offset + 8 }
}
