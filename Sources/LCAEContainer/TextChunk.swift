import LCAESupport

/// The tEXT chunk: a keyword and a UTF-8 value, ancillary and repeatable (spec §7.3).
///
/// It never changes what a decoder outputs; encoders record their name and
/// settings in it.
public struct TextChunk: Equatable, Sendable {
    /// The keyword: 1 to 79 printable ASCII characters without spaces (spec §7.3).
    public var keyword: String
    /// The value, UTF-8 text (spec §7.3).
    public var value: String

    /// A text entry, unchecked; a reader checks the keyword when it parses one.
    public init(keyword: String, value: String) {
        self.keyword = keyword
        self.value = value
    }

    static let maxKeywordLength = 79

    /// Parses a tEXT payload (spec §7.3).
    public static func parse(_ payload: ArraySlice<UInt8>, fileOffset: Int) throws(ContainerError) -> TextChunk {
        guard let nul = payload.firstIndex(of: 0) else {
            throw ContainerError(.badField, at: fileOffset, "tEXT has no NUL after its keyword (spec §7.3)")
        }
        let keyword = payload[payload.startIndex..<nul]
        guard (1...maxKeywordLength).contains(keyword.count), keyword.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw ContainerError(.badField, at: fileOffset, "tEXT keyword must be 1 to 79 printable ASCII characters without spaces (spec §7.3)")
        }
        let valueBytes = payload[(nul + 1)...]
        guard let value = String(validating: valueBytes, as: UTF8.self) else {
            throw ContainerError(.badField, at: fileOffset + keyword.count + 1, "tEXT value is not valid UTF-8 (spec §7.3)")
        }
        return TextChunk(keyword: String(decoding: keyword, as: UTF8.self), value: value)
    }

    /// The tEXT chunk: keyword, a zero byte, then the value (spec §7.3).
    public var chunk: Chunk {
        Chunk(type: .text, payload: Array(keyword.utf8) + [0] + Array(value.utf8))
    }
}
