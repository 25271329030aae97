/// What format version 1 says about each chunk type it defines (spec §6, table 6-1).
struct ChunkRule {
    /// At most one chunk of this type in a stream.
    var once: Bool
    /// The exact payload length, for types whose length is fixed.
    var fixedLength: Int?
}

enum ChunkRules {
    static let known: [ChunkType: ChunkRule] = [
        .head: ChunkRule(once: true, fixedLength: nil),
        .end: ChunkRule(once: true, fixedLength: 0),
        .text: ChunkRule(once: false, fixedLength: nil),
        // Chapter 12: once per integer latent, checked by LatentDecoder.
        .tables: ChunkRule(once: false, fixedLength: nil),
        .tableReference: ChunkRule(once: false, fixedLength: 33),
        .activation: ChunkRule(once: false, fixedLength: nil),
        .latentPayload: ChunkRule(once: false, fixedLength: nil),
        .latentHash: ChunkRule(once: false, fixedLength: 33),
        // Chapter 16: the latent step and the image hash.
        .latentStep: ChunkRule(once: true, fixedLength: nil),
        .imageHash: ChunkRule(once: false, fixedLength: 32),
        // Chapter 14: once per continuous latent, checked by LatentDecoder.
        .recLatent: ChunkRule(once: false, fixedLength: nil),
    ]
}
