import Foundation
@testable import LCAENumPy
@testable import LCAEPNG
@testable import LCAESupport
import Testing

/// The PNG reader against files and samples from tools/make_png_fixtures.py (checked there with Pillow),
/// the writer by round trips, and both against damaged and hostile files.
@Suite("PNG")
struct PNGTests {
    static let vectors = "Tests/LCAETests/Vectors/png/"

    struct Expected: Decodable {
        var file: String
        var width: Int
        var height: Int
        var channels: Int
        var bitDepth: Int
        var colorType: UInt8
        var sourceBitDepth: Int
        var interlaced: Bool
        var droppedAlpha: Bool
        var samples: [UInt16]
    }

    static func expectations() throws -> [Expected] {
        struct File: Decodable { var cases: [Expected] }
        return try JSONDecoder().decode(File.self, from: Data(Fixtures.bytes(vectors + "expected.json"))).cases
    }

    static func fixture(_ name: String) throws -> [UInt8] { try Fixtures.bytes(vectors + name) }

    /// The error code `read` throws, or nil if the bytes decode.
    static func code(_ bytes: [UInt8], _ reader: PNGReader = PNGReader()) -> PNGError.Code? {
        do {
            _ = try reader.read(bytes)
            return nil
        } catch {
            return error.code
        }
    }

