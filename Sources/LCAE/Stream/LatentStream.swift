import LCAEContainer
import LCAEContext
import LCAEEntropy
import LCAEREC
import LCAESupport

/// Writes and reads streams of integer latents coded with context tables (spec chapter 12).
public struct LatentEncoder: Sendable {
    /// Lanes of the LATP payload: 1, 2, 4 or 8 (spec §10.5); ACTV always uses one.
    public var lanes: Int
    /// Substreams of the LATP payload (spec §10.6).
    public var substreams: Int
    /// Threads for encoding the substreams; the stream does not depend on it.
    public var threads: Int
    /// Write an lHSH chunk with the latent's SHA-256 (spec §12.7).
    public var writeHash: Bool

    /// An encoder with the given payload layout.
    public init(lanes: Int = 4, substreams: Int = 1, threads: Int = 1, writeHash: Bool = true) {
        self.lanes = lanes
        self.substreams = substreams
        self.threads = threads
        self.writeHash = writeHash
    }

    /// The chunks that code one latent (table, activation, values, hash), not yet in a container.
    public func chunks(_ tensor: LatentTensor, index: Int = 0, tables: ContextTables, placement: TablePlacement) throws(EntropyError) -> [Chunk] {
        let coded = try LatentCoder.encode(tensor, tables: tables, lanes: lanes, substreams: substreams, threads: threads)
        var chunks = [placement == .inBand ? LatentChunk.tables(index, tables) : LatentChunk.reference(index, tables),
                      LatentChunk.activation(index, coded.activation), LatentChunk.values(index, coded.values)]
        if writeHash { chunks.append(LatentChunk.latentHash(index, tensor)) }
        return chunks
    }

    /// A latent-only stream (spec §7.1: no image, one integer latent) at the lowest level that admits it.
    public func container(_ tensor: LatentTensor, tables: ContextTables, placement: TablePlacement) throws -> ContainerStream {
        let body = try chunks(tensor, tables: tables, placement: placement)
        var header = StreamHeader(coder: .rans64, precision: tables.precision,
                            latents: [.init(kind: .integer, channels: tensor.channels, height: tensor.height, width: tensor.width)])
        header.level = try Self.level(header, body, tables: [tables])
        var writer = ContainerWriter(header: header)
        body.forEach { writer.append($0) }
        return try writer.container()
    }

    /// The lowest level whose limits admit the header, the chunks and the tables (spec §8.2).
    static func level(_ header: StreamHeader, _ chunks: [Chunk], tables: [ContextTables]) throws(ContainerError) -> UInt8 {
        var needed = header.requiredLimits
        needed.maxTables = tables.map(\.tableCount).max() ?? 0
        needed.maxSymbolsPerTable = tables.flatMap { $0.channels.map(\.symbolCount) }.max() ?? 0
        needed.maxChunks = chunks.count + 2
        needed.maxPayloadBytes = chunks.reduce(StreamHeader.fixedSize + StreamHeader.latentEntrySize * header.latents.count) { $0 + $1.payload.count }
        guard let level = Level.minimum(for: needed) else {
            throw ContainerError(.limitExceeded, at: 0, "the stream is larger than level 3 admits (spec §8)")
        }
        return level
    }

    /// What `automatic` chose, and the sizes it compared.
    public struct Choice: Sendable {
        /// The placement kept.
        public var placement: TablePlacement
        /// File size in bytes with the given tables referenced.
        public var referencedBytes: Int
        /// File size in bytes with fitted tables in-band.
        public var inBandBytes: Int
    }

    /// Codes the latent twice: with `given` tables referenced, and with tables fitted to this latent
    /// in-band; keeps the smaller stream (in-band only when that costs fewer bits).
    public func automatic(_ tensor: LatentTensor, given: ContextTables, fitter: ContextFitter) throws -> (ContainerStream, Choice) {
        let referenced = try container(tensor, tables: given, placement: .referenced)
        let (own, _) = try fitter.fit([tensor])
        let inBand = try container(tensor, tables: own, placement: .inBand)
        let (r, i) = (referenced.bytes().count, inBand.bytes().count)
        return i < r ? (inBand, Choice(placement: .inBand, referencedBytes: r, inBandBytes: i))
                     : (referenced, Choice(placement: .referenced, referencedBytes: r, inBandBytes: i))
    }
}

