import Foundation
@testable import LCAE
@testable import LCAEContainer
@testable import LCAEPNG
import Testing

/// `lcae encode`, `decode` and `round-trip` through the executable (README's first command).
@Suite("lcae encode, decode and round-trip")
struct ImageCommandTests {
    @Test("encode then decode a grey and an RGB PNG: the decoded PNG is what the encoder reported, hashes checked")
    func encodeDecode() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let images = [ImageStreamTests.crop(ImageStreamTests.photo, x: 120, y: 70, width: 35, height: 21),
                      ImageStreamTests.crop(ImageStreamTests.greyPhoto, x: 200, y: 150, width: 18, height: 33)]
        for (i, image) in images.enumerated() {
            try PNGWriter().write(image, to: path("in\(i).png"))
            let encode = try Fixtures.runLCAE(["encode", path("in\(i).png"), "-o", path("s\(i).lcae"), "--quality", "80", "--rdoq", "--json"])
            #expect(encode.status == 0, "\(encode.error)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(encode.output.utf8)) as? [String: Any])
            let decode = try Fixtures.runLCAE(["decode", path("s\(i).lcae"), "-o", path("out\(i).png")])
            #expect(decode.status == 0, "\(decode.error)")
            #expect(decode.output.contains("latent hash and image hash match"))
            let decoded = try PNGReader().read(contentsOf: path("out\(i).png")).image
            let size = try FileManager.default.attributesOfItem(atPath: path("s\(i).lcae"))[.size] as? Int
            #expect(report["bytes"] as? Int == size)
            let psnr = try #require(report["psnr"] as? Double)
            #expect(abs(psnr - decoded.psnr(image)) < 1e-9)
            #expect(decoded.width == image.width && decoded.height == image.height && decoded.channels == image.channels)
        }
    }

    @Test("round-trip prints bits per pixel and PSNR; options out of range and damaged streams end with their status")
    func roundTripAndErrors() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try PNGWriter().write(ImageStreamTests.crop(ImageStreamTests.photo, x: 0, y: 0, width: 20, height: 20), to: path("in.png"))
        let trip = try Fixtures.runLCAE(["round-trip", path("in.png"), "--quality", "40", "-o", path("t")])
        #expect(trip.status == 0, "\(trip.error)")
        #expect(trip.output.contains("bits per pixel") && trip.output.contains("PSNR") && trip.output.contains("hashes checked"))
        #expect(FileManager.default.fileExists(atPath: path("t.lcae")) && FileManager.default.fileExists(atPath: path("t.png")))
        #expect(try Fixtures.runLCAE(["encode", path("in.png"), "-o", path("x.lcae"), "--quality", "101"]).status != 0)
        #expect(try Fixtures.runLCAE(["encode", path("in.png"), "-o", path("x.lcae"), "--quality", "50", "--lambda", "3"]).status != 0)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("t.lcae"))))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path("bad.lcae")))
        let bad = try Fixtures.runLCAE(["decode", path("bad.lcae"), "-o", path("bad.png")])
        #expect(bad.status == 2 && !bad.signalled)
        #expect(!FileManager.default.fileExists(atPath: path("bad.png")))
    }

    @Test("decode-latents --write-tables writes the table set a latent was decoded with: the default model's set its CREF names, a referenced file's bytes")
    func writeTables() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try PNGWriter().write(ImageStreamTests.crop(ImageStreamTests.photo, x: 40, y: 30, width: 48, height: 40), to: path("in.png"))
        #expect(try Fixtures.runLCAE(["encode", path("in.png"), "-o", path("s.lcae"), "--quality", "60"]).status == 0)
        let decode = try Fixtures.runLCAE(["decode-latents", path("s.lcae"), "-o", path("y.npy"), "--write-tables", path("t.tbl")])
        #expect(decode.status == 0, "\(decode.error)")
        let written = try TableFile.read(contentsOf: path("t.tbl"))
        let reference = try #require(try ContainerReader().read(contentsOf: path("s.lcae")).chunks.first { $0.type == .tableReference })
        #expect(Array(reference.payload.dropFirst()) == written.sha256, "the file holds the set the stream's CREF names")
        // The written set codes the latent again, referenced, and decodes it back.
        #expect(try Fixtures.runLCAE(["encode-latents", path("y.npy"), "--tables", path("t.tbl"), "--placement", "referenced", "-o", path("r.lcae")]).status == 0)
        #expect(try Fixtures.runLCAE(["decode-latents", path("r.lcae"), "--tables", path("t.tbl"), "-o", path("y2.npy")]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path("y2.npy"))) == Data(contentsOf: URL(fileURLWithPath: path("y.npy"))))
        // A referenced table file comes back byte for byte.
        let chelsea = try Fixtures.runLCAE(["decode-latents", Fixtures.path("samples/latents/chelsea-crop-referenced.lcae"), "--tables",
                                            Fixtures.path("samples/latents/dct16.tbl"), "-o", path("c.npy"), "--write-tables", path("c.tbl")])
        #expect(chelsea.status == 0, "\(chelsea.error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path("c.tbl"))) == Data(contentsOf: URL(fileURLWithPath: Fixtures.path("samples/latents/dct16.tbl"))))
    }
}
