import Foundation

/// Writes a line to standard error (progress and diagnostics never go to standard output).
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Lower-case hexadecimal, as `sha256sum` prints a digest.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
