import Foundation
@testable import LCAE
@testable import LCAEContainer
@testable import LCAEContext
@testable import LCAENumPy
@testable import LCAESupport
import Testing

/// Streams of context-coded latents (spec chapter 12): writing, reading, and every check a reader makes.
@Suite("Latent streams")
struct LatentStreamTests {
    static let training = (0..<3).map { ContextTests.latent(channels: 5, height: 10, width: 12, seed: UInt64($0)) }
    static let tables = try! ContextFitter(precision: 16).fit(training).0
    static let latent = ContextTests.latent(channels: 5, height: 7, width: 9, seed: 42)

    static func stream(_ placement: TablePlacement, lanes: Int = 4, substreams: Int = 2) throws -> ContainerStream {
        try LatentEncoder(lanes: lanes, substreams: substreams).container(latent, tables: tables, placement: placement)
    }

    static func decode(_ bytes: [UInt8], available: [ContextTables] = [tables]) throws -> [LatentDecoder.Decoded] {
        try LatentDecoder(available: available).decode(ContainerReader().read(bytes))
    }

    static func code(_ bytes: [UInt8], available: [ContextTables] = [tables]) -> ContainerError.Code? {
        do {
            _ = try decode(bytes, available: available)
            return nil
        } catch let error as ContainerError {
            return error.code
        } catch {
            return .ioError
        }
    }

    @Test("in-band and referenced tables round-trip through bytes; the hash is checked")
    func roundTrip() throws {
        for placement in [TablePlacement.inBand, .referenced] {
            let bytes = try Self.stream(placement).bytes()
            let decoded = try Self.decode(bytes)
            #expect(decoded.count == 1)
            #expect(decoded[0].tensor == Self.latent)
            #expect(decoded[0].placement == placement)
            #expect(decoded[0].hashChecked)
        }
    }

    @Test("referenced tables that the decoder was not given are a model mismatch")
    func missingTables() throws {
        let bytes = try Self.stream(.referenced).bytes()
        #expect(Self.code(bytes, available: []) == .modelMismatch)
        let other = try ContextFitter(precision: 16, measure: .value).fit(Self.training).0
        #expect(Self.code(bytes, available: [other]) == .modelMismatch)
    }

