import Foundation
@testable import LCAEContainer
@testable import LCAESupport
import Testing

@Suite("Container")
struct ContainerTests {
    static let imageHeader = StreamHeader(
        width: 768, height: 512, bitDepth: 8, colourFormat: .rgb, level: 1, coder: .rans64, precision: 24,
        modelHash: (0..<32).map { UInt8($0 * 7 + 1) },
        latents: [.init(kind: .integer, channels: 64, height: 32, width: 48),
                  .init(kind: .continuous, channels: 8, height: 1, width: 5)])

    static func stream(_ header: StreamHeader, _ extra: [Chunk] = []) throws -> [UInt8] {
        var writer = ContainerWriter(header: header)
        extra.forEach { writer.append($0) }
        return try writer.bytes()
    }

    // MARK: Round trips

    @Test("every chunk type round-trips, and re-writing gives the same bytes")
    func roundTrip() throws {
        let text = TextChunk(keyword: "encoder", value: "lcae tests, ünïcödé")
        let unknown = Chunk(type: ChunkType("qUUX")!, payload: [1, 2, 3, 0, 255])
        let bytes = try Self.stream(Self.imageHeader, [text.chunk, unknown])
        let container = try ContainerReader().read(bytes)
        #expect(container.header == Self.imageHeader)
        #expect(container.texts == [text])
        #expect(container.chunks.map(\.type.description) == ["HEAD", "tEXT", "qUUX", "LEND"])
        #expect(container.first(ChunkType("qUUX")!)?.payload.elementsEqual([1, 2, 3, 0, 255]) == true)
        #expect(container.bytes() == bytes)
    }

    @Test("headers with every colour format, coder and latent kind round-trip")
    func headerVariants() throws {
        let headers = [
            StreamHeader(coder: .none, precision: 0),
            StreamHeader(width: 1, height: 1, bitDepth: 16, colourFormat: .grey, level: 1, precision: 12, modelHash: [UInt8](repeating: 0xAB, count: 32),
                   latents: [.init(kind: .integer, channels: 1, height: 1, width: 1)]),
            StreamHeader(level: 2, coder: .none, precision: 0, latents: [.init(kind: .continuous, channels: 4096 / 4, height: 8, width: 8)]),
            StreamHeader(latents: Array(repeating: .init(kind: .integer, channels: 2, height: 3, width: 5), count: StreamHeader.maxLatents)),
        ]
        for header in headers {
            #expect(try ContainerReader().read(Self.stream(header)).header == header)
        }
    }

    @Test("the samples written from the spec by an independent script read back as the script describes")
    func independentSamples() throws {
        let empty = try ContainerReader().read(Fixtures.bytes(Fixtures.containerSamples[0]))
        #expect(empty.header == StreamHeader(coder: .none, precision: 0))
        let rich = try Fixtures.bytes(Fixtures.containerSamples[1])
        let scan = ContainerReader().scan(rich)
        #expect(scan.error == nil)
        #expect(scan.chunks.map(\.type.description) == ["HEAD", "tEXT", "tEXT", "zUNK", "LEND"])
        #expect(scan.chunks.map(\.known) == [true, true, true, false, true])
        let container = try ContainerReader().read(rich)
        #expect(container.texts.map(\.keyword) == ["encoder", "comment"])
        #expect(container.texts[1].value == "Ünïcödé value, spec §7.3")
        #expect(container.bytes() == rich, "unknown ancillary chunks survive a re-write unchanged")
    }

    @Test("CRC-32 matches the spec's Table 5-1 (values from Python's zlib.crc32)")
    func crcTable() {
        #expect(CRC32.checksum(Array("123456789".utf8)[...]) == 0xCBF4_3926)
        #expect(CRC32.checksum(Array("LEND".utf8)[...]) == 0x999C_90B0)
        #expect(CRC32.checksum(Array("tEXT".utf8)[...], [0x61, 0x00, 0x62]) == 0x7C7B_0D05)
    }

    // MARK: Damage

    @Test("every proper prefix of a valid file is refused as truncated")
    func everyPrefix() throws {
        for sample in Fixtures.containerSamples + ["generated"] {
            let bytes = sample == "generated"
                ? try Self.stream(Self.imageHeader, [TextChunk(keyword: "k", value: "v").chunk])
                : try Fixtures.bytes(sample)
            for length in 0..<bytes.count {
                let error = ContainerReader().scan(Array(bytes.prefix(length))).error
                #expect(error?.code == .truncated, "prefix of \(length) bytes of \(sample): \(String(describing: error))")
            }
        }
    }

    @Test("every single-bit flip of a valid file is detected")
    func everyBitFlip() throws {
        for sample in Fixtures.containerSamples {
            let bytes = try Fixtures.bytes(sample)
            for index in bytes.indices {
                for bit in 0..<8 {
                    var damaged = bytes
                    damaged[index] ^= UInt8(1 << bit)
                    let error = ContainerReader().scan(damaged).error
                    #expect(error != nil, "flip of bit \(bit) at byte \(index) of \(sample) went unnoticed")
                }
            }
        }
    }