    static func error(_ bytes: [UInt8], _ reader: PNGReader = PNGReader()) -> PNGError? {
        do {
            _ = try reader.read(bytes)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Files from other encoders

    @Test("every colour type and bit depth, interlaced or not, decodes to the samples Pillow agrees with")
    func fixtures() throws {
        let cases = try Self.expectations()
        var covered = Set<String>()
        for expected in cases {
            let decoded = try PNGReader().read(Self.fixture(expected.file))
            let image = decoded.image
            #expect(image.width == expected.width && image.height == expected.height, "\(expected.file)")
            #expect(image.channels == expected.channels && image.bitDepth == expected.bitDepth, "\(expected.file)")
            #expect(image.samples == expected.samples, "\(expected.file)")
            #expect(decoded.droppedAlpha == expected.droppedAlpha, "\(expected.file)")
            #expect(decoded.header.colorType.rawValue == expected.colorType, "\(expected.file)")
            #expect(decoded.header.bitDepth == expected.sourceBitDepth && decoded.header.interlaced == expected.interlaced)
            covered.insert("\(expected.colorType)/\(expected.sourceBitDepth)/\(expected.interlaced)")
        }
        let all = PNGHeader.ColorType.allCases.flatMap { type in
            type.allowedBitDepths.flatMap { depth in [false, true].map { "\(type.rawValue)/\(depth)/\($0)" } }
        }
        #expect(covered.isSuperset(of: all), "missing: \(Set(all).subtracting(covered).sorted())")
    }

    @Test("fixture files use all five filters and split their data over several IDAT chunks")
    func fixtureCoverage() throws {
        var filters = Set<UInt8>()
        var mostDataChunks = 0
        for expected in try Self.expectations() where !expected.interlaced {
            let bytes = try Self.fixture(expected.file)
            let data = rawChunks(bytes).filter { $0.type == "IDAT" }
            mostDataChunks = max(mostDataChunks, data.count)
            let header = PNGHeader(width: expected.width, height: expected.height, bitDepth: expected.sourceBitDepth,
                                   colorType: try #require(PNGHeader.ColorType(rawValue: expected.colorType)), interlaced: false)
            let lineBytes = header.rowBytes(columns: header.width) + 1
            let raw = try #require(Deflate.decompress(data.flatMap(\.data)[...], size: lineBytes * header.height))
            for row in 0..<header.height { filters.insert(raw[row * lineBytes]) }
        }
        #expect(filters == [0, 1, 2, 3, 4])
        #expect(mostDataChunks > 10)
    }

    // MARK: Writer

    static func randomImage(width: Int, height: Int, channels: Int, bitDepth: Int, seed: UInt64) throws -> RasterImage {
        var random = SplitMix64(seed: seed)
        let mask: UInt64 = bitDepth == 16 ? 0xFFFF : 0xFF
        let samples = (0..<(width * height * channels)).map { _ in UInt16(random.next() & mask) }
        return try RasterImage(width: width, height: height, channels: channels, bitDepth: bitDepth, samples: samples)
    }

    /// A smooth image, on which the writer should prefer prediction to no filter.
    static func gradient(width: Int, height: Int, channels: Int, bitDepth: Int) throws -> RasterImage {
        var samples: [UInt16] = []
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels { samples.append(UInt16((x * 3 + y * 2 + c * 20) % 256) * (bitDepth == 16 ? 257 : 1)) }
            }
        }
        return try RasterImage(width: width, height: height, channels: channels, bitDepth: bitDepth, samples: samples)
    }

    @Test("written images read back identically", arguments: [(1, 1), (3, 5), (17, 9)])
    func roundTrip(width: Int, height: Int) throws {
        for channels in [1, 3] {
            for bitDepth in [8, 16] {
                let images = [
                    try Self.randomImage(width: width, height: height, channels: channels, bitDepth: bitDepth, seed: UInt64(width * 100 + channels * 10 + bitDepth)),
                    try Self.gradient(width: width, height: height, channels: channels, bitDepth: bitDepth),
                ]
                for image in images {
                    for level in [0, 6, 9] {
                        let bytes = PNGWriter(compressionLevel: level).encode(image)
                        let decoded = try PNGReader().read(bytes)
                        #expect(decoded.image == image)
                        #expect(!decoded.droppedAlpha && !decoded.header.interlaced)
                        #expect(decoded.header.colorType == (channels == 1 ? .grey : .rgb))
                    }
                }
            }
        }
    }

    @Test("the writer picks filters per row, and predicts smooth images")
    func writerFilters() throws {
        let image = try Self.gradient(width: 64, height: 16, channels: 3, bitDepth: 8)
        let bytes = PNGWriter().encode(image)
        let data = rawChunks(bytes).filter { $0.type == "IDAT" }.flatMap(\.data)
        let lineBytes = 64 * 3 + 1
        let raw = try #require(Deflate.decompress(data[...], size: lineBytes * 16))
        let filters = (0..<16).map { raw[$0 * lineBytes] }
        #expect(!filters.contains(0), "a gradient is never best left unfiltered: \(filters)")
        #expect(rawChunks(bytes).map(\.type) == ["IHDR", "IDAT", "IEND"])
    }

    @Test("large images are split into IDAT chunks of at most 1 MiB")
    func writerSplitsData() throws {
        let image = try Self.randomImage(width: 700, height: 700, channels: 3, bitDepth: 8, seed: 7)
        let bytes = PNGWriter(compressionLevel: 0).encode(image)
        let data = rawChunks(bytes).filter { $0.type == "IDAT" }
        #expect(data.count == 2 && data.allSatisfy { $0.data.count <= PNGWriter.maxChunkData })
        #expect(try PNGReader().read(bytes).image == image)
    }

    @Test("files are written atomically and read back; an unwritable path is an ioError")
    func files() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.png").path
        let image = try Self.randomImage(width: 5, height: 4, channels: 3, bitDepth: 16, seed: 3)
        try PNGWriter().write(image, to: path)
        #expect(try PNGReader().read(contentsOf: path).image == image)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.png"])
        #expect { try PNGWriter().write(image, to: directory.path + "/missing/out.png") } throws: { ($0 as? PNGError)?.code == .ioError }
        #expect { try PNGReader().read(contentsOf: directory.path + "/missing.png") } throws: { ($0 as? PNGError)?.code == .ioError }
    }

    // MARK: Image

