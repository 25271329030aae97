import Foundation
@testable import LCAE
@testable import LCAEContainer
@testable import LCAEInspect
@testable import LCAEREC
@testable import LCAESupport
@testable import LCAETools
import Testing

/// Every reader check of spec §14.8 on RECC chunks, with its code and offset, and damage sweeps.
@Suite("REC: streams and malformed RECC chunks")
struct RECStreamTests {
    static let prior = RECPrior(mean: [0.0], std: [1.0])!
    static let target = GaussianTarget(mean: [1.0, -0.5, 0.3, 0], std: [0.2, 0.5, 0.7, 1.0])!

    /// A valid one-latent stream and its RECC chunk.
    static func stream(_ method: RECMethod = .pfr, level: UInt8 = 1) throws -> (StreamHeader, RECChunk) {
        let info = RECEncoder.information(target, prior)
        let (rec, _) = try RECEncoder(method: method, seed: 5, bitsPerBlock: 4, log2Candidates: method.isExact ? nil : 6)
            .encode(target, prior: prior, info: info)
        let header = StreamHeader(level: level, coder: .none, precision: 0, latents: [.init(kind: .continuous, channels: 1, height: 1, width: 4)])
        return (header, rec)
    }

    static func bytes(_ header: StreamHeader, _ chunks: [Chunk]) -> [UInt8] {
        ContainerStream(header: header, chunks: [Chunk(type: .head, payload: header.payload())] + chunks + [Chunk(type: .end, payload: [])]).bytes()
    }

    /// The first error of a stream: the container pass, then decoding (spec §9).
    static func error(_ bytes: [UInt8]) -> ContainerError? {
        do {
            _ = try LatentDecoder().decodeAll(ContainerReader().read(bytes))
            return nil
        } catch {
            return error
        }
    }

    /// The RECC chunk starts after the signature and HEAD (52 + 12 bytes of payload): payload field f is at this + f.
    static let payloadAt = 9 + 12 + 64 + 8

    static func edited(_ method: RECMethod = .pfr, _ edit: (inout [UInt8]) -> Void) throws -> [UInt8] {
        let (header, rec) = try stream(method)
        var payload = Array(rec.chunk.payload)
        edit(&payload)
        return bytes(header, [Chunk(type: .recLatent, payload: payload)])
    }

    @Test("a valid stream of every method decodes; inspect lists the RECC fields", arguments: RECMethod.allCases)
    func valid(_ method: RECMethod) throws {
        let (header, rec) = try Self.stream(method)
        let file = Self.bytes(header, [rec.chunk])
        #expect(Self.error(file) == nil)
        let names = Inspection(path: "x", bytes: file).fields(of: ContainerReader().scan(file).chunks[1]).map(\.name)
        #expect(names.contains("global_seed") && names.contains("zeta_ratio") && names.contains("words"))
    }

    @Test("each field check reports its code at its field (spec §14.8 steps 1 to 5)")
    func fieldChecks() throws {
        let at = Self.payloadAt
        func code(_ edit: (inout [UInt8]) -> Void) throws -> (ContainerError.Code, Int)? {
            try Self.error(Self.edited(.pfr, edit)).map { ($0.code, $0.offset) }
        }
        #expect(try code { $0.removeLast($0.count - 21) }! == (.badChunkLength, at - 8))
        #expect(try code { $0[1] = 4 }! == (.badField, at + 1))
        #expect(try code { $0[2] = 2 }! == (.badField, at + 2))
        #expect(try code { $0[3] = 2 }! == (.badField, at + 3))
        #expect(try code { $0[12] = 0 }! == (.badField, at + 12))
        #expect(try code { $0[13] = 25 }! == (.badField, at + 13))
        #expect(try code { $0[14] = 0; $0[15] = 0 }! == (.badField, at + 14))
        #expect(try code { $0[16] = 0; $0[17] = 0 }! == (.badField, at + 16))
        #expect(try code { $0[18] = 0x01; $0[19] = 0x10 }! == (.limitExceeded, at + 18))  // 4097 blocks at level 1
        #expect(try code { $0.removeLast() }! == (.badChunkLength, at - 8))
        #expect(try code { $0.append(0) }! == (.badChunkLength, at - 8))
        #expect(try code { $0[22 + 4] = 0; $0[23 + 4] = 0; $0[24 + 4] = 0; $0[25 + 4] = 0 }! == (.badField, at + 26))  // σ = 0
        #expect(try code { $0[25] = 0x40; $0[24] = 1 }! == (.badField, at + 22))  // μ above 2^30
        #expect(try code { $0[18] = 9 }! == (.badField, at + 18))  // block_count ≠ the layout's
        let orc = try Self.edited(.orc) { $0[16] = 1 }
        #expect(Self.error(orc)?.code == .badField)
    }

