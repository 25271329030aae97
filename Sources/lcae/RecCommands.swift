import ArgumentParser
import Foundation
import LCAE
import LCAEContainer
import LCAEInspect
import LCAENumPy
import LCAEREC
import LCAESupport
import LCAETools

struct RecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rec",
        abstract: "Relative entropy coding of continuous latents (spec/lcae.md chapter 14).",
        subcommands: [RecEncodeCommand.self, RecDecodeCommand.self, RecBenchCommand.self])
}

extension RECMethod: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

/// Reads a float array and gives it the (C, H, W) shape of a latent: (D) is (1, 1, D), (H, W) is (1, H, W).
private func latentShape(_ array: NpyArray) throws -> (Int, Int, Int) {
    switch array.shape.count {
    case 0: return (1, 1, 1)
    case 1: return (1, 1, array.shape[0])
    case 2: return (1, array.shape[0], array.shape[1])
    case 3: return (array.shape[0], array.shape[1], array.shape[2])
    default: throw ValidationError("a latent has at most 3 axes (C, H, W); this array has \(array.shape.count)")
    }
}

struct RecEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Code a sample of a diagonal Gaussian target Q with REC into an .lcae stream.",
        discussion: """
            The prior P is N(0, 1) unless --prior-mean/--prior-std give one value (shared) or one per dimension; \
            it is stored in Q16 (spec §14.3). --mi gives the per-dimension information estimates (bits) that decide \
            blocks and bins (spec §14.6); without it the target's own per-dimension KL is used (then the estimates \
            depend on this target and travel as side information). Prints the index bits (ideal code length, and \
            the stream's 32-bit words), the candidates scored, KL and D∞ in bits.
            """)

    @Option(help: "Target means (.npy).") var mean: String
    @Option(help: "Target standard deviations (.npy).") var std: String
    @Option(help: "Prior means (.npy, one value or one per dimension).") var priorMean: String?
    @Option(help: "Prior standard deviations (.npy, one value or one per dimension).") var priorStd: String?
    @Option(help: "Per-dimension information estimates in bits (.npy).") var mi: String?
    @Option(help: "Bits-per-block budget B (spec §14.6).") var bitsPerBlock: Int
    @Option(help: "Most dimensions per block.") var maxBlockDims = 64
    @Option(help: "pfr, orc, sp-pfr or sp-orc.") var method: RECMethod
    @Option(help: "ORC methods: log2 of the candidates (draws) per block.") var log2Candidates: Int?
    @Option(help: "Exact methods: candidates a block may score before its search gives up.") var maxSteps = 1 << 26
    @Option(help: "Global seed of the shared randomness.") var seed: UInt64 = 0
    @Flag(help: "Print a JSON object (index_bits, stream_bits, steps, kl_bits, dinf_bits, ..., sample).") var json = false
    @Option(name: .shortAndLong, help: "Output .lcae.") var output: String

    func run() throws {
        let meanArray = try NpyArray.read(contentsOf: mean)
        let (c, h, w) = try latentShape(meanArray)
        let m = meanArray.doubleValues()
        let s = try NpyArray.read(contentsOf: std).doubleValues()
        guard let target = GaussianTarget(mean: m, std: s) else {
            throw ValidationError("--mean and --std must have the same count, finite values and positive deviations")
        }
        let pm = try priorMean.map { try NpyArray.read(contentsOf: $0).doubleValues() } ?? [0]
        let ps = try priorStd.map { try NpyArray.read(contentsOf: $0).doubleValues() } ?? [1]
        guard [1, m.count].contains(pm.count), pm.count == ps.count, let prior = RECPrior(mean: pm, std: ps) else {
            throw ValidationError("the prior needs one (mean, std) or one per dimension, |mean| ≤ 16384, 0 < std ≤ 256 (spec §14.3)")
        }
        var info = RECEncoder.information(target, prior)
        if let mi {
            let bits = try NpyArray.read(contentsOf: mi).doubleValues()
            guard bits.count == m.count, bits.allSatisfy({ $0.isFinite }) else { throw ValidationError("--mi needs one finite value per dimension") }
            info = bits.map { UInt16(min(65535, max(0, ($0 * 256).rounded()))) }
        }
        let encoder = RECEncoder(method: method, seed: seed, bitsPerBlock: bitsPerBlock, maxBlockDims: maxBlockDims,
                                 log2Candidates: log2Candidates, maxSteps: maxSteps)
        let start = Date()
        let (container, report) = try encoder.container(target, prior: prior, info: info, channels: c, height: h, width: w)
        let seconds = Date().timeIntervalSince(start)
        let bytes = container.bytes()
        try AtomicFile.write(bytes, to: output)
        // The sample is what a decoder regenerates from the bytes just written.
        let decoded = try LatentDecoder().decodeAll(ContainerReader().read(bytes)).continuous[0].tensor.values
        if json {
            let object: JSONValue = .object([
                ("method", .string(method.description)), ("dimensions", .int(m.count)), ("blocks", .int(report.blocks)),
                ("index_bits", .double(report.indexBits)), ("stream_bits", .int(report.streamBits)), ("steps", .int(report.steps)),
                ("kl_bits", .double(report.klBits)), ("dinf_bits", report.dInfinityBits.isFinite ? .double(report.dInfinityBits) : .null),
                ("certified", .bool(report.certified)), ("bytes", .int(bytes.count)), ("level", .int(Int(container.header.level))),
                ("seconds", .double(seconds)), ("candidates_per_second", .double(Double(report.steps) / max(seconds, 1e-9))),
                ("block_bits", .array(report.blockBits.map { .double($0) })), ("block_steps", .array(report.blockSteps.map { .int($0) })),
                ("sample", .array(decoded.map { .double(Double($0) / 65536) })),
            ])
            print(object.serialized(indent: 2))
        } else {
            print(String(format: "%@: %d dimensions in %d blocks; indices %.2f bits (stream %d bits); %d candidates scored; KL %.2f bits, D∞ %@ bits%@; %d bytes, level %d",
                         method.description, m.count, report.blocks, report.indexBits, report.streamBits, report.steps, report.klBits,
                         report.dInfinityBits.isFinite ? String(format: "%.2f", report.dInfinityBits) : "∞",
                         method.isExact ? (report.certified ? ", exact" : ", NOT certified (step or index cap)") : "",
                         bytes.count, container.header.level))
        }
    }
}