    @Test("Image checks its sizes and sample range")
    func imageValidation() throws {
        func code(_ width: Int, _ height: Int, _ channels: Int, _ bitDepth: Int, _ samples: [UInt16]) -> PNGError.Code? {
            do {
                _ = try RasterImage(width: width, height: height, channels: channels, bitDepth: bitDepth, samples: samples)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code(2, 1, 1, 8, [0, 255]) == nil)
        #expect(code(2, 1, 1, 8, [0, 256]) == .badImage)
        #expect(code(2, 1, 1, 16, [0, 65535]) == nil)
        #expect(code(2, 1, 3, 8, [0, 1]) == .badImage)
        #expect(code(0, 1, 1, 8, []) == .badImage)
        #expect(code(1, 1, 2, 8, [0, 0]) == .badImage)
        #expect(code(1, 1, 1, 12, [0]) == .badImage)
        #expect(code(Int.max, 2, 1, 8, []) == .badImage)
    }

    @Test("Image accessors and conversions")
    func imageConversions() throws {
        var image = try RasterImage(width: 2, height: 2, channels: 3, bitDepth: 8, samples: Array(0..<12).map { UInt16($0) * 20 })
        #expect(image[x: 1, y: 0, channel: 2] == 100)
        #expect(image[x: 0, y: 1, channel: 0] == 120)
        image[x: 1, y: 1, channel: 1] = 255
        #expect(image.samples[10] == 255)
        let wide = image.converted(toBitDepth: 16)
        #expect(wide.bitDepth == 16 && wide.samples == image.samples.map { $0 * 257 })
        #expect(wide.converted(toBitDepth: 8) == image)
        let sixteen = try RasterImage(width: 1, height: 1, channels: 1, bitDepth: 16, samples: [128])
        #expect(sixteen.converted(toBitDepth: 8).samples == [0])
        #expect(try RasterImage(width: 1, height: 1, channels: 1, bitDepth: 16, samples: [129]).converted(toBitDepth: 8).samples == [1])

        let planar = image.planarFloats()
        #expect(planar.count == 12)
        #expect(planar[0] == 0 && planar[1] == Float(60) / 255 && planar[4] == Float(20) / 255)
        #expect(try RasterImage(planarFloats: planar, width: 2, height: 2, channels: 3, bitDepth: 8) == image)
        let clamped = try RasterImage(planarFloats: [-1, 2, .nan, 0.5], width: 2, height: 2, channels: 1, bitDepth: 16)
        #expect(clamped.samples == [0, 65535, 0, 32768])
        #expect { try RasterImage(planarFloats: [0], width: 2, height: 2, channels: 1, bitDepth: 8) } throws: {
            ($0 as? PNGError)?.code == .badImage
        }
    }

    // MARK: Damaged and hostile files

    @Test("every truncation of a valid file is reported as truncated")
    func truncations() throws {
        let files = [
            try Self.fixture("type2_8bit_adam7.png"), try Self.fixture("type3_2bit.png"), try Self.fixture("pillow_RGBA.png"),
            PNGWriter().encode(try Self.randomImage(width: 17, height: 9, channels: 3, bitDepth: 16, seed: 11)),
        ]
        for bytes in files {
            for length in 0..<bytes.count {
                #expect(Self.code(Array(bytes.prefix(length))) == .truncated, "prefix of \(length) bytes")
            }
        }
    }

    @Test("every single bit flip of a file is detected by the signature, a length or a CRC")
    func bitFlips() throws {
        for name in ["type0_4bit_adam7.png", "type6_16bit.png", "pillow_P.png"] {
            let bytes = try Self.fixture(name)
            for index in bytes.indices {
                var damaged = bytes
                damaged[index] ^= 1 << UInt8(index % 8)
                #expect(Self.code(damaged) != nil, "\(name): flip in byte \(index)")
            }
        }
    }

    @Test("bit flips behind a valid CRC give a typed error or an image, never a trap")
    func flipsWithValidCRC() throws {
        var outcomes: [PNGError.Code?: Int] = [:]
        for name in ["type0_2bit_adam7.png", "type3_4bit.png", "type2_16bit.png", "type4_8bit_adam7.png"] {
            let original = rawChunks(try Self.fixture(name))
            for (number, chunk) in original.enumerated() {
                for index in chunk.data.indices {
                    var damaged = original
                    damaged[number].data[index] ^= 1 << UInt8((index + number) % 8)
                    outcomes[Self.code(pngFile(damaged)), default: 0] += 1
                }
            }
        }
        // Damage shows up in several layers, and some of it (in image samples) is undetectable.
        #expect(outcomes[nil, default: 0] > 0)
        #expect(outcomes[.badCompression, default: 0] > 0)
        #expect(outcomes[.badHeader, default: 0] > 0)
    }

    @Test("declared sizes above the limits are refused before anything is allocated")
    func limits() throws {
        func header(_ width: Int, _ height: Int, depth: UInt8 = 8, type: UInt8 = 2) -> [UInt8] {
            // Only IHDR and a tiny IDAT: any allocation of the declared size would be visible as a crash or a long stall.
            pngFile([("IHDR", ihdrData(width, height, depth: depth, type: type)), ("IDAT", Deflate.compress([0])), ("IEND", [])])
        }
        #expect(Self.error(header(65536, 1)) == PNGError(.limitExceeded, at: 16, "width 65536 is above the limit 65535"))
        #expect(Self.error(header(1, 65536))?.code == .limitExceeded)
        #expect(Self.error(header(1, 65536))?.offset == 20)
        #expect(Self.code(header(65535, 65535)) == .limitExceeded)
        let unlimited = PNGReader(limits: .init(maxWidth: .max, maxHeight: .max, maxPixels: .max))
        #expect(Self.code(header(0x7FFF_FFFF, 0x7FFF_FFFF), unlimited) == .limitExceeded, "sizes overflow Int")
        let small = PNGReader(limits: .init(maxWidth: 10, maxHeight: 10, maxPixels: 50))
        #expect(Self.code(header(10, 6), small) == .limitExceeded)
        #expect(Self.code(header(11, 1), small) == .limitExceeded)
        // Within the limits but far beyond what 11 bytes of zlib data can inflate to.
        #expect(Self.code(header(30000, 30000, type: 0)) == .badCompression)
    }

