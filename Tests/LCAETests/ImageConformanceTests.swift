import Foundation
@testable import LCAE
@testable import LCAEContainer
@testable import LCAEModel
@testable import LCAEPNG
@testable import LCAESupport
@testable import LCAETools
import Testing

/// Image streams and model files of the conformance corpus through the checker (spec §13.3),
/// whose expectations come from the independent decoder (tools/lcae_parse.py with
/// tools/lcae_synthesis.py); and the resource limits of image streams and model files: the
/// worst case per limit is refused before anything of its size is allocated (spec §8, §15.5).
@Suite("Image conformance and limits")
struct ImageConformanceTests {
    static let runner = ConformanceRun(models: (try? ConformanceRun.ModelFile.defaults()) ?? [])

    static func corpus(_ relative: String) -> String { Fixtures.path("samples/conformance/" + relative) }

    @Test("image cases behave as their sheets say: default grey and RGB models, the test model, in-band tables, STEP, iHSH",
          arguments: ["valid/image-grey-64x48", "valid/image-grey-1x1", "valid/image-grey-in-band-deflated", "valid/image-rgb-17x9",
                      "valid/test-model-step-per-channel", "valid/test-model-no-step", "valid/test-model-single-gain-shift-31",
                      "valid/test-model-stored-table-set", "invalid/image-model-unknown", "invalid/image-latent-too-small",
                      "invalid/step-twice", "invalid/step-gain-count", "invalid/image-hash-mismatch", "invalid/crc-iHSH",
                      "invalid/image-test-model-not-given", "invalid/image-table-set-above-level"])
    func imageCase(name: String) {
        let result = Self.runner.run(Self.corpus(name))
        #expect(result.status == .pass, "\(name): \(result.message)")
    }

    @Test("a sheet's image hash is compared: a wrong one fails the case")
    func wrongImageHash() throws {
        let directory = try Fixtures.temporaryDirectory()
        let source = Self.corpus("valid/image-grey-1x1")
        try FileManager.default.copyItem(atPath: source + "/stream.lcae", toPath: directory.path + "/stream.lcae")
        var sheet = try JSONDecoder().decode(SpecSheet.self, from: Data(contentsOf: URL(fileURLWithPath: source + "/spec.json")))
        #expect(sheet.expected.imageSHA256 != nil)
        sheet.expected.imageSHA256 = String(repeating: "0", count: 64)
        try JSONEncoder().encode(sheet).write(to: directory.appendingPathComponent("spec.json"))
        let result = Self.runner.run(directory.path)
        #expect(result.status == .fail && result.message.contains("image"))
    }

    @Test("every malformed model file is refused with its sheet's code; the corpus models conform")
    func modelFiles() throws {
        let cases = ConformanceRun.cases(under: Self.corpus("invalid-models"))
        #expect(cases.count >= 30)
        for path in cases + [Self.corpus("models/test-layers.lcaem")] {
            let result = Self.runner.run(path)
            #expect(result.status == .pass, "\(path): \(result.message)")
        }
    }

    /// The grey corpus stream with HEAD's fields changed and its CRC recomputed.
    static func greyStream(_ change: (inout [UInt8]) -> Void) throws -> [UInt8] {
        let container = try ContainerReader().read(Fixtures.bytes("samples/conformance/valid/image-grey-64x48/stream.lcae"))
        var chunks = container.chunks.map { ($0.type.description, Array($0.payload)) }
        change(&chunks[0].1)
        return rawStream(chunks)
    }

    static func decode(_ bytes: [UInt8], models: [CodecModel]) -> ContainerError? {
        do {
            _ = try ImageDecoder(models: models, limits: Level.level1).decode(ContainerReader(limits: Level.level1).read(bytes))
            return nil
        } catch {
            return error
        }
    }

    @Test("an image far larger than its latent's synthesis is refused at latent[0].height before the latent is decoded")
    func imageLargerThanLatent() throws {
        let grey = try DefaultModel.load(.grey)
        let bytes = try Self.greyStream { head in
            head.replaceSubrange(4..<12, with: [0, 16, 0, 0, 0, 16, 0, 0])    // 4096 × 4096: above max_pixels
        }
        #expect(Self.decode(bytes, models: [grey])?.code == .limitExceeded)
        let wide = try Self.greyStream { head in head.replaceSubrange(4..<8, with: [0, 16, 0, 0]) }   // 4096 × 48
        let error = Self.decode(wide, models: [grey])
        #expect(error?.code == .badField && error?.offset == 9 + 8 + 56)
    }

    @Test("a synthesis that would grow beyond 2^20 rows is refused before it runs (spec §15.4.3)")
    func synthesisTooLarge() throws {
        let up = { (cin: Int) in
            Layer.convolution(Layer.Convolution(transposed: true, inChannels: cin, outChannels: 1, kernel: (64, 64), stride: (64, 64),
                                                padding: (0, 0), outputPadding: (0, 0), shift: 0,
                                                weights: Array(repeating: 1, count: cin * 64 * 64), bias: [0]))
        }
        // 3 × 4 latent positions → 192 × 256 → 12288 × 16384 → 786432 × 1048576 → above 2^20.
        let channels = try DefaultModel.load(.grey).latentChannels  // the corpus stream's latent
        let model = CodecModel(colourFormat: .grey, latentChannels: channels, inputFractionBits: 0, outputFractionBits: 0,
                          synthesis: [up(channels), up(1), up(1), up(1)])
        #expect(SynthesisNetwork(model).outputSize(height: 3, width: 4) == nil)
        let bytes = try Self.greyStream { head in head.replaceSubrange(20..<52, with: model.sha256) }
        let error = Self.decode(bytes, models: [model])
        #expect(error?.code == .badField && error?.offset == 9 + 8 + 56)
    }

    /// A model file around `body` (spec §15.1).
    static func modelFile(_ body: [UInt8]) -> [UInt8] {
        var bytes = CodecModel.signature
        withUnsafeBytes(of: UInt32(body.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += body
        withUnsafeBytes(of: CRC32.checksum(body[...]).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    @Test("a layer declaring 2^36 weights in a small file is refused as truncated, before its weights are allocated")
    func hugeLayer() {
        // Grey, 8-bit, 4096 channels; one transposed convolution 4096 → 4096, 64 × 64 kernel.
        var body: [UInt8] = [1, 0, 1, 8, 0, 16, 0, 0, 1]
        body += [2, 0, 16, 0, 16, 64, 64, 64, 64, 0, 0, 0, 0, 0] + Array(repeating: 7, count: 64)
        let start = Date()
        #expect(throws: ContainerError.self) { try CodecModel.parse(Self.modelFile(body)) }
        do {
            _ = try CodecModel.parse(Self.modelFile(body))
        } catch {
            #expect(error.code == .truncated)
        }
        #expect(Date().timeIntervalSince(start) < 1)
    }

    @Test("a model file above 2^28 bytes is refused before it is read")
    func hugeModelFile() throws {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("huge.lcaem").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(CodecModel.signature)))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(CodecModel.maxFileSize + 1))     // sparse: nothing is written
        try handle.close()
        #expect(throws: ContainerError.self) { try CodecModel.read(contentsOf: path) }
        do {
            _ = try CodecModel.read(contentsOf: path)
        } catch {
            #expect(error.code == .limitExceeded && error.offset == 0)
        }
    }
}
