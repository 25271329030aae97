import ArgumentParser
import LCAEContainer
import LCAEInspect
import LCAESupport
import LCAETools

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List the chunks of an .lcae file and decode its header.",
        discussion: """
            For every chunk: type, offset, length, critical or ancillary, CRC status. On a broken \
            file it prints everything it could read, then the error with its code and byte offset, \
            and exits with status 2 (3 if the file cannot be read). The JSON layout is versioned \
            (key "schema") and documented in spec/lcae.md §11.
            """
    )

    @Argument(help: "The .lcae file.")
    var file: String

    @Flag(name: .long, help: "Print JSON (schema lcae-inspect/1).")
    var json = false

    @Flag(name: .shortAndLong, help: "Also print every field with its byte offset.")
    var verbose = false

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes = try ContainerReader.load(file, limits: Level.highest)
        } catch {
            printError("error: \(error)")
            throw error.code == .ioError ? ExitStatus.internalError : ExitStatus.nonConformant
        }
        let inspection = Inspection(path: file, bytes: bytes)
        print(json ? inspection.json(verbose: verbose).serialized(indent: 2) : inspection.text(verbose: verbose))
        if !inspection.isValid {
            throw ExitStatus.nonConformant
        }
    }
}