/// Decodes the integer latents of a stream (spec §12.6), checking every constraint of chapter 12.
public struct LatentDecoder: Sendable {
    /// Threads for decoding substreams; the output does not depend on it (spec §10.6).
    public var threads: Int
    /// The reader's own limits, intersected with the stream's level (spec §8.3).
    public var limits: ReaderLimits
    /// Tables a CREF chunk may name, by the SHA-256 of their body.
    public var available: [ContextTables]

    /// A decoder with the given limits and tables.
    public init(threads: Int = 1, limits: ReaderLimits = Level.highest, available: [ContextTables] = []) {
        self.threads = threads
        self.limits = limits
        self.available = available
    }

    /// One decoded latent, with how its tables travelled.
    public struct Decoded: Sendable {
        /// The latent's index in HEAD.
        public var index: Int
        /// The decoded C × H × W values (spec §12.6).
        public var tensor: LatentTensor
        /// Whether the tables came in a CTAB (in-band) or were named by a CREF (referenced).
        public var placement: TablePlacement
        /// The tables the latent was decoded with.
        public var tables: ContextTables
        /// True when an lHSH chunk was present and matched; false when there was none.
        public var hashChecked: Bool
    }

    /// One decoded continuous latent: its Q16 values (spec §14.3) and how it was coded.
    public struct DecodedContinuous: Sendable {
        /// The latent's index in HEAD.
        public var index: Int
        /// The decoded C × H × W Q16 values (spec §14.3, §14.9).
        public var tensor: LatentTensor
        /// The RECC chunk it was decoded from (spec §14.8).
        public var chunk: RECChunk
    }

    /// Every latent of a stream, integer and continuous.
    public struct Decoding: Sendable {
        /// The integer latents, in HEAD order.
        public var integer: [Decoded] = []
        /// The continuous latents, in HEAD order.
        public var continuous: [DecodedContinuous] = []

        /// SHA-256 of each decoded latent in HEAD order, as conformance sheets give them (spec §13.2).
        public var latentSHA256: [[UInt8]] {
            let all = integer.map { ($0.index, $0.tensor) } + continuous.map { ($0.index, $0.tensor) }
            return all.sorted { $0.0 < $1.0 }.map { LatentChunk.hash($0.1) }
        }
    }

    /// The integer latents of a stream (spec §12.6), after every check of chapters 12 and 14.
    public func decode(_ container: ContainerStream) throws(ContainerError) -> [Decoded] {
        try decodeAll(container).integer
    }

