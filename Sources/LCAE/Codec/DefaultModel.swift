import Crypto
import Foundation
import LCAEContainer
import LCAEModel
import LCAESupport

/// The models shipped in the package (spec §15.7): trained nonlinear auto-encoders (four
/// strided convolutions each way, 192 latent channels), one for RGB and one for grey, exported
/// by `tools/make_default_models.py`, with their table sets.
public enum DefaultModel {
    /// The path of the default model file for `colour` (grey, or else RGB) in the package's
    /// resources, or nil when it is missing.
    public static func resourcePath(_ colour: StreamHeader.ColourFormat) -> String? {
        Bundle.module.url(forResource: colour == .grey ? "default-grey" : "default-rgb", withExtension: "lcaem", subdirectory: "Resources")?.path
    }

    /// Reads and parses the default model for `colour` (spec §15.7).
    ///
    /// Throws `ioError` for `.none` or a missing resource, and the model reader's
    /// errors (spec §15.1–§15.3).
    public static func load(_ colour: StreamHeader.ColourFormat) throws(ContainerError) -> CodecModel {
        guard colour != .none, let path = resourcePath(colour) else {
            throw ContainerError(.ioError, at: 0, "the package's default \(colour) model is missing from its resources")
        }
        return try CodecModel.read(contentsOf: path)
    }

    /// The default model whose file has SHA-256 `hash` (spec §7.1.3), or nil; only that one
    /// is parsed, so that a decoder does not pay for the other.
    public static func model(sha256 hash: [UInt8]) throws(ContainerError) -> CodecModel? {
        for colour in [StreamHeader.ColourFormat.rgb, .grey] {
            guard let path = resourcePath(colour) else { continue }
            var limits = Level.highest
            limits.maxPayloadBytes = CodecModel.maxFileSize
            limits.maxChunks = 0
            let bytes = try ContainerReader.load(path, limits: limits)
            if Array(SHA256.hash(data: bytes)) == hash { return try CodecModel.parse(bytes) }
        }
        return nil
    }

    /// Both default models, for decoders that take whatever a stream is bound to.
    public static func all() throws(ContainerError) -> [CodecModel] {
        [try load(.rgb), try load(.grey)]
    }
}
