import ArgumentParser
import Foundation
import LCAE
import LCAEContext
import LCAEInspect
import LCAEModel
import LCAENumPy
import LCAEPNG
import LCAETools

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Entropy-coder throughput: ns/symbol for encode and decode, by lanes, threads and substreams.",
        discussion: """
            Run in release mode (swift run -c release lcae bench). Figures are medians over --repeats runs. \
            tools/bench_constriction.py runs constriction on the same data in the same run and prints the ratios.
            """)

    @Option(help: "Symbols per workload.") var symbols = 10_000_000
    @Option(help: "Runs per configuration; the median is reported.") var repeats = 5
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 0x4C43_4145
    @Flag(help: "Print an array of JSON records.") var json = false
    @Option(help: "Also write the benchmarked data as .npy files into this directory.") var dump: String?
    @Option(help: "Run only this workload (categorical256, gaussian64, or latents with --latents).") var only: String?
    @Option(help: "Also time context coding of this latent (.npy, shape (C, H, W)); needs --tables.") var latents: String?
    @Option(help: "The table file for --latents.") var tables: String?
    @Option(help: "Time the image codec on this PNG instead (default model, --quality, --threads).") var image: String?
    @Option(help: "Quality for --image.") var quality = 75
    @Option(help: "Threads for --image.") var threads = 1
    @Option(help: "The model for --image (default: the default model for the image's colours).") var model: String?
    @Flag(help: "With --image: also time the synthesis and analysis networks on every kernel path this CPU runs.") var networks = false

    func run() throws {
        if let image {
            return try runCodec(image)
        }
        let bench = EntropyBenchmark(symbols: symbols, repeats: repeats, seed: seed)
        var records: [EntropyBenchmark.Record] = []
        if let latents {
            guard let tables else { throw ValidationError("--latents needs --tables") }
            let tensors = try LatentTensor.tensors(from: NpyArray.read(contentsOf: latents))
            guard let tensor = tensors.first, tensors.count == 1 else { throw ValidationError("--latents takes one (C, H, W) latent") }
            records += try bench.runLatents(tensor, tables: TableFile.read(contentsOf: tables)) { printError($0) }
        }
        let names = only.map { [$0] } ?? ["categorical256", "gaussian64"]
        for name in names where name != "latents" {
            guard let workload = try bench.workload(named: name) else {
                throw ValidationError("no workload named \(name); use categorical256 or gaussian64")
            }
            if let dump { try write(workload, to: dump) }
            records += try bench.run(workload) { printError($0) }
        }
        if json {
            print(JSONValue.array(records.map(\.json)).serialized(indent: 2))
        } else {
            print("case            op      lanes threads substreams  ns/symbol  bits/symbol  cross-entropy")
            for r in records {
                print(String(format: "%-15@ %-7@ %5d %7d %10d %10.2f %12.5f %14.5f",
                             r.caseName as NSString, r.op as NSString, r.lanes, r.threads, r.substreams,
                             r.nsPerSymbol, r.bitsPerSymbol, r.crossEntropyBits))
            }
        }
    }

    private func runCodec(_ path: String) throws {
        let image = try PNGReader().read(contentsOf: path).image
        let model = try self.model.map { try CodecModel.read(contentsOf: $0) } ?? DefaultModel.load(image.channels == 1 ? .grey : .rgb)
        let encoder = ImageEncoder(model: model, step: Quality.step(quality))
        let bench = CodecBenchmark(repeats: repeats, threads: threads)
        let records = try bench.run(image, encoder: encoder, models: [model])
        print("\(path): \(image.width)×\(image.height), quality \(quality), \(threads) thread(s), median of \(repeats)")
        for r in records { print(String(format: "%-30@ %9.2f ms", r.stage as NSString, r.milliseconds)) }
        guard networks else { return }
        var peaks: [KernelPath: Double] = [:]
        for path in KernelPath.supported where path != .scalar {
            peaks[path] = CodecBenchmark.int16Peak(path)
            print(String(format: "int16 multiply-add peak, one core, %@: %.1f G/s", path.description, peaks[path] ?? 0))
        }
        for r in try bench.runNetworks(image, encoder: encoder) {
            let share = r.network == "synthesis" ? String(format: ", %.0f %% of the int16 peak per thread", 100 * r.gigaMultiplyAddsPerSecond
                                                              / Double(threads) / (peaks[r.path] ?? .infinity)) : ""
            print(String(format: "%-9@ %-12@ %9.2f ms %8.2f G multiply-adds/s (%.2f G)%@", r.network as NSString, r.path.description as NSString,
                         r.milliseconds, r.gigaMultiplyAddsPerSecond, Double(r.multiplyAdds) / 1e9, share))
        }
    }

    private func write(_ workload: EntropyBenchmark.Workload, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let prefix = directory + "/" + workload.name
        let models = workload.models.models
        let k = models[0].symbolCount
        try NpyArray(uint32: models.flatMap(\.frequencies), shape: models.count == 1 ? [k] : [models.count, k])
            .write(to: prefix + "_freqs.npy")
        try NpyArray(int32: workload.symbols).write(to: prefix + "_symbols.npy")
        if let index = workload.modelIndex {
            try NpyArray(int32: index.map { Int32($0) }).write(to: prefix + "_index.npy")
            try NpyArray(float64: workload.gaussianParameters.flatMap { [$0.0, $0.1] }, shape: [models.count, 2])
                .write(to: prefix + "_params.npy")
        }
    }
}
