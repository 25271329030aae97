import Foundation
@testable import LCAETools
import Testing

/// `lcae inspect` as a user runs it: through the executable.
@Suite("lcae inspect")
struct InspectCommandTests {
    @Test("--json prints the documented keys for a valid sample")
    func json() throws {
        let result = try Fixtures.runLCAE(["inspect", Fixtures.path(Fixtures.containerSamples[1]), "--json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "lcae-inspect/1")
        #expect(object["format_version"] as? String == "1.0")
        #expect(object["error"] is NSNull)
        let header = try #require(object["header"] as? [String: Any])
        #expect(header["coder"] as? String == "rans64")
        #expect(header["precision"] as? Int == 24)
        let chunks = try #require(object["chunks"] as? [[String: Any]])
        #expect(chunks.map { $0["type"] as? String } == ["HEAD", "tEXT", "tEXT", "zUNK", "LEND"])
        for chunk in chunks {
            for key in ["type", "offset", "length", "critical", "crc_ok"] {
                #expect(chunk[key] != nil, "chunk lacks \(key)")
            }
        }
        #expect(chunks[3]["critical"] as? Bool == false)
        #expect(chunks[3]["known"] as? Bool == false)
    }

    @Test("-v lists every field with its byte offset")
    func verbose() throws {
        let result = try Fixtures.runLCAE(["inspect", Fixtures.path(Fixtures.containerSamples[0]), "--json", "-v"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let chunks = try #require(object["chunks"] as? [[String: Any]])
        let fields = try #require(chunks.first?["fields"] as? [[String: Any]])
        let offsets = fields.compactMap { $0["offset"] as? Int }
        let sizes = fields.compactMap { $0["size"] as? Int }
        // HEAD's fields tile the chunk from its length field to its CRC without gaps.
        #expect(offsets.first == 9)
        #expect(zip(offsets, sizes).dropLast().map { $0 + $1 } == Array(offsets.dropFirst()))
        #expect(offsets.last.map { $0 + 4 } == 9 + 12 + 52)
    }

    @Test("a broken file: what was read, then the error with code and offset, exit 2")
    func broken() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var bytes = try Fixtures.bytes(Fixtures.containerSamples[1])
        bytes[130] ^= 0x10  // inside the second tEXT payload
        let path = directory.appendingPathComponent("bad.lcae").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try Fixtures.runLCAE(["inspect", path, "--json"])
        #expect(result.status == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? String == "crcMismatch")
        #expect((object["chunks"] as? [[String: Any]])?.count == 3)
        #expect(object["header"] is [String: Any])
    }

    @Test("every prefix and every bit flip makes inspect exit non-zero, never by a signal")
    func damageSweep() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("damaged.lcae").path
        func check(_ bytes: [UInt8], _ what: String) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let result = try Fixtures.runLCAE(["inspect", path])
            #expect(!result.signalled && result.status == 2, "\(what): status \(result.status)")
        }
        for sample in Fixtures.containerSamples {
            let bytes = try Fixtures.bytes(sample)
            for length in 0..<bytes.count {
                try check(Array(bytes.prefix(length)), "\(sample) prefix \(length)")
            }
        }
        // Every flip of the smaller sample through the executable; the library test covers every flip of all samples.
        let bytes = try Fixtures.bytes(Fixtures.containerSamples[0])
        for index in bytes.indices {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[index] ^= UInt8(1 << bit)
                try check(damaged, "flip \(index).\(bit)")
            }
        }
    }

    @Test("a file that cannot be read exits 3")
    func unreadable() throws {
        let result = try Fixtures.runLCAE(["inspect", "/nonexistent/file.lcae"])
        #expect(result.status == 3)
        #expect(result.error.contains("ioError"))
    }
}

/// The conformance corpus through `lcae check` (spec chapter 13).
@Suite("lcae check")
struct CheckCommandTests {
    @Test("every case of samples/conformance passes; the corpus covers every code it is meant to")
    func corpus() throws {
        let result = try Fixtures.runLCAE(["check", Fixtures.path("samples/conformance")])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(" passed, 0 failed"))
        let invalid = Fixtures.path("samples/conformance/invalid")
        var codes = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: invalid) {
            let sheet = try JSONDecoder().decode(SpecSheet.self, from: Data(contentsOf: URL(fileURLWithPath: invalid + "/" + name + "/spec.json")))
            codes.insert(sheet.expected.error ?? "")
        }
        let required: Set<String> = ["badSignature", "truncated", "crcMismatch", "unsupportedCritical", "limitExceeded", "badChunkOrder",
                                     "missingChunk", "trailingData", "badChunkLength", "unsupportedVersion", "badTable", "badPayload",
                                     "badCompression", "modelMismatch", "hashMismatch"]
        #expect(required.isSubset(of: codes), "missing: \(required.subtracting(codes))")
    }

    @Test("a case whose sheet expects another code fails with exit status 1; a bare broken stream exits 2")
    func statuses() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The sheet names its tables as ../../tables/…, so keep that layout.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("invalid"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("samples/conformance/tables"), toPath: directory.appendingPathComponent("tables").path)
        let target = directory.appendingPathComponent("invalid/case").path
        try FileManager.default.copyItem(atPath: Fixtures.path("samples/conformance/invalid/crc-LATP"), toPath: target)
        let sheetPath = target + "/spec.json"
        let edited = try String(contentsOfFile: sheetPath, encoding: .utf8).replacingOccurrences(of: "crcMismatch", with: "truncated")
        try edited.write(toFile: sheetPath, atomically: true, encoding: .utf8)
        let failed = try Fixtures.runLCAE(["check", target])
        #expect(failed.status == 1)
        #expect(failed.output.contains("look closer: lcae inspect"))
        let bare = try Fixtures.runLCAE(["check", target + "/stream.lcae"])
        #expect(bare.status == 2)
        let report = directory.appendingPathComponent("report.json").path
        _ = try Fixtures.runLCAE(["check", target, "--json", report])
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
        #expect(object?["schema"] as? String == "lcae-check/1")
        #expect(object?["failed"] as? Int == 1)
    }

    @Test("lcae decode-latents (latent streams) and lcae decode (image streams) honour the external-decoder contract on the corpus")
    func externalDecoder() throws {
        let cases = ["valid", "invalid"].flatMap { ConformanceRun.cases(under: Fixtures.path("samples/conformance/" + $0)) }
        // An image stream: HEAD's colour_format (file byte 30) is not 0 (spec §16.1, §13.4).
        let isImage = { (directory: String) -> Bool in
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: directory + "/stream.lcae"))) ?? Data()
            return bytes.count > 30 && bytes[30] != 0
        }
        let images = cases.filter(isImage)
        #expect(images.count >= 40)
        for (group, decoder) in [(cases.filter { !isImage($0) }, "decode-latents"), (images, "decode")] {
            let result = try Fixtures.runLCAE(["check"] + group + ["--decoder", Fixtures.lcaeExecutable.path + " " + decoder])
            #expect(result.status == 0, "\(decoder): \(result.output)")
        }
    }
}