    /// Decodes every latent in HEAD order (spec §9 second pass, §12.6, §14.9).
    public func decodeAll(_ container: ContainerStream) throws(ContainerError) -> Decoding {
        let header = container.header
        let effective = limits.intersection(Level.limits(header.level) ?? limits)
        let offsets = container.chunkOffsets
        var groups: [Int: [(Chunk, Int)]] = [:]
        var hashes: [Int: ([UInt8], Int)] = [:]
        var recGroups: [Int: [(Chunk, Int)]] = [:]
        for (chunk, offset) in zip(container.chunks, offsets) {
            let types: [ChunkType] = [.tables, .tableReference, .activation, .latentPayload, .latentHash, .recLatent]
            guard types.contains(chunk.type) else { continue }
            let index = chunk.payload.first.map(Int.init)
            if chunk.type == .recLatent {
                guard let index else {
                    throw ContainerError(.badChunkLength, at: offset, "RECC has no latent_index (spec §14.8)")
                }
                guard index < header.latents.count && header.latents[index].kind == .continuous else {
                    throw ContainerError(.badField, at: offset + 8, "RECC names latent \(index), which is not a continuous latent of HEAD (spec §14.8)")
                }
                recGroups[index, default: []].append((chunk, offset))
                continue
            }
            let names = index.map { $0 < header.latents.count && header.latents[$0].kind == .integer } ?? false
            if chunk.type == .latentHash {
                // Ancillary: a malformed or repeated hash is skipped, never fatal (spec §5.4, §12.7).
                if let index, names, chunk.payload.count == 33, hashes[index] == nil {
                    hashes[index] = (Array(chunk.payload.dropFirst()), offset)
                }
                continue
            }
            guard let index else {
                throw ContainerError(.badChunkLength, at: offset, "\(chunk.type) has no latent_index (spec §12.5)")
            }
            guard names else {
                throw ContainerError(.badField, at: offset + 8, "\(chunk.type) names latent \(index), which is not an integer latent of HEAD (spec §12.5)")
            }
            groups[index, default: []].append((chunk, offset))
        }
        var decoded = Decoding()
        for (index, shape) in header.latents.enumerated() {
            if shape.kind == .continuous {
                decoded.continuous.append(try decodeContinuous(index, shape, recGroups[index] ?? [], effective))
                continue
            }
            let group = groups[index] ?? []
            let types = group.map(\.0.type)
            guard types.count == 3, [.tables, .tableReference].contains(types[0]), types[1] == .activation, types[2] == .latentPayload else {
                let at = group.first?.1 ?? Signature.bytes.count
                if types.count < 3 && Set(types).count == types.count {
                    throw ContainerError(.missingChunk, at: at, "latent \(index) needs CTAB or CREF, then ACTV, then LATP; it has \(types) (spec §12.5)")
                }
                throw ContainerError(.badChunkOrder, at: at, "latent \(index) needs exactly CTAB or CREF, then ACTV, then LATP; it has \(types) (spec §12.5)")
            }
            let (tables, placement, tablesAt) = try resolveTables(group[0].0, at: group[0].1, effective)
            guard tables.precision == header.precision else {
                throw ContainerError(.badTable, at: tablesAt.precision, "tables of precision \(tables.precision) in a precision-\(header.precision) stream (spec §12.5.1)")
            }
            guard tables.channelCount == shape.channels else {
                throw ContainerError(.badTable, at: tablesAt.channelCount, "\(tables.channelCount)-channel tables for a \(shape.channels)-channel latent (spec §12.5.1)")
            }
            let (activationChunk, activationAt) = group[1]
            let (valuesChunk, valuesAt) = group[2]
            // Entropy-layer errors carry offsets into the payload, which starts after the 1-byte latent_index.
            func located(_ error: EntropyError, _ chunkAt: Int, _ name: String) -> ContainerError {
                ContainerError(.badPayload, at: chunkAt + 9 + error.offset, "\(name): \(error.code.rawValue): \(error.message)")
            }
            let active: [Bool]
            do {
                let activation = try RansPayload.parse(activationChunk.payload.dropFirst(), expectedValues: shape.channels)
                active = try LatentCoder.activity(activation, tables: tables)
            } catch {
                throw located(error, activationAt, "ACTV (spec §12.5.3)")
            }
            let tensor: LatentTensor
            do {
                let count = LatentCoder.codedCount(active: active, plane: shape.height * shape.width)
                let values = try RansPayload.parse(valuesChunk.payload.dropFirst(), expectedValues: count)
                tensor = try LatentCoder.decode(values, active: active, decoding: LatentCoder.DecodingTables(tables, active: active),
                                                height: shape.height, width: shape.width, threads: threads)
            } catch {
                throw located(error, valuesAt, "LATP (spec §12.5.4)")
            }
            var checked = false
            if let (expected, at) = hashes[index] {
                guard LatentChunk.hash(tensor) == expected else {
                    throw ContainerError(.hashMismatch, at: at + 9, "latent \(index) decodes to values whose SHA-256 differs from lHSH (spec §12.7)")
                }
                checked = true
            }
            decoded.integer.append(Decoded(index: index, tensor: tensor, placement: placement, tables: tables, hashChecked: checked))
        }
        return decoded
    }

