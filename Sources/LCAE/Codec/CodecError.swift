/// Errors of the image codec layer that are not about a stream's bytes (those are
/// `ContainerError`s): a model that cannot do what was asked, an image it cannot take,
/// options out of range.
public struct CodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of request the codec refused.
    public enum Code: String, Sendable {
        case unsupportedModel
        case unsupportedImage
        case badOption
    }

    /// The kind of refusal.
    public var code: Code
    /// A human explanation.
    public var message: String

    /// Creates an error with `code` and an explanation.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `CODE: MESSAGE`.
    public var description: String { "\(code.rawValue): \(message)" }
}
