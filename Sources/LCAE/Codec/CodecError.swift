/// Errors of the image codec layer that are not about a stream's bytes (those are
/// `ContainerError`s): a model that cannot do what was asked, an image it cannot take,
/// options out of range.
public struct CodecError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unsupportedModel
        case unsupportedImage
        case badOption
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