    /// One RECC per continuous latent (spec §14.8), parsed, checked and regenerated (spec §14.9).
    private func decodeContinuous(_ index: Int, _ shape: StreamHeader.LatentShape, _ group: [(Chunk, Int)], _ limits: ReaderLimits) throws(ContainerError) -> DecodedContinuous {
        guard let (chunk, offset) = group.first else {
            throw ContainerError(.missingChunk, at: Signature.bytes.count, "continuous latent \(index) has no RECC chunk (spec §14.8)")
        }
        guard group.count == 1 else {
            throw ContainerError(.badChunkOrder, at: group[1].1, "continuous latent \(index) has a second RECC chunk (spec §14.8)")
        }
        // HEAD's checks bound the shape by max_latent_values, so the count exists.
        let dimensions = shape.count ?? 0
        let (rec, offsets) = try RECChunk.parse(chunk.payload, at: offset, dimensions: dimensions, limits: limits)
        let values = try RECChunk.decode(rec, offsets, limits: limits)
        return DecodedContinuous(index: index, tensor: LatentTensor(channels: shape.channels, height: shape.height, width: shape.width, values: values), chunk: rec)
    }

    /// Where a mismatch between tables and HEAD is reported (spec §9): the body's own fields when
    /// they are in the file as they are, else the CTAB data or the CREF hash.
    private struct TableFieldOffsets {
        var channelCount: Int
        var precision: Int
    }

    private func resolveTables(_ chunk: Chunk, at offset: Int, _ limits: ReaderLimits) throws(ContainerError) -> (ContextTables, TablePlacement, TableFieldOffsets) {
        var r = ByteReader(chunk.payload, fileOffset: offset + 8)
        _ = try r.u8("latent_index")
        if chunk.type == .tableReference {
            guard chunk.payload.count == 33 else {
                throw ContainerError(.badChunkLength, at: offset, "CREF payload must be 33 bytes (spec §12.5.2)")
            }
            let hashAt = r.offset
            let hash = Array(try r.bytes(32, "sha256"))
            guard let tables = available.first(where: { $0.sha256 == hash }) else {
                throw ContainerError(.modelMismatch, at: hashAt, "the stream references tables with SHA-256 \(hash.map(hex2).joined()), which were not given (spec §12.5.2)")
            }
            return (tables, .referenced, TableFieldOffsets(channelCount: hashAt, precision: hashAt))
        }
        guard chunk.payload.count >= 6 else {
            throw ContainerError(.badChunkLength, at: offset, "CTAB payload is \(chunk.payload.count) bytes, shorter than its 6-byte header (spec §12.5.1)")
        }
        let compressionAt = r.offset
        let compression = try r.u8("compression")
        let sizeAt = r.offset
        let size = Int(try r.u32("body_size"))
        try ContextTables.checkBodySize(size, limits: limits, at: sizeAt, "spec §12.5.1")
        let dataAt = r.offset
        let data = try r.bytes(r.remaining, "data")
        switch compression {
        case 0:
            guard data.count == size else {
                throw ContainerError(.badChunkLength, at: offset, "body_size \(size), \(data.count) bytes present (spec §12.5.1)")
            }
            let tables = try ContextTables.parse(data, fileOffset: dataAt, limits: limits)
            return (tables, .inBand, TableFieldOffsets(channelCount: dataAt, precision: dataAt + 2))
        case 1:
            guard let body = Deflate.decompress(data, size: size) else {
                throw ContainerError(.badCompression, at: dataAt, "CTAB data does not inflate to exactly \(size) bytes (spec §12.5.1)")
            }
            do {
                let tables = try ContextTables.parse(body[...], fileOffset: 0, limits: limits)
                return (tables, .inBand, TableFieldOffsets(channelCount: dataAt, precision: dataAt))
            } catch {
                // Offsets inside inflated data have no place in the file: report the data, and the body offset in words.
                throw ContainerError(error.code, at: dataAt, "in the inflated table body at byte \(error.offset): \(error.message)")
            }
        default:
            throw ContainerError(.badField, at: compressionAt, "compression \(compression) must be 0 or 1 (spec §12.5.1)")
        }
    }
}