struct RecDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Regenerate the first continuous latent of an .lcae stream as float32 .npy (spec §14.9).")

    @Argument(help: "The .lcae stream.") var stream: String
    @Option(name: .shortAndLong, help: "Output .npy (float32, shape (C, H, W)).") var output: String

    func run() throws {
        do {
            let decoded = try LatentDecoder().decodeAll(ContainerReader().read(contentsOf: stream))
            guard let first = decoded.continuous.first else {
                print("the stream is valid and holds no continuous latent; nothing written")
                return
            }
            let t = first.tensor
            try NpyArray(float32: t.values.map { Float(Double($0) / 65536) }, shape: [t.channels, t.height, t.width]).write(to: output)
            print("\(t.channels) x \(t.height) x \(t.width) values, \(first.chunk.method), \(first.chunk.blockCount) blocks")
        } catch let error as ContainerError {
            printError("error: \(error)")
            throw error.code == .ioError ? ExitStatus.internalError : ExitStatus.nonConformant
        }
    }
}

struct RecBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "REC encoder throughput in candidates per second (medians), per method.",
        discussion: "Run in release mode (swift run -c release lcae rec bench).")

    @Option(help: "Dimensions of the synthetic target.") var dimensions = 5
    @Option(help: "Target strength: larger means more KL.") var scale = 3.0
    @Option(help: "Bits-per-block budget.") var bitsPerBlock = 24
    @Option(help: "ORC: log2 candidates per block (SP-ORC takes what the level leaves after its bins).") var log2Candidates = 16
    @Option(help: "Runs per method; the median is reported.") var repeats = 5
    @Flag(help: "Print JSON records.") var json = false

    func run() throws {
        let bench = RECBenchmark(dimensions: dimensions, repeats: repeats)
        var records: [RECBenchmark.Record] = []
        for method in RECMethod.allCases {
            records.append(try bench.run(method, scale: scale, bitsPerBlock: bitsPerBlock, log2Candidates: method == .orc ? log2Candidates : nil))
        }
        if json {
            print(JSONValue.array(records.map(\.json)).serialized(indent: 2))
        } else {
            print("method   dims  KL bits   candidates  candidates/s (median of \(repeats))")
            for r in records {
                print(r.method.description.padding(toLength: 8, withPad: " ", startingAt: 0)
                      + String(format: " %4d %8.2f %12d %14.0f", r.dimensions, r.klBits, r.candidates, r.candidatesPerSecond))
            }
        }
    }
}