    @Test("IHDR values outside the specification are badHeader at their field")
    func badHeaders() throws {
        func error(_ data: [UInt8]) -> PNGError? {
            Self.error(pngFile([("IHDR", data), ("IDAT", Deflate.compress([0, 0])), ("IEND", [])]))
        }
        #expect(error(ihdrData(0, 1))?.offset == 16)
        #expect(error(ihdrData(1, 0))?.offset == 20)
        #expect(error(ihdrData(1 << 31, 1))?.code == .badHeader)
        #expect(error(ihdrData(1, 1, depth: 4, type: 2)) == PNGError(.badHeader, at: 24, "bit depth 4 is not allowed for colour type 2"))
        #expect(error(ihdrData(1, 1, depth: 16, type: 3))?.offset == 24)
        #expect(error(ihdrData(1, 1, depth: 8, type: 5))?.offset == 25)
        #expect(error(ihdrData(1, 1, depth: 8, type: 0, compression: 1))?.offset == 26)
        #expect(error(ihdrData(1, 1, depth: 8, type: 0, filter: 1))?.offset == 27)
        #expect(error(ihdrData(1, 1, depth: 8, type: 0, interlace: 2))?.offset == 28)
        #expect(error(Array(ihdrData(1, 1).dropLast()))?.code == .badHeader)
        #expect(error(ihdrData(1, 1, depth: 8, type: 0)) == nil)
    }

    @Test("chunk-level damage has its code and the chunk's offset")
    func chunkErrors() throws {
        let valid = rawChunks(try Self.fixture("type2_8bit.png"))
        let idat = try #require(valid.firstIndex { $0.type == "IDAT" })
        let idatOffset = chunkOffsets(valid)[idat]

        var badCRC = pngFile(valid)
        badCRC[idatOffset + 8 + valid[idat].data.count] ^= 0xFF
        #expect(Self.error(badCRC)?.code == .crcMismatch)
        #expect(Self.error(badCRC)?.offset == idatOffset)

        #expect(Self.code([]) == .truncated)
        #expect(Self.code(Array("GIF89a....".utf8)) == .badSignature)
        #expect(Self.code(Array(pngFile(valid).dropLast(12)) + [0]) == .truncated)

        var critical = valid
        critical.insert(RawChunk(type: "LAYR", data: [1, 2]), at: idat)
        #expect(Self.error(pngFile(critical)) == PNGError(.unsupported, at: idatOffset, "unknown critical chunk LAYR"))
        var ancillary = valid
        ancillary.insert(RawChunk(type: "zzZz", data: [1, 2]), at: idat)
        #expect(try PNGReader().read(pngFile(ancillary)).image == PNGReader().read(pngFile(valid)).image)
        var notLetters = valid
        notLetters.insert(RawChunk(type: "ab1d", data: []), at: idat)
        #expect(Self.error(pngFile(notLetters))?.offset == idatOffset + 4)
        #expect(Self.code(pngFile(notLetters)) == .badChunk)

        var headerLater = valid
        headerLater.swapAt(0, 1)
        #expect(Self.code(pngFile(headerLater)) == .badChunk)
        var twoHeaders = valid
        twoHeaders.insert(valid[0], at: 1)
        #expect(Self.code(pngFile(twoHeaders)) == .badChunk)
        var split = valid
        split.insert(RawChunk(type: "tEXt", data: Array("a\u{0}b".utf8)), at: idat)
        split.insert(RawChunk(type: "IDAT", data: []), at: idat)
        #expect(Self.code(pngFile(split)) == .badChunk, "IDAT, tEXt, IDAT")
        #expect(Self.code(pngFile(valid.filter { $0.type != "IDAT" })) == .badChunk)
        var longIEND = valid
        longIEND[longIEND.count - 1].data = [0]
        #expect(Self.code(pngFile(longIEND)) == .badChunk)

        var hugeLength = pngFile(valid)
        hugeLength[idatOffset] = 0x80
        #expect(Self.error(hugeLength) == PNGError(.badChunk, at: idatOffset, "chunk length \(0x8000_0000 + valid[idat].data.count) is above 2^31-1"))

        // Bytes after IEND are not part of the image and are ignored.
        #expect(Self.code(pngFile(valid) + [1, 2, 3]) == nil)
    }

