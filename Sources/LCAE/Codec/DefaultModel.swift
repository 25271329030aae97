import Foundation

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

    /// Both default models, for decoders that take whatever a stream is bound to.
    public static func all() throws(ContainerError) -> [Model] {
        [try load(.rgb), try load(.grey)]
    }
}
