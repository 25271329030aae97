import LCAESupport

/// Assembles a stream: HEAD from the header, the given chunks, then LEND (spec §6).
public struct ContainerWriter: Sendable {
    /// The header written as HEAD (spec §7.1); its `level` is written as given.
    public var header: StreamHeader
    private var body: [Chunk] = []

    /// A writer with no chunks yet besides HEAD and LEND.
    public init(header: StreamHeader) {
        self.header = header
    }

    /// Appends a chunk between HEAD and LEND. HEAD and LEND themselves are added by `container()`.
    public mutating func append(_ chunk: Chunk) {
        body.append(chunk)
    }

    /// The stream as a `ContainerStream`, checked by reading its bytes back so a writer never emits what a reader refuses.
    public func container() throws(ContainerError) -> ContainerStream {
        let chunks = [Chunk(type: .head, payload: header.payload())] + body + [Chunk(type: .end, payload: [])]
        let candidate = ContainerStream(header: header, chunks: chunks)
        let bytes = candidate.bytes()
        _ = try ContainerReader().read(bytes)
        return candidate
    }

    /// The file bytes.
    public func bytes() throws(ContainerError) -> [UInt8] {
        try container().bytes()
    }

    /// Writes the stream to `path` atomically (spec §6.2).
    public func write(to path: String) throws(ContainerError) {
        try AtomicFile.write(bytes(), to: path)
    }
}
