import Foundation
import LCAESupport

/// Everything a walk over a file found, up to the first error (spec §5, §6).
///
/// `lcae inspect` prints this for broken files: the chunks before the error,
/// the header if it was read, then the error.
public struct ContainerScan: Sendable {
    /// The chunks read, in file order, up to the first error.
    public var chunks: [ChunkRecord] = []
    /// The parsed HEAD (spec §7.1), or nil when it was not read or failed its checks.
    public var header: StreamHeader?
    /// HEAD's fields with their file offsets (also those read before a HEAD error).
    public var headerFields: [Field] = []
    /// Problems in ancillary chunks: reported, never fatal (spec §5.4).
    public var warnings: [ContainerError] = []
    /// The first fatal error, or nil when the file is a valid container.
    public var error: ContainerError?
    /// The chunks with their payloads, in file order (HEAD and LEND included).
    public var container: [Chunk] = []
}

/// Reads the chunk structure of an `.lcae` file (spec chapters 3 to 8).
///
/// Every length is checked against the bytes left, the level and the reader's
/// limits before it is used; every CRC is verified; payloads are slices of
/// the input, never copies.
public struct ContainerReader: Sendable {
    /// The reader's own limits; each stream is read under their intersection with its declared level (spec §8.3).
    public var limits: ReaderLimits

    /// A reader with the given limits; by default those of the highest level.
    public init(limits: ReaderLimits = Level.highest) {
        self.limits = limits
    }

    /// Reads a whole file, throwing the first error.
    public func read(_ bytes: [UInt8]) throws(ContainerError) -> ContainerStream {
        let scan = scan(bytes)
        if let error = scan.error { throw error }
        guard let header = scan.header else {
            throw ContainerError(.missingChunk, at: 0, "no HEAD chunk (spec §6)")
        }
        return ContainerStream(header: header, chunks: scan.container)
    }

    /// Reads the file at `path` (after checking its size against the limits), then parses it.
    public func read(contentsOf path: String) throws(ContainerError) -> ContainerStream {
        try read(Self.load(path, limits: limits))
    }

