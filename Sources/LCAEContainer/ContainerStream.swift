import LCAESupport

/// A parsed `.lcae` stream: its header and its chunks in file order (spec §5, §6).
///
/// Chunks this library does not know (ancillary ones; unknown critical ones
/// are refused) are kept byte for byte, so `bytes()` writes them back unchanged.
public struct ContainerStream: Equatable, Sendable {
    /// The parsed HEAD (spec §7.1).
    public var header: StreamHeader
    /// All chunks in order, HEAD first and LEND last.
    public var chunks: [Chunk]

    /// A stream from its header and chunks; the caller keeps them consistent (HEAD first, LEND last).
    public init(header: StreamHeader, chunks: [Chunk]) {
        self.header = header
        self.chunks = chunks
    }

    /// The first chunk of a type, if any.
    public func first(_ type: ChunkType) -> Chunk? { chunks.first { $0.type == type } }

    /// The text chunks, skipping malformed ones (they are ancillary, spec §7.3).
    public var texts: [TextChunk] {
        chunks.filter { $0.type == .text }.compactMap { try? TextChunk.parse($0.payload, fileOffset: 0) }
    }

    /// The file offset of each chunk's length field (chunks follow the 9-byte signature back to back).
    public var chunkOffsets: [Int] {
        var offsets: [Int] = []
        var offset = Signature.bytes.count
        for chunk in chunks {
            offsets.append(offset)
            offset += 12 + chunk.payload.count
        }
        return offsets
    }

    /// The file bytes: signature, then every chunk with its CRC (spec §3, §5).
    public func bytes() -> [UInt8] {
        var writer = ByteWriter()
        writer.append(contentsOf: Signature.bytes)
        for chunk in chunks {
            chunk.serialize(into: &writer)
        }
        return writer.bytes
    }
}