    @Test("levels bound the blocks and the candidates a block indexes")
    func levels() throws {
        // Level 1 admits 2^16 candidates per block: ORC with 2^17 is refused at index_bits.
        var (header, rec) = try Self.stream(.orc)
        rec.indexBits = 17
        rec.words = try ZetaIndexCode.encode(rec.layout.blocks.map { _ in .init(intervals: [], index: 0) },
                                             blockBits: rec.layout.blocks.map { rec.layout.bits[$0] }, exact: false, indexBits: 17, zetaRatio: 0)
        let error = Self.error(Self.bytes(header, [rec.chunk]))
        #expect(error?.code == .limitExceeded && error?.offset == Self.payloadAt + 13)
        header.level = 3
        #expect(Self.error(Self.bytes(header, [rec.chunk])) == nil)
        // 4097 one-dimension blocks at level 1 (max_rec_blocks 4096).
        let d = 4097
        let many = RECChunk(latentIndex: 0, method: .orc, seed: 1, bitsPerBlock: 1, indexBits: 0, maxBlockDims: 1, zetaRatio: 0,
                            blockCount: d, prior: Self.prior, info: [UInt16](repeating: 256, count: d), words: [])
        let wide = StreamHeader(level: 1, coder: .none, precision: 0, latents: [.init(kind: .continuous, channels: 1, height: 1, width: d)])
        #expect(Self.error(Self.bytes(wide, [many.chunk]))?.code == .limitExceeded)
        // The same latent in blocks of two uninformative dimensions fits.
        var fewer = many
        fewer.maxBlockDims = 2
        fewer.info = [UInt16](repeating: 0, count: d)
        fewer.blockCount = 2049
        #expect(Self.error(Self.bytes(wide, [fewer.chunk])) == nil)
    }

    @Test("an in-bin index outside its block's range is badIndex; a stream with words left over is badPayload")
    func indices() throws {
        let (header, original) = try Self.stream(.pfr)
        var rec = original
        let blocks = rec.layout.blocks.map { rec.layout.bits[$0] }
        rec.indexBits = 3
        // k = 12 codes as octave 3 with raw bits 101: representable, but not below 2^3.
        rec.words = try ZetaIndexCode.encode(blocks.map { _ in .init(intervals: [], index: 12) }, blockBits: blocks, exact: true, indexBits: 3, zetaRatio: rec.zetaRatio)
        #expect(Self.error(Self.bytes(header, [rec.chunk]))?.code == .badIndex)
        rec.words = try ZetaIndexCode.encode(blocks.map { _ in .init(intervals: [], index: 7) }, blockBits: blocks, exact: true, indexBits: 3, zetaRatio: rec.zetaRatio)
        #expect(Self.error(Self.bytes(header, [rec.chunk])) == nil)
        rec.words.insert(12345, at: 0)
        #expect(Self.error(Self.bytes(header, [rec.chunk]))?.code == .badPayload)
        rec.words = [0]
        #expect(Self.error(Self.bytes(header, [rec.chunk]))?.code == .badPayload)
    }

    @Test("RECC order: missing, repeated, or naming a latent that is not continuous")
    func order() throws {
        let (header, rec) = try Self.stream()
        #expect(Self.error(Self.bytes(header, []))?.code == .missingChunk)
        let twice = Self.bytes(header, [rec.chunk, rec.chunk])
        #expect(Self.error(twice)?.code == .badChunkOrder)
        var other = rec
        other.latentIndex = 1
        #expect(Self.error(Self.bytes(header, [other.chunk]))?.code == .badField)
        #expect(Self.error(Self.bytes(header, [Chunk(type: .recLatent, payload: [])]))?.code == .badChunkLength)
    }

    @Test("every prefix and every bit flip of a REC stream is refused or decodes, never traps", arguments: [RECMethod.spPFR, .orc])
    func damageSweep(_ method: RECMethod) throws {
        let (header, rec) = try Self.stream(method)
        let file = Self.bytes(header, [rec.chunk])
        for cut in 0..<file.count {
            #expect(Self.error(Array(file.prefix(cut))) != nil, "prefix \(cut)")
        }
        // Flips inside the payload with the CRC recomputed, so that the RECC checks see them.
        let payload = Array(rec.chunk.payload)
        for index in payload.indices {
            for bit in 0..<8 {
                var damaged = payload
                damaged[index] ^= UInt8(1 << bit)
                _ = Self.error(Self.bytes(header, [Chunk(type: .recLatent, payload: damaged)]))
            }
        }
    }
}
