import Foundation
@testable import LCAEContainer
@testable import LCAESupport

/// Paths and files shared by the suites.
enum Fixtures {
    /// The repository root, found from this file's path so tests run from any directory.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    /// The container samples written by tools/make_container_samples.py from the spec alone.
    static let containerSamples = ["samples/container/empty-stream.lcae", "samples/container/text-and-unknown-ancillary.lcae"]

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lcae-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The built `lcae` executable, next to the test bundle.
    static var lcaeExecutable: URL {
        var directory = Bundle.main.bundleURL
        if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
        let candidate = directory.appendingPathComponent("lcae")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        return Bundle(for: BundleMarker.self).bundleURL.deletingLastPathComponent().appendingPathComponent("lcae")
    }

    /// Runs `lcae` with arguments; returns exit status, whether it ended by a signal, and standard output.
    static func runLCAE(_ arguments: [String]) throws -> (status: Int32, signalled: Bool, output: String, error: String) {
        let process = Process()
        process.executableURL = lcaeExecutable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal,
                String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

private final class BundleMarker {}

/// Builds a stream from raw chunks, bypassing the writer's checks, for tests of invalid streams.
func rawStream(_ chunks: [(String, [UInt8])], signature: [UInt8] = Signature.bytes) -> [UInt8] {
    var bytes = signature
    for (name, payload) in chunks {
        let type = Array(name.utf8)
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: type)
        bytes.append(contentsOf: payload)
        withUnsafeBytes(of: CRC32.checksum(type[...], payload[...]).littleEndian) { bytes.append(contentsOf: $0) }
    }
    return bytes
}