    @Test("palettes: missing, malformed, in grey images, or indexed past their end")
    func paletteErrors() throws {
        let data = Deflate.compress([0, 0x12, 0x30, 0x00])
        func code(_ chunks: [(String, [UInt8])]) -> PNGError.Code? { Self.code(pngFile(chunks)) }
        let header = ("IHDR", ihdrData(5, 1, depth: 4, type: 3))
        #expect(code([header, ("PLTE", Array(repeating: 7, count: 12)), ("IDAT", data), ("IEND", [])]) == nil)
        #expect(code([header, ("IDAT", data), ("IEND", [])]) == .badPalette)
        #expect(code([header, ("PLTE", [1, 2]), ("IDAT", data), ("IEND", [])]) == .badPalette)
        #expect(code([header, ("PLTE", Array(repeating: 0, count: 771)), ("IDAT", data), ("IEND", [])]) == .badPalette)
        #expect(code([header, ("PLTE", Array(repeating: 7, count: 9)), ("IDAT", data), ("IEND", [])]) == .badPalette, "index 3 of 3 entries")
        #expect(code([header, ("PLTE", Array(repeating: 7, count: 12)), ("PLTE", Array(repeating: 7, count: 12)), ("IDAT", data), ("IEND", [])]) == .badChunk)
        #expect(code([header, ("IDAT", data), ("PLTE", Array(repeating: 7, count: 12)), ("IEND", [])]) == .badPalette)
        let grey = ("IHDR", ihdrData(5, 1, depth: 4, type: 0))
        #expect(code([grey, ("PLTE", Array(repeating: 7, count: 12)), ("IDAT", data), ("IEND", [])]) == .badChunk)
        // A suggested palette in an RGB image is allowed and ignored.
        let rgb = ("IHDR", ihdrData(1, 1, depth: 8, type: 2))
        #expect(code([rgb, ("PLTE", [1, 2, 3]), ("IDAT", Deflate.compress([0, 1, 2, 3])), ("IEND", [])]) == nil)
    }

    @Test("filter bytes above 4 are badFilter; image data of the wrong size or form is badCompression")
    func dataErrors() throws {
        func code(_ data: [UInt8], interlaced: Bool = false) -> PNGError? {
            Self.error(pngFile([("IHDR", ihdrData(3, 2, depth: 8, type: 0, interlace: interlaced ? 1 : 0)), ("IDAT", data), ("IEND", [])]))
        }
        let rows: [UInt8] = [1, 10, 20, 30, 4, 1, 2, 3]
        #expect(code(Deflate.compress(rows)) == nil)
        #expect(code(Deflate.compress([1, 10, 20, 30, 5, 1, 2, 3]))?.code == .badFilter)
        #expect(code(Deflate.compress([1, 10, 20, 30, 5, 1, 2, 3]))?.offset == 33)
        #expect(code(Deflate.compress(rows + [0]))?.code == .badCompression, "one byte too many")
        #expect(code(Deflate.compress(Array(rows.dropLast())))?.code == .badCompression, "one byte short")
        #expect(code(Deflate.compress(rows) + [0])?.code == .badCompression, "bytes after the zlib stream")
        #expect(code(Array(Deflate.compress(rows).dropLast()))?.code == .badCompression, "checksum cut")
        #expect(code([0x78, 0x9C, 0xFF, 0xFF])?.code == .badCompression, "invalid deflate block")
        #expect(code([])?.code == .badCompression)
        // Interlaced 3x2: passes 1 (1x1), 2 (empty), 3 (empty), 4 (1x1), 5 (empty), 6 (1x1), 7 (3x1).
        #expect(code(Deflate.compress([0, 1, 0, 2, 0, 3, 0, 4, 5, 6]), interlaced: true) == nil)
        #expect(code(Deflate.compress([0, 1, 0, 2, 9, 3, 0, 4, 5, 6]), interlaced: true)?.code == .badFilter)
    }