    @Test("the table file round-trips and refuses damage")
    func tableFile() throws {
        let bytes = TableFile.bytes(Self.tables)
        #expect(try TableFile.parse(bytes) == Self.tables)
        for cut in [0, 5, 11, 12, bytes.count - 1] {
            #expect(throws: ContainerError.self) { try TableFile.parse(Array(bytes.prefix(cut))) }
        }
        var flipped = bytes
        flipped[40] ^= 4
        #expect { try TableFile.parse(flipped) } throws: { ($0 as? ContainerError)?.code == .crcMismatch }
        #expect { try TableFile.parse(bytes + [0]) } throws: {
            ($0 as? ContainerError).map { ($0.code, $0.offset) } ?? (.ioError, -1) == (.badChunkLength, 8)
        }
        // The body_size bound of §12.5.1 under the reader's limits comes first: 4 + 1 × (21 + 16 × 2) bytes.
        var small = Level.level1
        (small.maxChannels, small.maxSymbolsPerTable) = (1, 2)
        #expect(ContextTables.maxBodySize(small) < bytes.count - 16)
        #expect { try TableFile.parse(bytes + [0], limits: small) } throws: {
            ($0 as? ContainerError).map { ($0.code, $0.offset) } ?? (.ioError, -1) == (.limitExceeded, 8)
        }
    }

    /// Rebuilds a stream with its chunks edited, re-computing CRCs (a writer that does not check).
    static func edited(_ placement: TablePlacement, _ edit: (inout [Chunk]) -> Void) throws -> [UInt8] {
        var container = try stream(placement)
        edit(&container.chunks)
        return container.bytes()
    }

    @Test("order, presence and field violations of §12.5 have their codes")
    func structure() throws {
        func index(_ type: ChunkType) -> (inout [Chunk]) -> Int { { $0.firstIndex { $0.type == type }! } }
        #expect(try Self.code(Self.edited(.inBand) { $0.remove(at: index(.activation)(&$0)) }) == .missingChunk)
        #expect(try Self.code(Self.edited(.inBand) { $0.remove(at: index(.latentPayload)(&$0)) }) == .missingChunk)
        #expect(try Self.code(Self.edited(.inBand) { $0.remove(at: index(.tables)(&$0)) }) == .missingChunk)
        #expect(try Self.code(Self.edited(.inBand) { chunks in
            let i = index(.activation)(&chunks)
            chunks.swapAt(i, i + 1)
        }) == .badChunkOrder)
        #expect(try Self.code(Self.edited(.inBand) { chunks in
            chunks.insert(chunks[index(.activation)(&chunks)], at: index(.latentPayload)(&chunks))
        }) == .badChunkOrder)
        // A latent index HEAD does not declare.
        #expect(try Self.code(Self.edited(.inBand) { chunks in
            let i = index(.activation)(&chunks)
            var payload = Array(chunks[i].payload)
            payload[0] = 3
            chunks[i] = Chunk(type: .activation, payload: payload)
        }) == .badField)
        // Hash chunks are ancillary (spec §5.4): a second one, or a malformed one, is skipped.
        #expect(try Self.code(Self.edited(.inBand) { chunks in
            chunks.insert(chunks[index(.latentHash)(&chunks)], at: 1)
        }) == nil)
        let short = try Self.edited(.inBand) { chunks in
            let i = index(.latentHash)(&chunks)
            chunks[i] = Chunk(type: .latentHash, payload: Array(chunks[i].payload.dropLast()))
        }
        #expect(ContainerReader().scan(short).warnings.map(\.code) == [.badChunkLength])
        #expect(try Self.decode(short).first?.hashChecked == false)
    }

    @Test("payload, table, compression and hash damage behind valid CRCs have their codes")
    func content() throws {
        func replace(_ type: ChunkType, _ change: @escaping (inout [UInt8]) -> Void) throws -> [UInt8] {
            try Self.edited(.inBand) { chunks in
                let i = chunks.firstIndex { $0.type == type }!
                var payload = Array(chunks[i].payload)
                change(&payload)
                chunks[i] = Chunk(type: type, payload: payload)
            }
        }
        // The latent's last word: the end check of §10.5.3 fails.
        #expect(try Self.code(replace(.latentPayload) { $0[$0.count - 5] ^= 0x40 }) == .badPayload)
        // A value count that does not match the active channels.
        #expect(try Self.code(replace(.latentPayload) { $0[7] &+= 1 }) == .badPayload)
        #expect(try Self.code(replace(.activation) { $0[1] = 3 }) == .badPayload)
        // Deflated data that does not inflate to body_size.
        #expect(try Self.code(replace(.tables) { $0[$0.count - 3] ^= 0xFF }) == .badCompression)
        #expect(try Self.code(replace(.tables) { $0[2] &+= 1 }) == .badCompression)
        #expect(try Self.code(replace(.tables) { $0[1] = 7 }) == .badField)
        // A body_size beyond what the level admits: refused before inflating.
        #expect(try Self.code(replace(.tables) { $0[5] = 0x7F }) == .limitExceeded)
        // Tables whose precision is not HEAD's.
        let other = try ContextFitter(precision: 12).fit(Self.training).0
        #expect(try Self.code(Self.edited(.inBand) { chunks in
            let i = chunks.firstIndex { $0.type == .tables }!
            chunks[i] = LatentChunk.tables(0, other)
        }) == .badTable)
        // A latent that decodes but not to what the hash says.
        #expect(try Self.code(replace(.latentHash) { $0[5] ^= 1 }) == .hashMismatch)
        // Without its (ancillary) hash chunk the stream still decodes.
        let stripped = try Self.edited(.inBand) { $0.removeAll { $0.type == .latentHash } }
        #expect(try Self.decode(stripped).first?.hashChecked == false)
    }

    @Test("a continuous latent without its RECC chunk is missingChunk (spec §14.8)")
    func continuous() throws {
        let header = StreamHeader(coder: .none, precision: 0, latents: [.init(kind: .continuous, channels: 2, height: 1, width: 5)])
        let bytes = try ContainerWriter(header: header).bytes()
        #expect(Self.code(bytes) == .missingChunk)
    }

    @Test("every prefix and every bit flip of a latent stream is refused")
    func damageSweep() throws {
        let bytes = try Self.stream(.inBand, lanes: 2, substreams: 1).bytes()
        for cut in 0..<bytes.count {
            #expect(Self.code(Array(bytes.prefix(cut))) != nil, "prefix \(cut)")
        }
        for index in bytes.indices {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[index] ^= UInt8(1 << bit)
                // CRCs catch every single flip; a flip in an ancillary chunk's CRC is still an error.
                #expect(Self.code(damaged) != nil, "flip \(index).\(bit)")
            }
        }
    }
}

/// The latent samples written by tools/make_latent_samples.py from DCT latents of a real photograph.
@Suite("Latent samples")
struct LatentSampleTests {
    static let directory = "samples/latents/"

    @Test("both samples decode to the latent NumPy computed")
    func samples() throws {
        let expected = try LatentTensor.tensors(from: NpyArray.read(contentsOf: Fixtures.path(Self.directory + "chelsea-crop.npy")))[0]
        let tables = try TableFile.read(contentsOf: Fixtures.path(Self.directory + "dct16.tbl"))
        for name in ["chelsea-crop-in-band.lcae", "chelsea-crop-referenced.lcae"] {
            let container = try ContainerReader().read(contentsOf: Fixtures.path(Self.directory + name))
            let decoded = try LatentDecoder(available: [tables]).decode(container)
            #expect(decoded.first?.tensor == expected, "\(name)")
            #expect(decoded.first?.hashChecked == true)
        }
    }

    @Test("every prefix and every bit flip of the referenced sample is refused")
    func damage() throws {
        let bytes = try Fixtures.bytes(Self.directory + "chelsea-crop-referenced.lcae")
        let tables = try TableFile.read(contentsOf: Fixtures.path(Self.directory + "dct16.tbl"))
        func refused(_ damaged: [UInt8]) -> Bool {
            do {
                _ = try LatentDecoder(available: [tables]).decode(ContainerReader().read(damaged))
                return false
            } catch {
                return true
            }
        }
        for cut in 0..<bytes.count where !refused(Array(bytes.prefix(cut))) {
            Issue.record("prefix \(cut) accepted")
        }
        for index in bytes.indices {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[index] ^= UInt8(1 << bit)
                if !refused(damaged) { Issue.record("flip \(index).\(bit) accepted") }
            }
        }
    }
}
