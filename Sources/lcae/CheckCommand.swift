import ArgumentParser
import Foundation
import LCAE
import LCAEContext
import LCAEInspect
import LCAEModel
import LCAESupport
import LCAETools

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check conformance: streams, model files, or conformance cases (directories with spec.json and stream.lcae or model.lcaem).",
        discussion: """
            Exit status: 0 every case passed; 1 a case failed (the decoder did not do what its sheet says); \
            2 a bare stream does not conform; 3 internal error. See spec/lcae.md chapter 13.
            """)

    @Argument(help: "Streams, model files, case directories, or directories of cases (searched recursively).") var paths: [String]
    @Option(help: "Write a JSON report here.") var json: String?
    @Option(help: "Another decoder to run on every case, as 'COMMAND ARGS...' (contract in spec §13.4).") var decoder: String?
    @Option(help: "Table files bare streams may reference (repeatable).") var tables: [String] = []
    @Option(help: "Model files image streams may be bound to, besides the default models (repeatable).") var model: [String] = []
    @Flag(name: .shortAndLong, help: "Print passing cases too.") var verbose = false

    func run() throws {
        let available: [ContextTables]
        let models: [ConformanceRun.ModelFile]
        do {
            available = try tables.map { try TableFile.read(contentsOf: $0) }
            models = try ConformanceRun.ModelFile.defaults() + model.map { try ConformanceRun.ModelFile.read($0) }
        } catch {
            printError("error: cannot read tables or models: \(error)")
            throw ExitStatus.internalError
        }
        let runner = ConformanceRun(externalDecoder: decoder.map { $0.split(separator: " ").map(String.init) }, tables: available,
                                    models: models)
        let results = paths.flatMap(ConformanceRun.cases(under:)).map(runner.run)
        var counts: [ConformanceRun.Status: Int] = [:]
        for result in results {
            counts[result.status, default: 0] += 1
            if result.status == .pass {
                if verbose { print("pass  \(result.path): \(result.message)") }
                continue
            }
            print("\(result.status.rawValue)  \(result.path)")
            print("    \(result.message)")
            if let offset = result.offset { print("    at byte \(offset)" + (result.clause.map { ", spec \($0)" } ?? "")) }
            print("    look closer: \(result.inspectCommand)")
        }
        let summary = "\(counts[.pass] ?? 0) passed, \(counts[.fail] ?? 0) failed"
            + ((counts[.nonConformant] ?? 0) > 0 ? ", \(counts[.nonConformant] ?? 0) non-conformant" : "")
            + ((counts[.internalError] ?? 0) > 0 ? ", \(counts[.internalError] ?? 0) internal errors" : "")
        print(summary)
        if let json {
            let report = JSONValue.object([
                ("schema", .string("lcae-check/1")),
                ("passed", .int(counts[.pass] ?? 0)), ("failed", .int(counts[.fail] ?? 0)),
                ("non_conformant", .int(counts[.nonConformant] ?? 0)), ("internal_errors", .int(counts[.internalError] ?? 0)),
                ("results", .array(results.map(\.json))),
            ])
            try AtomicFile.write(Array(report.serialized(indent: 2).utf8), to: json)
        }
        if (counts[.internalError] ?? 0) > 0 { throw ExitStatus.internalError }
        if (counts[.fail] ?? 0) > 0 { throw ExitCode(1) }
        if (counts[.nonConformant] ?? 0) > 0 { throw ExitStatus.nonConformant }
    }
}
