import Crypto
import Foundation
import LCAE
import LCAEContainer
import LCAEContext
import LCAEModel
import LCAESupport

/// Checks one stream against the whole spec: structure, every semantic constraint, a full
/// decode, and the hash chunks (spec §13.3). The reference decoder is the library itself; an
/// image stream (spec chapter 16) is decoded to pixels with the model it binds.
package struct StreamCheck: Sendable {
    package var limits: ReaderLimits
    package var tables: [ContextTables]
    /// Models an image stream may be bound to (spec §7.1.3): the default ones and any given.
    package var models: [CodecModel]

    package init(limits: ReaderLimits = Level.highest, tables: [ContextTables] = [], models: [CodecModel] = []) {
        self.limits = limits
        self.tables = tables
        self.models = models
    }

    /// What checking one stream found.
    package struct Outcome: Sendable {
        package var header: StreamHeader?
        /// The first error, or nil for a conforming stream.
        package var error: ContainerError?
        /// SHA-256 of each decoded latent in HEAD order, hex (spec §12.7, §14.3).
        package var latentSHA256: [String] = []
        /// SHA-256 of the decoded image (spec §16.3), hex; nil for a stream without an image.
        package var imageSHA256: String?

        /// The spec clause an error message cites, such as "§12.5".
        package var clause: String? { error.flatMap { ConformanceRun.clause($0.message) } }
    }

    package func run(_ bytes: [UInt8]) -> Outcome {
        var outcome = Outcome()
        let scan = ContainerReader(limits: limits).scan(bytes)
        outcome.header = scan.header
        if let error = scan.error {
            outcome.error = error
            return outcome
        }
        do {
            let container = try ContainerReader(limits: limits).read(bytes)
            if container.header.colourFormat != .none {
                let decoded = try ImageDecoder(models: models, tables: tables, limits: limits).decode(container)
                outcome.latentSHA256 = [LatentChunk.hash(decoded.latent.tensor).map(hex2).joined()]
                outcome.imageSHA256 = ImageChunk.hash(decoded.image).map(hex2).joined()
            } else {
                let decoded = try LatentDecoder(limits: limits, available: tables).decodeAll(container)
                outcome.latentSHA256 = decoded.latentSHA256.map { $0.map(hex2).joined() }
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }
}
