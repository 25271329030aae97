import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that a crash never leaves a partial file at the destination (spec §6.2).
///
/// The bytes go to a temporary file in the same directory, are flushed to
/// disk, and only then renamed over the destination; rename is atomic within
/// one file system.
public enum AtomicFile {
    /// Writes `bytes` to `path` through a temporary file that is flushed and renamed
    /// over the destination (spec §6.2).
    ///
    /// Throws `ioError` when the temporary file cannot be created, written,
    /// flushed or renamed; the destination is then left as it was.
    public static func write(_ bytes: [UInt8], to path: String) throws(ContainerError) {
        try write(bytes, to: path, beforeRename: {})
    }

    /// `beforeRename` runs after the data is on disk and before the rename; tests make it throw
    /// to show that an interrupted write leaves neither a partial nor a temporary file.
    package static func write(
        _ bytes: [UInt8], to path: String, beforeRename: () throws -> Void
    ) throws(ContainerError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw ContainerError(.ioError, at: 0, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var done = false
        defer {
            if !done { unlink(temporary) }
        }
        var written = 0
        let failure: String? = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += n
            }
            return fsync(fd) == 0 ? nil : String(cString: strerror(errno))
        }
        close(fd)
        if let failure {
            throw ContainerError(.ioError, at: written, "cannot write \(temporary): \(failure)")
        }
        do {
            try beforeRename()
        } catch {
            throw ContainerError(.ioError, at: written, "write to \(path) interrupted: \(error)")
        }
        guard rename(temporary, path) == 0 else {
            throw ContainerError(.ioError, at: 0, "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
        done = true
    }
}
