import ArgumentParser
import Foundation
import LCAE
import LCAEContainer
import LCAEContext
import LCAEModel
import LCAENumPy
import LCAESupport

struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit context tables to integer latents (.npy, shape (C, H, W) or (N, C, H, W)).",
        discussion: "Floats are rounded to nearest. Writes a table file (spec/lcae.md §12.2.1) and prints the entropy of the training latents under one CDF per channel, spatial contexts (K1) and full contexts (K2).")

    @Argument(help: "Latent .npy files.") var latents: [String]
    @Option(name: .shortAndLong, help: "Output table file.") var output: String
    @Option(help: "Probability precision P (12 to 24).") var precision = 24
    @Option(help: "What a threshold is compared with: deviation (|v − most probable|) or value (v itself, the paper's eq. 3).")
    var measure: MeasureArgument = .deviation
    @Option(help: "Most symbols per table, escape included.") var maxSymbols = 256
    @Flag(help: "Keep channel index order instead of the greedy order.") var noOrder = false
    @Flag(help: "Give every context its channel's marginal CDF (the factorized baseline).") var factorized = false
    @Option(help: "Weight, in values, of a smooth prior added to every histogram, for tables that must serve other latents than these.")
    var generalization = 0.0

    func run() throws {
        var tensors: [LatentTensor] = []
        for path in latents { tensors += try LatentTensor.tensors(from: NpyArray.read(contentsOf: path)) }
        let start = Date()
        guard generalization >= 0, generalization.isFinite else { throw ValidationError("--generalization must be at least 0") }
        var fitter = ContextFitter(precision: precision, measure: measure.value, maxSymbols: maxSymbols, greedyOrder: !noOrder, contexts: !factorized)
        fitter.generalization = generalization
        let (tables, report) = try fitter.fit(tensors)
        try AtomicFile.write(TableFile.bytes(tables), to: output)
        let n = Double(report.values)
        print(String(format: "%d latents, %d values, %d channels, %d tables, fitted in %.2f s", tensors.count, report.values,
                     tables.channelCount, tables.tableCount, Date().timeIntervalSince(start)))
        print(String(format: "bits/value: factorized %.4f, spatial contexts (K1) %.4f, full contexts (K2) %.4f",
                     report.factorized.reduce(0, +) / n, report.spatial.reduce(0, +) / n, report.full.reduce(0, +) / n))
        print("tables: \(output), sha256 \(tables.sha256.map(hex2).joined())")
    }
}

enum MeasureArgument: String, ExpressibleByArgument, CaseIterable {
    case deviation, value
    var value: ContextTables.Measure { self == .deviation ? .deviation : .value }
}

enum PlacementArgument: String, ExpressibleByArgument, CaseIterable {
    case auto, inBand = "in-band", referenced
}

struct EncodeLatentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode-latents",
        abstract: "Code an integer latent (.npy, shape (C, H, W)) into an .lcae stream with context tables.",
        discussion: """
            Without --tables, tables are fitted to the latent and carried in-band. With --tables, \
            --placement auto (the default) codes the latent both with those tables referenced by \
            SHA-256 and with tables fitted to it in-band, and keeps the smaller stream.
            """)

    @Argument(help: "The latent .npy.") var latent: String
    @Option(help: "A table file from 'lcae fit'.") var tables: String?
    @Option(help: "auto, in-band or referenced.") var placement: PlacementArgument = .auto
    @Option(help: "Interleaved rANS lanes: 1, 2, 4 or 8.") var lanes = 4
    @Option(help: "Independently decodable substreams.") var substreams = 1
    @Option(help: "Encoder threads.") var threads = 1
    @Option(name: .shortAndLong, help: "Output .lcae.") var output: String

    func run() throws {
        let tensors = try LatentTensor.tensors(from: NpyArray.read(contentsOf: latent))
        guard tensors.count == 1, let tensor = tensors.first else {
            throw ValidationError("encode-latents takes one latent of shape (C, H, W)")
        }
        let encoder = LatentEncoder(lanes: lanes, substreams: substreams, threads: threads)
        let fitter = ContextFitter()
        let container: ContainerStream
        var note = ""
        if let tables {
            let given = try TableFile.read(contentsOf: tables)
            switch placement {
            case .auto:
                let (best, choice) = try encoder.automatic(tensor, given: given, fitter: fitter)
                container = best
                note = "tables \(choice.placement == .inBand ? "fitted to this latent, in-band" : "referenced"): \(choice.referencedBytes) bytes referenced, \(choice.inBandBytes) in-band"
            case .inBand:
                container = try encoder.container(tensor, tables: given, placement: .inBand)
                note = "tables in-band"
            case .referenced:
                container = try encoder.container(tensor, tables: given, placement: .referenced)
                note = "tables referenced"
            }
        } else {
            guard placement != .referenced else { throw ValidationError("--placement referenced needs --tables") }
            let (own, _) = try fitter.fit([tensor])
            container = try encoder.container(tensor, tables: own, placement: .inBand)
            note = "tables fitted to this latent, in-band"
        }
        let bytes = container.bytes()
        try AtomicFile.write(bytes, to: output)
        print(String(format: "%d values, %d bytes, %.4f bits/value, level %d; %@", tensor.values.count, bytes.count,
                     Double(8 * bytes.count) / Double(max(1, tensor.values.count)), container.header.level, note))
    }
}