    /// Loads a file, refusing one larger than any stream the limits admit.
    public static func load(_ path: String, limits: ReaderLimits) throws(ContainerError) -> [UInt8] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw ContainerError(.ioError, at: 0, "cannot read \(path): \(error.localizedDescription)")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        // Payload bytes plus 12 framing bytes per chunk plus the signature.
        let (framing, o1) = limits.maxChunks.multipliedReportingOverflow(by: 12)
        let (most, o2) = limits.maxPayloadBytes.addingReportingOverflow(framing + Signature.bytes.count)
        if !o1 && !o2 && size > most {
            throw ContainerError(.limitExceeded, at: 0, "file is \(size) bytes, more than the limits admit (\(most), spec §8)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ContainerError(.ioError, at: 0, "cannot open \(path)")
        }
        defer { try? handle.close() }
        do {
            return [UInt8](try handle.readToEnd() ?? Data())
        } catch {
            throw ContainerError(.ioError, at: 0, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Walks the file and records what it finds; never throws.
    public func scan(_ bytes: [UInt8]) -> ContainerScan {
        var scan = ContainerScan()
        do {
            try walk(bytes, into: &scan)
        } catch {
            scan.error = error
        }
        return scan
    }

    private func walk(_ bytes: [UInt8], into scan: inout ContainerScan) throws(ContainerError) {
        var reader = ByteReader(bytes[...], fileOffset: 0)
        try Signature.read(&reader)
        var effective = limits
        var payloadTotal = 0
        var seen = Set<ChunkType>()

        while true {
            let chunkAt = reader.offset
            if reader.isAtEnd {
                throw ContainerError(.truncated, at: chunkAt, "file ends before the LEND chunk (spec §6)")
            }
            guard scan.chunks.count < effective.maxChunks else {
                throw ContainerError(.limitExceeded, at: chunkAt, "more than \(effective.maxChunks) chunks (spec §8)")
            }
            let declared = try reader.u32("chunk length")
            guard declared <= 0x7FFF_FFFF else {
                throw ContainerError(.badChunkLength, at: chunkAt, "chunk length \(declared) is above 2^31 - 1 (spec §5.1)")
            }
            let length = Int(declared)
            // Errors about the chunk as a whole are reported at its first byte (spec §9).
            guard reader.remaining >= 4 else {
                throw ContainerError(.truncated, at: chunkAt, "the file ends inside a chunk's type (spec §5.1)")
            }
            let typeBytes = try reader.bytes(4, "chunk type")
            let type = ChunkType(typeBytes[typeBytes.startIndex], typeBytes[typeBytes.startIndex + 1],
                                 typeBytes[typeBytes.startIndex + 2], typeBytes[typeBytes.startIndex + 3])
            guard type.isValid else {
                throw ContainerError(.badChunkType, at: chunkAt, "chunk type \(type) is not four ASCII letters (spec §5.2)")
            }
            guard length <= effective.maxPayloadBytes, length <= effective.maxPayloadBytes - payloadTotal else {
                throw ContainerError(.limitExceeded, at: chunkAt, "\(type) payload of \(length) bytes takes the stream above \(effective.maxPayloadBytes) payload bytes (spec §8)")
            }
            guard length <= reader.remaining, reader.remaining - length >= 4 else {
                throw ContainerError(.truncated, at: chunkAt, "\(type) declares \(length) payload bytes plus a 4-byte CRC, \(reader.remaining) bytes left (spec §5.1)")
            }
            payloadTotal += length
            let payload = try reader.bytes(length, "payload")
            let stored = try reader.u32("CRC")
            let computed = CRC32.checksum(typeBytes, payload)
            let rule = ChunkRules.known[type]
            scan.chunks.append(ChunkRecord(type: type, offset: chunkAt, length: length, storedCRC: stored, computedCRC: computed, known: rule != nil))
            scan.container.append(Chunk(type: type, payload: payload))
            guard stored == computed else {
                throw ContainerError(.crcMismatch, at: chunkAt + 8 + length, "\(type) CRC is 0x\(String(stored, radix: 16)), the type and payload give 0x\(String(computed, radix: 16)) (spec §5.3)")
            }

            // Order and repetition (spec §6).
            if scan.chunks.count == 1 && type != .head {
                throw ContainerError(.badChunkOrder, at: chunkAt, "the first chunk is \(type); HEAD must come first (spec §6)")
            }
            if let rule {
                if rule.once && seen.contains(type) {
                    throw ContainerError(.badChunkOrder, at: chunkAt, "a second \(type) chunk (spec §6)")
                }
                if let fixed = rule.fixedLength, fixed != length {
                    let error = ContainerError(.badChunkLength, at: chunkAt, "\(type) payload must be \(fixed) bytes, not \(length) (spec §6.1)")
                    // A malformed known ancillary chunk is reported, never fatal (spec §5.4).
                    guard type.isCritical else {
                        scan.warnings.append(error)
                        seen.insert(type)
                        continue
                    }
                    throw error
                }
            }
            seen.insert(type)

            switch type {
            case .head:
                let header = try StreamHeader.parse(payload, fileOffset: chunkAt + 8, limits: limits, fields: &scan.headerFields)
                scan.header = header
                effective = limits.intersection(Level.limits(header.level) ?? limits)
            case .end:
                if !reader.isAtEnd {
                    throw ContainerError(.trailingData, at: reader.offset, "\(reader.remaining) bytes after the LEND chunk (spec §6)")
                }
                return
            case .text:
                if length < 2 {
                    scan.warnings.append(ContainerError(.badChunkLength, at: chunkAt, "tEXT needs at least 2 payload bytes (spec §6.1)"))
                } else {
                    do {
                        _ = try TextChunk.parse(payload, fileOffset: chunkAt + 8)
                    } catch {
                        scan.warnings.append(error)
                    }
                }
            default:
                if rule == nil && type.isCritical {
                    throw ContainerError(.unsupportedCritical, at: chunkAt, "unknown critical chunk \(type): this reader cannot decode the stream (spec §5.4)")
                }
            }
        }
    }
}
