import ArgumentParser

@main
struct LCAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lcae",
        abstract: "Write, read, check and inspect .lcae files, the bitstream of a low-complexity learned image codec.",
        subcommands: [RoundTripCommand.self, EncodeCommand.self, DecodeCommand.self, TrainModelCommand.self, InspectCommand.self, CheckCommand.self, FitCommand.self, EncodeLatentsCommand.self, DecodeLatentsCommand.self, AnsCommand.self, ChainCommand.self, BenchCommand.self, RecCommand.self]
    )
}

/// Exit statuses shared by the commands (spec §11.2): 2 a non-conformant stream, 3 an internal or I/O error.
enum ExitStatus {
    static let nonConformant = ExitCode(2)
    static let internalError = ExitCode(3)
}