struct DecodeLatentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-latents",
        abstract: "Decode the first latent of an .lcae stream to .npy (int32, shape (C, H, W); a continuous latent as its Q16 values).")

    @Argument(help: "The .lcae stream.") var stream: String
    @Option(help: "Table files a stream may reference (repeatable).") var tables: [String] = []
    @Option(help: "Model files whose table sets a stream may reference; the default models always are.") var model: [String] = []
    @Option(help: "Decoder threads.") var threads = 1
    @Option(help: ArgumentHelp("Also write the table set the latent was decoded with, in-band or referenced (such as a table set of the bound model), as a table file.",
                               discussion: "'lcae bench --tables' and 'lcae encode-latents --tables' read it."))
    var writeTables: String?
    @Option(name: .shortAndLong, help: "Output .npy.") var output: String

    func run() throws {
        do {
            let container = try ContainerReader().read(contentsOf: stream)
            var available = try tables.map { try TableFile.read(contentsOf: $0) }
            // A CREF may name a table set of the bound model (spec §15.2).
            if let hash = container.header.modelHash,
               let bound = try (model.map { try CodecModel.read(contentsOf: $0) } + DefaultModel.all()).first(where: { $0.sha256 == hash }) {
                for chunk in container.chunks where chunk.type == .tableReference && chunk.payload.count == 33 {
                    if let found = try bound.tables(named: Array(chunk.payload.dropFirst())) { available.append(found) }
                }
            }
            let all = try LatentDecoder(threads: threads, available: available).decodeAll(container)
            // The external-decoder contract (spec §13.4): the first latent in HEAD order.
            if let rec = all.continuous.first, rec.index < (all.integer.first?.index ?? Int.max) {
                guard writeTables == nil else { throw ValidationError("--write-tables: a continuous latent is not coded with context tables") }
                try rec.tensor.npy.write(to: output)
                print("\(rec.tensor.channels) x \(rec.tensor.height) x \(rec.tensor.width) Q16 values of a continuous latent (\(rec.chunk.method))")
                return
            }
            guard let first = all.integer.first else {
                print("the stream is valid and holds no latent; nothing written")
                return
            }
            try first.tensor.npy.write(to: output)
            if let writeTables {
                try AtomicFile.write(TableFile.bytes(first.tables), to: writeTables)
                print("tables: \(writeTables), sha256 \(first.tables.sha256.map(hex2).joined())")
            }
            print("\(first.tensor.channels) x \(first.tensor.height) x \(first.tensor.width) values, tables \(first.placement == .inBand ? "in-band" : "referenced")"
                  + (first.hashChecked ? ", latent hash verified" : ", no latent hash in the stream"))
        } catch let error as ContainerError {
            printError("error: \(error)")
            throw error.code == .ioError ? ExitStatus.internalError : ExitStatus.nonConformant
        }
    }
}
