import Foundation

/// The spec sheet of one conformance stream (spec §13.2): what the stream is for and what a
/// conforming decoder must produce, or which error it must report.
package struct SpecSheet: Codable, Sendable, Equatable {
    package struct Expected: Codable, Sendable, Equatable {
        /// True for a valid stream; false for one a decoder must refuse.
        package var valid: Bool
        /// For an invalid stream: the error code a reader must report (spec Table 9-1).
        package var error: String?
        /// For a valid stream: header fields, as `lcae inspect --json` names them.
        package var header: [String: JSONScalar]?
        /// For a valid stream: SHA-256 of each decoded integer latent (spec §12.7), in latent order.
        package var latentSHA256: [String]?
        /// For a valid image stream: SHA-256 of the decoded samples (spec §16.3); null when the
        /// stream holds no image.
        package var imageSHA256: String?

        enum CodingKeys: String, CodingKey {
            case valid, error, header
            case latentSHA256 = "latent_sha256"
            case imageSHA256 = "image_sha256"
        }
    }

    package var purpose: String
    package var features: [String]
    package var profile: Int
    package var level: Int
    package var expected: Expected
    /// Table files the stream may reference, relative to the sheet's directory.
    package var tables: [String]
    /// Model files (spec §15.1) an image stream may be bound to besides the default models,
    /// relative to the sheet's directory; absent when there are none.
    package var models: [String]?
    /// The command that produced the stream.
    package var command: String

    package static let fileName = "spec.json"
    package static let streamName = "stream.lcae"
    /// A case whose subject is a model file instead of a stream (spec §13.2).
    package static let modelName = "model.lcaem"
}

/// A JSON number, string, bool or null, for header fields in spec sheets.
package enum JSONScalar: Codable, Sendable, Equatable, CustomStringConvertible {
    case int(Int)
    case string(String)
    case bool(Bool)
    case null

    package init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else { self = .string(try c.decode(String.self)) }
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .null: try c.encodeNil()
        }
    }

    package var description: String {
        switch self {
        case .int(let i): String(i)
        case .string(let s): s
        case .bool(let b): String(b)
        case .null: "null"
        }
    }
}
