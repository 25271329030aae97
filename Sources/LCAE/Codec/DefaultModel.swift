import Crypto
import Foundation
import LCAEContainer
import LCAEModel
import LCAESupport

/// The models shipped in the package (spec §15.7): a 16 × 16 block transform for RGB and one
/// for grey, trained by `lcae train-model` on `samples/images/`, with their table sets.
public enum DefaultModel {
    public static func resourcePath(_ colour: Header.ColourFormat) -> String? {
        Bundle.module.url(forResource: colour == .grey ? "default-grey" : "default-rgb", withExtension: "lcaem", subdirectory: "Resources")?.path
    }

    public static func load(_ colour: Header.ColourFormat) throws(ContainerError) -> Model {
        guard colour != .none, let path = resourcePath(colour) else {
            throw ContainerError(.ioError, at: 0, "the package's default \(colour) model is missing from its resources")
        }
        return try Model.read(contentsOf: path)
    }

    /// The default model whose file has SHA-256 `hash` (spec §7.1.3), or nil; only that one
    /// is parsed, so that a decoder does not pay for the other.
    public static func model(sha256 hash: [UInt8]) throws(ContainerError) -> Model? {
        for colour in [Header.ColourFormat.rgb, .grey] {
            guard let path = resourcePath(colour) else { continue }
            var limits = Level.highest
            limits.maxPayloadBytes = Model.maxFileSize
            limits.maxChunks = 0
            let bytes = try ContainerReader.load(path, limits: limits)
            if Array(SHA256.hash(data: bytes)) == hash { return try Model.parse(bytes) }
        }
        return nil
    }

    /// Both default models, for decoders that take whatever a stream is bound to.
    public static func all() throws(ContainerError) -> [Model] {
        [try load(.rgb), try load(.grey)]
    }
}
