import Crypto
import Foundation

/// Checks one stream against the whole spec: structure, every semantic constraint, a full
/// decode, and the hash chunks (spec §13.3). The reference decoder is the library itself.
public struct StreamCheck: Sendable {
    public var limits: Limits
    public var tables: [ContextTables]

    public init(limits: Limits = Level.highest, tables: [ContextTables] = []) {
        self.limits = limits
        self.tables = tables
    }

    /// What checking one stream found.
    public struct Outcome: Sendable {
        public var header: Header?
        /// The first error, or nil for a conforming stream.
        public var error: ContainerError?
        /// SHA-256 of each decoded latent in HEAD order, hex (spec §12.7, §14.3).
        public var latentSHA256: [String] = []

        /// The spec clause an error message cites, such as "§12.5".
        public var clause: String? {
            guard let message = error?.message, let range = message.range(of: #"§[0-9]+(\.[0-9]+)*"#, options: .regularExpression) else { return nil }
            return String(message[range])
        }
    }

    public func run(_ bytes: [UInt8]) -> Outcome {
        var outcome = Outcome()
        let scan = ContainerReader(limits: limits).scan(bytes)
        outcome.header = scan.header
        if let error = scan.error {
            outcome.error = error
            return outcome
        }
        do {
            let container = try ContainerReader(limits: limits).read(bytes)
            let decoded = try LatentDecoder(limits: limits, available: tables).decodeAll(container)
            outcome.latentSHA256 = decoded.latentSHA256.map { $0.map(hex2).joined() }
        } catch {
            outcome.error = error
        }
        return outcome
    }
}