    @Test("signature damage is named", arguments: [
        ([0x0C, 0x4C, 0x43, 0x41, 0x45, 0x0D, 0x0A, 0x1A, 0x0A] as [UInt8], "7-bit"),
        ([0x8C, 0x4C, 0x43, 0x41, 0x45, 0x0A, 0x1A, 0x0A], "DOS-to-Unix"),
        ([0x8C, 0x4C, 0x43, 0x41, 0x45, 0x0D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A], "Unix-to-DOS"),
        ([0x8C, 0x4C, 0x43, 0x41, 0x45, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A], "Unix-to-DOS"),
        (Array("PNG\r\n".utf8), "does not start"),
    ])
    func signatureDamage(signature: [UInt8], diagnosis: String) throws {
        let bytes = rawStream([("HEAD", StreamHeader().payload()), ("LEND", [])], signature: signature)
        let error = ContainerReader().scan(bytes).error
        #expect(error?.code == .badSignature)
        #expect(error?.message.contains(diagnosis) == true, "\(String(describing: error))")
    }

    // MARK: Versions, criticality, order

    @Test("a 1.y file is read by this 1.0 reader; a 2.0 file is refused before any other field")
    func versions() throws {
        var later = StreamHeader()
        later.version = FormatVersion(major: 1, minor: 7)
        #expect(try ContainerReader().read(Self.stream(later)).header.version.minor == 7)

        // Version 2 may lay HEAD out differently: a short HEAD must still say unsupportedVersion.
        let v2 = rawStream([("HEAD", [2, 0, 0, 0, 9, 9]), ("LEND", [])])
        let error = ContainerReader().scan(v2).error
        #expect(error?.code == .unsupportedVersion)
        #expect(error?.offset == 17)
    }

    @Test("an unknown ancillary chunk is skipped and kept; an unknown critical chunk is refused")
    func criticality() throws {
        let ancillary = rawStream([("HEAD", StreamHeader().payload()), ("xFOO", [1, 2]), ("LEND", [])])
        let scan = ContainerReader().scan(ancillary)
        #expect(scan.error == nil)
        #expect(scan.chunks[1].known == false)
        #expect(try ContainerReader().read(ancillary).bytes() == ancillary)

        let critical = rawStream([("HEAD", StreamHeader().payload()), ("XFOO", [1, 2]), ("LEND", [])])
        let error = ContainerReader().scan(critical).error
        #expect(error?.code == .unsupportedCritical)
        #expect(error?.offset == 9 + 12 + 52)
    }

    @Test("order violations", arguments: [
        ([("tEXT", Array("a\0b".utf8)), ("HEAD", StreamHeader().payload()), ("LEND", [])], ContainerError.Code.badChunkOrder),
        ([("HEAD", StreamHeader().payload()), ("HEAD", StreamHeader().payload()), ("LEND", [])], .badChunkOrder),
        ([("HEAD", StreamHeader().payload()), ("LEND", [0])], .badChunkLength),
        ([("HEAD", StreamHeader().payload())], .truncated),
        ([("LEND", [])], .badChunkOrder),
        ([("HEAD", StreamHeader().payload()), ("LE1D", [])], .badChunkType),
    ] as [([(String, [UInt8])], ContainerError.Code)])
    func order(chunks: [(String, [UInt8])], code: ContainerError.Code) {
        #expect(ContainerReader().scan(rawStream(chunks)).error?.code == code)
    }

    @Test("bytes after LEND are trailing data")
    func trailing() {
        let bytes = rawStream([("HEAD", StreamHeader().payload()), ("LEND", [])]) + [0]
        #expect(ContainerReader().scan(bytes).error?.code == .trailingData)
    }

    @Test("a malformed tEXT is a warning, not an error")
    func malformedText() {
        let bytes = rawStream([("HEAD", StreamHeader().payload()), ("tEXT", [0x20, 0, 0x41]), ("LEND", [])])
        let scan = ContainerReader().scan(bytes)
        #expect(scan.error == nil)
        #expect(scan.warnings.map(\.code) == [.badField])
    }

    // MARK: Fields and limits

    @Test("HEAD field violations are reported at the field's offset", arguments: [
        (12, 7, ContainerError.Code.badField),   // bit_depth 7 with colour none
        (13, 2, .badField),                      // colour_format 2
        (14, 0, .badField),                      // profile 0
        (15, 4, .badField),                      // level 4
        (16, 9, .badField),                      // coder 9
        (17, 25, .badField),                     // precision 25
        (18, 2, .badField),                      // reserved flag bit
        (19, 5, .badField),                      // latent_count 5
        (20, 1, .badField),                      // model hash without the flag
    ])
    func headFields(offset: Int, value: UInt8, code: ContainerError.Code) {
        var payload = StreamHeader(precision: 24).payload()
        payload[offset] = value
        let error = ContainerReader().scan(rawStream([("HEAD", payload), ("LEND", [])])).error
        #expect(error?.code == code)
        #expect(error?.offset == 17 + offset)
    }