    @Test("decoded interlaced pixels land where Adam7 puts them")
    func adam7Placement() throws {
        let data = Deflate.compress([0, 1, 0, 2, 0, 3, 0, 4, 5, 6])
        let image = try PNGReader().read(pngFile([("IHDR", ihdrData(3, 2, depth: 8, type: 0, interlace: 1)), ("IDAT", data), ("IEND", [])])).image
        #expect(image.samples == [1, 3, 2, 4, 5, 6])
    }

    /// Set LCAE_PNG_CHECK_DIR to a directory to have this test decode the PNG files in
    /// LCAE_PNG_CHECK_INPUTS (a directory) and write, for each, the decoded samples (.npy) and the
    /// writer's re-encoding (.rewritten.png), plus writer outputs of synthetic images;
    /// tools/check_png.py compares them all with Pillow.
    @Test("export for tools/check_png.py", .enabled(if: ProcessInfo.processInfo.environment["LCAE_PNG_CHECK_DIR"] != nil))
    func exportForPillow() throws {
        let environment = ProcessInfo.processInfo.environment
        let output = try #require(environment["LCAE_PNG_CHECK_DIR"])
        var images: [(String, RasterImage)] = []
        if let inputs = environment["LCAE_PNG_CHECK_INPUTS"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: inputs).sorted() where name.hasSuffix(".png") {
                let start = ContinuousClock.now
                let decoded = try PNGReader().read(contentsOf: inputs + "/" + name)
                print("decoded \(name) in \(ContinuousClock.now - start)")
                images.append((String(name.dropLast(4)), decoded.image))
            }
        }
        for (width, height) in [(1, 1), (3, 5), (17, 9), (64, 33)] {
            for channels in [1, 3] {
                for bitDepth in [8, 16] {
                    let seed = UInt64(width * 1000 + channels * 10 + bitDepth)
                    images.append(("synthetic-\(width)x\(height)-c\(channels)-\(bitDepth)bit",
                                   try Self.randomImage(width: width, height: height, channels: channels, bitDepth: bitDepth, seed: seed)))
                    images.append(("gradient-\(width)x\(height)-c\(channels)-\(bitDepth)bit",
                                   try Self.gradient(width: width, height: height, channels: channels, bitDepth: bitDepth)))
                }
            }
        }
        for (name, image) in images {
            var data: [UInt8] = []
            for sample in image.samples { withUnsafeBytes(of: sample.littleEndian) { data.append(contentsOf: $0) } }
            try NpyArray(dtype: .uint16, shape: [image.height, image.width, image.channels], data: data)
                .write(to: output + "/" + name + ".npy")
            try PNGWriter().write(image, to: output + "/" + name + ".rewritten.png")
        }
    }
}

// MARK: Building test files

private struct RawChunk: Equatable {
    var type: String
    var data: [UInt8]
}

/// The chunks of a well-formed PNG file (the test's own parse, trusting the file).
private func rawChunks(_ bytes: [UInt8]) -> [RawChunk] {
    var result: [RawChunk] = []
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = Int(bigEndian: bytes, at: offset)
        let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
        result.append(RawChunk(type: type, data: Array(bytes[(offset + 8)..<(offset + 8 + length)])))
        offset += 12 + length
    }
    return result
}

/// File offsets of the chunks `pngFile(_:)` lays out.
private func chunkOffsets(_ chunks: [RawChunk]) -> [Int] {
    var offset = 8
    return chunks.map { chunk in
        defer { offset += 12 + chunk.data.count }
        return offset
    }
}

/// A PNG file of these chunks, with correct lengths and CRCs whatever the chunks say.
private func pngFile(_ chunks: [RawChunk]) -> [UInt8] {
    var bytes = PNGReader.signature
    for chunk in chunks {
        let type = Array(chunk.type.utf8)
        bytes += UInt32(chunk.data.count).bigEndianBytes + type + chunk.data
        bytes += CRC32.checksum(type[...], chunk.data[...]).bigEndianBytes
    }
    return bytes
}

private func pngFile(_ chunks: [(String, [UInt8])]) -> [UInt8] { pngFile(chunks.map { RawChunk(type: $0.0, data: $0.1) }) }

private func ihdrData(_ width: Int, _ height: Int, depth: UInt8 = 8, type: UInt8 = 2,
          compression: UInt8 = 0, filter: UInt8 = 0, interlace: UInt8 = 0) -> [UInt8] {
    UInt32(truncatingIfNeeded: width).bigEndianBytes + UInt32(truncatingIfNeeded: height).bigEndianBytes
        + [depth, type, compression, filter, interlace]
}
