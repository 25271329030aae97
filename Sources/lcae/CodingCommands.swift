import ArgumentParser
import LCAEEntropy
import LCAENumPy

/// Options shared by the interop commands: the frequency table and the precision.
struct ModelOptions: ParsableArguments {
    @Option(help: "uint32 frequencies, shape (K,) for one model or (N, K) for one model per symbol; rows sum to 2^P.")
    var freqs: String

    @Option(help: "Probability precision P in bits (12 to 24).")
    var precision = 24

    func models() throws -> [CategoricalModel] {
        try CategoricalModel.models(frequencies: NpyArray.read(contentsOf: freqs), precision: precision)
    }
}

struct AnsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ans",
        abstract: "Encode and decode with the AnsCoder on NumPy files, word for word as constriction's AnsCoder.",
        subcommands: [Encode.self, Decode.self])

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Encode int32 symbols; writes uint32 words in constriction's order.")
        @OptionGroup var model: ModelOptions
        @Option(help: "int32 symbols, shape (N,).") var symbols: String
        @Option(name: .shortAndLong, help: "Output .npy of uint32 words.") var output: String

        func run() throws {
            let symbols = try NpyArray.read(contentsOf: symbols).int32Values()
            var coder = AnsCoder()
            try coder.encodeReverse(symbols, models: model.models())
            try NpyArray(uint32: try coder.compressed()).write(to: output)
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode N symbols from uint32 words.")
        @OptionGroup var model: ModelOptions
        @Option(help: "uint32 words in constriction's order.") var words: String
        @Option(help: "Number of symbols to decode.") var count: Int
        @Option(name: .shortAndLong, help: "Output .npy of int32 symbols.") var output: String
        @Flag(help: "The words come from outside (constriction's seal=True): any word sequence is accepted.") var sealed = false

        func run() throws {
            let words = try NpyArray.read(contentsOf: words).uint32Values()
            var coder = try AnsCoder(compressed: words, seal: sealed)
            try NpyArray(int32: try coder.decode(count: count, models: model.models())).write(to: output)
        }
    }
}

struct ChainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain",
        abstract: "Bits-back coding with the ChainCoder on NumPy files, as constriction's ChainCoder.",
        subcommands: [Decode.self, Encode.self])

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode N symbols from data; writes the symbols and the concatenated get_remainders() pair.")
        @OptionGroup var model: ModelOptions
        @Option(help: "uint32 data.") var data: String
        @Option(help: "Number of symbols to decode.") var count: Int
        @Option(name: .shortAndLong, help: "Output .npy of int32 symbols.") var output: String
        @Option(help: "Output .npy of uint32 remainders (compressed ++ remainders).") var remainders: String
        @Flag(help: "The data comes from outside (constriction's seal=True).") var sealed = false

        func run() throws {
            let data = try NpyArray.read(contentsOf: data).uint32Values()
            var coder = try ChainCoder(data, seal: sealed, precision: model.precision)
            let symbols = try coder.decode(count: count, models: model.models())
            let pair = coder.remaindersPair()
            try NpyArray(int32: symbols).write(to: output)
            try NpyArray(uint32: pair.compressed + pair.remainders).write(to: remainders)
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encode symbols onto remainders; writes the concatenated get_data() pair.")
        @OptionGroup var model: ModelOptions
        @Option(help: "int32 symbols, shape (N,).") var symbols: String
        @Option(help: "uint32 remainders from 'lcae chain decode'.") var remainders: String
        @Option(name: .shortAndLong, help: "Output .npy of uint32 data (remainders ++ compressed).") var output: String
        @Flag(help: "Remove the seal (the data was decoded with --sealed).") var unseal = false

        func run() throws {
            let symbols = try NpyArray.read(contentsOf: symbols).int32Values()
            let remainders = try NpyArray.read(contentsOf: remainders).uint32Values()
            var coder = try ChainCoder(remainders, isRemainders: true, precision: model.precision)
            try coder.encodeReverse(symbols, models: model.models())
            let pair = try coder.dataPair(unseal: unseal)
            try NpyArray(uint32: pair.remainders + pair.compressed).write(to: output)
        }
    }
}