    @Test("a header declaring sizes above its level is refused before anything is sized from them")
    func levelLimits() {
        func refused(_ header: StreamHeader) -> ContainerError? {
            ContainerReader().scan(rawStream([("HEAD", header.payload()), ("LEND", [])])).error
        }
        let hash = [UInt8](repeating: 1, count: 32)
        #expect(refused(StreamHeader(width: 4097, height: 1, bitDepth: 8, colourFormat: .grey, level: 1, modelHash: hash))?.code == .limitExceeded)
        #expect(refused(StreamHeader(width: 4096, height: 4096, bitDepth: 8, colourFormat: .grey, level: 1, modelHash: hash))?.code == .limitExceeded)
        #expect(refused(StreamHeader(width: 4096, height: 4096, bitDepth: 8, colourFormat: .grey, level: 2, modelHash: hash)) == nil)
        #expect(refused(StreamHeader(level: 1, latents: [.init(kind: .integer, channels: 257, height: 1, width: 1)]))?.code == .limitExceeded)
        // channels × height × width overflows 64 bits: refused, not trapped.
        let huge = StreamHeader(level: 3, latents: [.init(kind: .integer, channels: 4096, height: 0xFFFF_FFFF, width: 0xFFFF_FFFF)])
        #expect(refused(huge)?.code == .limitExceeded)
        // The sum over tensors is bounded too.
        let split = StreamHeader(level: 1, latents: Array(repeating: .init(kind: .integer, channels: 256, height: 64, width: 129), count: 2))
        #expect(refused(split)?.code == .limitExceeded)
    }

    @Test("a chunk length above the level is refused before its bytes are looked at")
    func payloadLimit() {
        // Level 1 admits 2^26 payload bytes; this chunk declares 2^27 and carries none of them.
        var bytes = rawStream([("HEAD", StreamHeader().payload())])
        bytes += [0, 0, 0, 8] + Array("xBIG".utf8)
        #expect(ContainerReader().scan(bytes).error?.code == .limitExceeded)
        // The same length before HEAD is judged by the reader's own limits.
        var small = Level.level1
        small.maxPayloadBytes = 16
        #expect(ContainerReader(limits: small).scan(rawStream([("HEAD", StreamHeader().payload()), ("LEND", [])])).error?.code == .limitExceeded)
        // A length above 2^31 - 1 is malformed whatever the limits.
        let overlong = Signature.bytes + [0xFF, 0xFF, 0xFF, 0xFF] + Array("HEAD".utf8)
        #expect(ContainerReader().scan(overlong).error?.code == .badChunkLength)
    }

    @Test("the chunk count is bounded by the level")
    func chunkCount() {
        let chunks = [("HEAD", StreamHeader().payload())] + Array(repeating: ("tEXT", Array("k\0v".utf8)), count: 255) + [("LEND", [])]
        #expect(ContainerReader().scan(rawStream(chunks)).error?.code == .limitExceeded)
        let fits = [("HEAD", StreamHeader().payload())] + Array(repeating: ("tEXT", Array("k\0v".utf8)), count: 254) + [("LEND", [])]
        #expect(ContainerReader().scan(rawStream(fits)).error == nil)
    }

    @Test("the writer refuses a header the reader would refuse")
    func writerValidates() {
        let header = StreamHeader(width: 5000, height: 10, bitDepth: 8, colourFormat: .grey, level: 1, modelHash: [UInt8](repeating: 1, count: 32))
        #expect(throws: ContainerError.self) { try ContainerWriter(header: header).bytes() }
    }

    @Test("the lowest admitting level is chosen")
    func minimumLevel() {
        #expect(Level.minimum(for: Self.imageHeader.requiredLimits) == 1)
        let big = StreamHeader(width: 8000, height: 6000, bitDepth: 8, colourFormat: .rgb, modelHash: [UInt8](repeating: 1, count: 32))
        #expect(Level.minimum(for: big.requiredLimits) == 2)
    }

    // MARK: Files

    @Test("files are written atomically; an interrupted write leaves no partial file")
    func atomicWrite() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.lcae").path
        let bytes = try Self.stream(Self.imageHeader)

        struct Interrupted: Error {}
        #expect(throws: ContainerError.self) {
            try AtomicFile.write(bytes, to: path, beforeRename: { throw Interrupted() })
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)

        try AtomicFile.write(bytes, to: path)
        #expect(try ContainerReader().read(contentsOf: path).header == Self.imageHeader)

        // An interrupted overwrite leaves the old file intact.
        #expect(throws: ContainerError.self) {
            try AtomicFile.write([1, 2, 3], to: path, beforeRename: { throw Interrupted() })
        }
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.lcae"])
    }

    @Test("a missing file is an I/O error, not a crash")
    func missingFile() {
        #expect {
            try ContainerReader().read(contentsOf: "/nonexistent/x.lcae")
        } throws: { error in
            (error as? ContainerError)?.code == .ioError
        }
    }
}
