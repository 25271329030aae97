import Foundation
@testable import LCAENumPy
import Testing

/// `lcae ans` and `lcae chain` through the executable, on constriction's golden vectors.
@Suite("lcae ans and lcae chain")
struct CodingCommandTests {
    @Test("ans encode gives constriction's words; ans decode gives the symbols back")
    func ans() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        var checked = 0
        for (i, v) in ConstrictionVectorTests.vectors.ans_encode.enumerated() where checked < 6 {
            // One model as (K,), or one row per symbol as (N, K) when all rows have the same K.
            let models = v.model_index.map { v.models[$0] }
            let oneModel = v.models.count == 1
            let k = oneModel ? v.models[0].count : models.first?.count ?? 0
            guard oneModel || (!models.isEmpty && models.allSatisfy({ $0.count == k })) else { continue }
            try NpyArray(uint32: oneModel ? models[0] : models.flatMap { $0 }, shape: oneModel ? [k] : [models.count, k])
                .write(to: path("f.npy"))
            try NpyArray(int32: v.symbols).write(to: path("s.npy"))
            let encode = try Fixtures.runLCAE(["ans", "encode", "--freqs", path("f.npy"), "--symbols", path("s.npy"), "-o", path("w.npy")])
            #expect(encode.status == 0, "case \(i): \(encode.error)")
            #expect(try NpyArray.read(contentsOf: path("w.npy")).uint32Values() == v.compressed, "case \(i)")
            let decode = try Fixtures.runLCAE(["ans", "decode", "--freqs", path("f.npy"), "--words", path("w.npy"),
                                               "--count", String(v.symbols.count), "-o", path("d.npy")])
            #expect(decode.status == 0, "case \(i): \(decode.error)")
            #expect(try NpyArray.read(contentsOf: path("d.npy")).int32Values() == v.symbols, "case \(i)")
            checked += 1
        }
        #expect(checked == 6)
    }

    @Test("chain decode and encode reproduce the documentation's bits-back round trip")
    func chain() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let v = ConstrictionVectorTests.vectors.chain_doc_example
        try NpyArray(uint32: v.models.flatMap { $0 }, shape: [3, 201]).write(to: path("f.npy"))
        try NpyArray(uint32: v.side_info).write(to: path("data.npy"))
        let decode = try Fixtures.runLCAE(["chain", "decode", "--freqs", path("f.npy"), "--data", path("data.npy"), "--count", "3",
                                           "-o", path("s.npy"), "--remainders", path("r.npy"), "--sealed"])
        #expect(decode.status == 0, "\(decode.error)")
        #expect(try NpyArray.read(contentsOf: path("s.npy")).int32Values().map { $0 - 100 } == [-3, -20, 1])
        #expect(try NpyArray.read(contentsOf: path("r.npy")).uint32Values() == v.remainders_pair.flatMap { $0 })
        let encode = try Fixtures.runLCAE(["chain", "encode", "--freqs", path("f.npy"), "--symbols", path("s.npy"),
                                           "--remainders", path("r.npy"), "-o", path("back.npy"), "--unseal"])
        #expect(encode.status == 0, "\(encode.error)")
        #expect(try NpyArray.read(contentsOf: path("back.npy")).uint32Values() == v.side_info)
    }

    @Test("bad inputs end with a message and a non-zero status, not a crash")
    func badInputs() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try NpyArray(uint32: [1, 2, 3]).write(to: path("bad-freqs.npy"))
        try NpyArray(int32: [0]).write(to: path("s.npy"))
        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: path("junk.npy")))
        let cases: [[String]] = [
            ["ans", "encode", "--freqs", path("bad-freqs.npy"), "--symbols", path("s.npy"), "-o", path("w.npy")],
            ["ans", "encode", "--freqs", path("junk.npy"), "--symbols", path("s.npy"), "-o", path("w.npy")],
            ["ans", "decode", "--freqs", path("missing.npy"), "--words", path("s.npy"), "--count", "1", "-o", path("w.npy")],
            ["chain", "decode", "--freqs", path("bad-freqs.npy"), "--data", path("s.npy"), "--count", "1", "-o", path("o.npy"), "--remainders", path("r.npy")],
        ]
        for arguments in cases {
            let result = try Fixtures.runLCAE(arguments)
            #expect(result.status != 0 && !result.signalled, "\(arguments)")
            #expect(!result.error.isEmpty)
        }
    }
}
