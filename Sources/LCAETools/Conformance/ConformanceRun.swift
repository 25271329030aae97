import Crypto
import Foundation
import LCAE
import LCAEContainer
import LCAEContext
import LCAEInspect
import LCAEModel
import LCAENumPy
import LCAESupport

/// Runs conformance cases (spec §13.3): a directory with `spec.json` and `stream.lcae` (or
/// `model.lcaem`) is a case; a bare `.lcae` file is checked on its own (it must conform and
/// match its hash chunks), a bare `.lcaem` model file must parse (spec §15.1–§15.3).
package struct ConformanceRun: Sendable {
    /// A model file and what it holds: image streams are decoded with the model they bind,
    /// and an external decoder is given its path (spec §13.4).
    package struct ModelFile: Sendable {
        package var path: String
        package var model: CodecModel

        package init(path: String, model: CodecModel) {
            self.path = path
            self.model = model
        }

        package static func read(_ path: String) throws(ContainerError) -> ModelFile {
            ModelFile(path: path, model: try CodecModel.read(contentsOf: path))
        }

        /// The package's default models (spec §15.7), from its resources.
        package static func defaults() throws(ContainerError) -> [ModelFile] {
            try [StreamHeader.ColourFormat.rgb, .grey].map { colour throws(ContainerError) in
                ModelFile(path: DefaultModel.resourcePath(colour) ?? "", model: try DefaultModel.load(colour))
            }
        }
    }

    package enum Status: String, Sendable {
        /// The stream behaved as its sheet says (or, bare, conforms).
        case pass
        /// The decoder's behaviour differs from the sheet.
        case fail
        /// A bare stream that does not conform.
        case nonConformant
        /// The case itself could not be run (unreadable sheet or files).
        case internalError
    }

    package struct Result: Sendable {
        package var path: String
        package var status: Status
        package var message: String
        package var offset: Int?
        package var clause: String?
        package var expectedError: String?
        package var actualError: String?

        /// The command that shows the stream's fields around the failure.
        package var inspectCommand: String { "lcae inspect \(streamPath) -v" }
        var streamPath: String

        package var json: JSONValue {
            .object([
                ("path", .string(path)), ("status", .string(status.rawValue)), ("message", .string(message)),
                ("offset", offset.map { .int($0) } ?? .null), ("clause", clause.map { .string($0) } ?? .null),
                ("expected_error", expectedError.map { .string($0) } ?? .null),
                ("actual_error", actualError.map { .string($0) } ?? .null),
                ("inspect", .string(inspectCommand)),
            ])
        }
    }

    /// Another decoder, run as `command... --tables T... --model M... -o OUT.npy STREAM` (spec §13.4).
    package var externalDecoder: [String]?
    /// Tables for bare streams.
    package var tables: [ContextTables]
    /// Models every stream may be bound to (the default ones and those given); a case adds
    /// the models its sheet names.
    package var models: [ModelFile]

    package init(externalDecoder: [String]? = nil, tables: [ContextTables] = [], models: [ModelFile] = []) {
        self.externalDecoder = externalDecoder
        self.tables = tables
        self.models = models
    }

    /// The cases under `path`: the directory itself if it holds a sheet, else its case
    /// directories and `.lcae` files, recursively, in name order.
    package static func cases(under path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [path] }
        if !isDirectory.boolValue { return [path] }
        if FileManager.default.fileExists(atPath: path + "/" + SpecSheet.fileName) { return [path] }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        return entries.flatMap { entry -> [String] in
            let full = path + "/" + entry
            var directory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &directory), directory.boolValue { return cases(under: full) }
            return entry.hasSuffix(".lcae") || entry.hasSuffix(".lcaem") ? [full] : []
        }
    }

    package func run(_ path: String) -> Result {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return FileManager.default.fileExists(atPath: path + "/" + SpecSheet.modelName) ? runModelCase(path) : runCase(path)
        }
        return path.hasSuffix(".lcaem") ? runBareModel(path) : runBare(path)
    }

    /// A bare model file must parse (spec §15.1–§15.3).
    private func runBareModel(_ path: String) -> Result {
        do {
            let model = try CodecModel.read(contentsOf: path)
            return Result(path: path, status: .pass, message: "a model file that conforms: \(model.latentChannels) latent channels, "
                          + "\(model.synthesis.count) synthesis layers, \(model.tableSets.count) table sets", streamPath: path)
        } catch {
            return Result(path: path, status: error.code == .ioError ? .internalError : .nonConformant, message: error.message,
                          offset: error.offset, clause: Self.clause(error.message), actualError: error.code.rawValue, streamPath: path)
        }
    }

    /// A case whose subject is a model file: it must parse, or be refused with the sheet's code.
    private func runModelCase(_ directory: String) -> Result {
        let modelPath = directory + "/" + SpecSheet.modelName
        let sheet: SpecSheet
        let bytes: [UInt8]
        do {
            sheet = try JSONDecoder().decode(SpecSheet.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/" + SpecSheet.fileName)))
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: modelPath)))
        } catch {
            return Result(path: directory, status: .internalError, message: "cannot read the case: \(error)", streamPath: modelPath)
        }
        var result = Result(path: directory, status: .pass, message: "", expectedError: sheet.expected.error, streamPath: modelPath)
        do {
            _ = try CodecModel.parse(bytes)
            if sheet.expected.valid {
                result.message = "the model file parses"
            } else {
                result.status = .fail
                result.message = "an invalid model file was accepted; expected \(sheet.expected.error ?? "an error")"
            }
        } catch {
            result.offset = error.offset
            result.clause = Self.clause(error.message)
            result.actualError = error.code.rawValue
            if sheet.expected.valid {
                result.status = .fail
                result.message = "a valid model file was refused: \(error.code.rawValue): \(error.message)"
            } else if let expected = sheet.expected.error, expected != error.code.rawValue {
                result.status = .fail
                result.message = "refused with \(error.code.rawValue) (\(error.message)); the sheet expects \(expected)"
            } else {
                result.message = "refused with \(error.code.rawValue) at byte \(error.offset), as expected: \(error.message)"
            }
        }
        return result
    }

    /// The spec clause an error message cites, such as "§15.2", or nil.
    package static func clause(_ message: String) -> String? {
        guard let range = message.range(of: #"§[0-9]+(\.[0-9]+)*"#, options: .regularExpression) else { return nil }
        return String(message[range])
    }

    private func runBare(_ path: String) -> Result {
        let bytes: [UInt8]
        do {
            bytes = try ContainerReader.load(path, limits: Level.highest)
        } catch {
            return Result(path: path, status: error.code == .ioError ? .internalError : .nonConformant, message: error.message,
                          offset: error.offset, actualError: error.code.rawValue, streamPath: path)
        }
        let outcome = StreamCheck(tables: tables, models: models.map(\.model)).run(bytes)
        if let error = outcome.error {
            return Result(path: path, status: .nonConformant, message: error.message, offset: error.offset,
                          clause: outcome.clause, actualError: error.code.rawValue, streamPath: path)
        }
        return Result(path: path, status: .pass, message: "conforms; \(outcome.latentSHA256.count) latent(s)"
                      + (outcome.imageSHA256 == nil ? "" : " and the image") + " decoded and their hashes checked", streamPath: path)
    }

    private func runCase(_ directory: String) -> Result {
        let streamPath = directory + "/" + SpecSheet.streamName
        func internalError(_ message: String) -> Result {
            Result(path: directory, status: .internalError, message: message, streamPath: streamPath)
        }
        let sheet: SpecSheet
        let bytes: [UInt8]
        var caseTables: [ContextTables] = tables
        var caseModels: [ModelFile] = models
        do {
            sheet = try JSONDecoder().decode(SpecSheet.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/" + SpecSheet.fileName)))
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: streamPath)))
            for table in sheet.tables {
                caseTables.append(try TableFile.read(contentsOf: directory + "/" + table))
            }
            for model in sheet.models ?? [] {
                caseModels.append(try ModelFile.read(directory + "/" + model))
            }
        } catch {
            return internalError("cannot read the case: \(error)")
        }
        let outcome = StreamCheck(tables: caseTables, models: caseModels.map(\.model)).run(bytes)
        var result = compare(sheet, outcome, directory, streamPath)
        if result.status == .pass, let externalDecoder {
            // The external decoder is given the model the stream binds, when there is one (spec §13.4).
            let bound = outcome.header?.modelHash
            let modelPaths = caseModels.filter { bound != nil && $0.model.sha256 == bound }.prefix(1).map(\.path)
            result = compareExternal(externalDecoder, sheet, directory, streamPath, modelPaths: Array(modelPaths))
        }
        return result
    }

    private func compare(_ sheet: SpecSheet, _ outcome: StreamCheck.Outcome, _ directory: String, _ streamPath: String) -> Result {
        var result = Result(path: directory, status: .pass, message: "", offset: outcome.error?.offset, clause: outcome.clause,
                            expectedError: sheet.expected.error, actualError: outcome.error?.code.rawValue, streamPath: streamPath)
        if sheet.expected.valid {
            if let error = outcome.error {
                result.status = .fail
                result.message = "a valid stream was refused: \(error.code.rawValue): \(error.message)"
                return result
            }
            if let expected = sheet.expected.latentSHA256, expected != outcome.latentSHA256 {
                result.status = .fail
                result.message = "decoded latents hash to \(outcome.latentSHA256), the sheet says \(expected)"
                return result
            }
            for (key, value) in sheet.expected.header ?? [:] {
                let actual = outcome.header.map { Inspection.headerScalar($0, key) } ?? .null
                if actual != value {
                    result.status = .fail
                    result.message = "header field \(key) is \(actual), the sheet says \(value)"
                    return result
                }
            }
            if sheet.expected.imageSHA256 != outcome.imageSHA256 {
                result.status = .fail
                result.clause = "§16.4"
                result.message = "the decoded image hashes to \(outcome.imageSHA256 ?? "nothing (no image)"), the sheet says "
                    + (sheet.expected.imageSHA256 ?? "null (no image)")
                return result
            }
            result.message = "decoded; \(outcome.latentSHA256.count) latent hash(es)"
                + (outcome.imageSHA256 == nil ? "" : " and the image hash") + " match the sheet"
        } else {
            guard let error = outcome.error else {
                result.status = .fail
                result.message = "an invalid stream was accepted; expected \(sheet.expected.error ?? "an error")"
                return result
            }
            if let expected = sheet.expected.error, expected != error.code.rawValue {
                result.status = .fail
                result.message = "refused with \(error.code.rawValue) (\(error.message)); the sheet expects \(expected)"
                return result
            }
            result.message = "refused with \(error.code.rawValue) at byte \(error.offset), as expected: \(error.message)"
        }
        return result
    }

    /// Runs the external decoder on the case and compares its output or error with the sheet.
    private func compareExternal(_ command: [String], _ sheet: SpecSheet, _ directory: String, _ streamPath: String,
                                 modelPaths: [String]) -> Result {
        var result = Result(path: directory, status: .pass, message: "", streamPath: streamPath)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lcae-check-\(UUID().uuidString).npy").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = Process()
        // Through env, so that a command name is looked up on PATH as a shell would.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command + sheet.tables.flatMap { ["--tables", directory + "/" + $0] }
            + modelPaths.flatMap { ["--model", $0] } + ["-o", output, streamPath]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            result.status = .internalError
            result.message = "cannot run \(command[0]): \(error)"
            return result
        }
        let errorText = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let reported = errorText.split(separator: "\n").first.flatMap { line -> String? in
            guard line.hasPrefix("error: ") else { return nil }
            return line.dropFirst(7).split(separator: " ").first.map(String.init)
        }
        if sheet.expected.valid, let expected = sheet.expected.imageSHA256 {
            // An image: (height, width, channels) samples, u1 or <u2, whose bytes are what iHSH hashes (spec §13.4, §16.3).
            guard process.terminationStatus == 0, let array = try? NpyArray.read(contentsOf: output),
                  array.dtype == .uint8 || array.dtype == .uint16, array.shape.count == 3 else {
                result.status = .fail
                result.message = "the external decoder did not write an image for a valid image stream: \(errorText.prefix(200))"
                return result
            }
            let hash = Array(SHA256.hash(data: array.data)).map(hex2).joined()
            if hash != expected {
                result.status = .fail
                result.message = "the external decoder's image hashes to \(hash), the sheet says \(expected)"
                return result
            }
            result.message = "the external decoder's image matches the sheet"
        } else if sheet.expected.valid {
            guard process.terminationStatus == 0, let array = try? NpyArray.read(contentsOf: output),
                  let tensor = try? LatentTensor.tensors(from: array).first else {
                result.status = .fail
                result.message = "the external decoder refused a valid stream: \(errorText.prefix(200))"
                return result
            }
            let hash = LatentChunk.hash(tensor).map(hex2).joined()
            if let expected = sheet.expected.latentSHA256?.first, expected != hash {
                result.status = .fail
                result.message = "the external decoder's latent hashes to \(hash), the sheet says \(expected)"
                return result
            }
            result.message = "the external decoder's latent matches the sheet"
        } else {
            if process.terminationStatus == 0 {
                result.status = .fail
                result.message = "the external decoder accepted an invalid stream"
            } else if let expected = sheet.expected.error, reported != expected {
                result.status = .fail
                result.message = "the external decoder reported \(reported ?? "no code"); the sheet expects \(expected)"
            } else {
                result.message = "the external decoder refused it with \(reported ?? "?"), as expected"
            }
            result.expectedError = sheet.expected.error
            result.actualError = reported
        }
        return result
    }
}

extension Inspection {
    /// A header field as `lcae inspect --json` names it, for spec sheets.
    static func headerScalar(_ header: StreamHeader, _ key: String) -> JSONScalar {
        guard case .object(let members) = json(header), let value = members.first(where: { $0.0 == key })?.1 else { return .null }
        switch value {
        case .int(let i): return .int(i)
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        default: return .null
        }
    }
}
