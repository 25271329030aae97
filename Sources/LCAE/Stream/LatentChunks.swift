import Crypto
import LCAEContainer
import LCAEContext
import LCAEEntropy
import LCAENumPy
import LCAESupport

/// How a stream carries the tables of one latent.
public enum TablePlacement: Equatable, Sendable {
    /// The table body deflated into a CTAB chunk.
    case inBand
    /// A CREF chunk with the body's SHA-256; the decoder must be given the tables.
    case referenced
}

/// The table file (spec §12.2.1): a signature, the body's size, the body, its CRC-32.
public enum TableFile {
    /// The table file's 8 signature bytes, `8C 4C 43 54 0D 0A 1A 0A` (spec §12.2.1).
    public static let signature: [UInt8] = [0x8C, 0x4C, 0x43, 0x54, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The table file of `tables` (spec §12.2.1).
    public static func bytes(_ tables: ContextTables) -> [UInt8] {
        let body = tables.body()
        var w = ByteWriter()
        w.append(contentsOf: signature)
        w.u32(UInt32(body.count))
        w.append(contentsOf: body)
        w.u32(CRC32.checksum(body[...]))
        return w.bytes
    }

    /// Parses a table file (spec §12.2.1) and its body (spec §12.2) under `limits`.
    ///
    /// Throws `badSignature` or `truncated` for the signature, `limitExceeded` when
    /// body_size is above the bound of §12.5.1 under `limits`, `badChunkLength` when it
    /// is not the rest of the file less 4 bytes, `crcMismatch`, and the body's errors
    /// (`badTable`, `limitExceeded`, `truncated`).
    public static func parse(_ bytes: [UInt8], limits: ReaderLimits = Level.highest) throws(ContainerError) -> ContextTables {
        try Signature.check(bytes, against: signature, "a table file (spec §12.2.1)")
        var r = ByteReader(bytes[signature.count...], fileOffset: signature.count)
        let size = Int(try r.u32("body_size"))
        try ContextTables.checkBodySize(size, limits: limits, at: 8, "spec §12.2.1")
        guard size + 4 == r.remaining else {
            throw ContainerError(.badChunkLength, at: 8, "body_size \(size) does not match the \(r.remaining)-byte rest of the file (spec §12.2.1)")
        }
        let body = try r.bytes(size, "body")
        let stored = try r.u32("crc")
        guard stored == CRC32.checksum(body) else {
            throw ContainerError(.crcMismatch, at: 12 + size, "the table body's CRC does not match (spec §12.2.1)")
        }
        return try ContextTables.parse(body, fileOffset: 12, limits: limits)
    }

    /// Reads and parses the table file at `path` (see `parse`); throws `ioError` when it cannot be read.
    public static func read(contentsOf path: String, limits: ReaderLimits = Level.highest) throws(ContainerError) -> ContextTables {
        try parse(ContainerReader.load(path, limits: limits), limits: limits)
    }
}

/// The payloads of the latent chunks (spec §12.5).
package enum LatentChunk {
    static func tables(_ index: Int, _ tables: ContextTables) -> Chunk {
        let body = tables.body()
        let deflated = Deflate.compress(body)
        var w = ByteWriter()
        w.u8(UInt8(index))
        w.u8(1)
        w.u32(UInt32(body.count))
        w.append(contentsOf: deflated)
        return Chunk(type: .tables, payload: w.bytes)
    }

    static func reference(_ index: Int, _ tables: ContextTables) -> Chunk {
        Chunk(type: .tableReference, payload: [UInt8(index)] + tables.sha256)
    }

    static func activation(_ index: Int, _ payload: RansPayload) -> Chunk {
        Chunk(type: .activation, payload: [UInt8(index)] + payload.bytes())
    }

    static func values(_ index: Int, _ payload: RansPayload) -> Chunk {
        Chunk(type: .latentPayload, payload: [UInt8(index)] + payload.bytes())
    }

    /// SHA-256 over the latent's values as int32 little-endian, channel-major (spec §12.7).
    package static func hash(_ tensor: LatentTensor) -> [UInt8] {
        var hasher = SHA256()
        tensor.values.withUnsafeBufferPointer { values in
            #if _endian(little)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(values))
            #else
            hasher.update(data: NpyArray.bytes(Array(values)))
            #endif
        }
        return Array(hasher.finalize())
    }

    package static func latentHash(_ index: Int, _ tensor: LatentTensor) -> Chunk {
        Chunk(type: .latentHash, payload: [UInt8(index)] + hash(tensor))
    }
}
