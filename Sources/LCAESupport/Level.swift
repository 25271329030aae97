/// Size bounds that a reader enforces before it allocates anything (spec §8).
///
/// A stream declares a level in HEAD; the reader checks every size against
/// the smaller of that level's limits and the limits the reader was given (spec §8.3).
public struct ReaderLimits: Equatable, Sendable, Codable {
    /// Image width in samples (spec Table 8-1).
    public var maxWidth: Int
    /// Image height in samples (spec Table 8-1).
    public var maxHeight: Int
    /// Width times height of the image.
    public var maxPixels: Int
    /// Channels of any one latent tensor.
    public var maxChannels: Int
    /// Channels times height times width, summed over all latent tensors.
    public var maxLatentValues: Int
    /// Context CDF tables in one stream.
    public var maxTables: Int
    /// Symbols in one CDF table, escape symbol included.
    public var maxSymbolsPerTable: Int
    /// The largest chunk payload, and the largest sum of all chunk payloads.
    public var maxPayloadBytes: Int
    /// Relative-entropy-coded blocks in one stream.
    public var maxRecBlocks: Int
    /// log2 of the number of candidates one REC block may index.
    public var maxLog2Candidates: Int
    /// Chunks in one file, HEAD and LEND included.
    public var maxChunks: Int

    /// Creates limits from the eleven values of spec Table 8-1.
    public init(
        maxWidth: Int, maxHeight: Int, maxPixels: Int, maxChannels: Int, maxLatentValues: Int,
        maxTables: Int, maxSymbolsPerTable: Int, maxPayloadBytes: Int, maxRecBlocks: Int,
        maxLog2Candidates: Int, maxChunks: Int
    ) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxPixels = maxPixels
        self.maxChannels = maxChannels
        self.maxLatentValues = maxLatentValues
        self.maxTables = maxTables
        self.maxSymbolsPerTable = maxSymbolsPerTable
        self.maxPayloadBytes = maxPayloadBytes
        self.maxRecBlocks = maxRecBlocks
        self.maxLog2Candidates = maxLog2Candidates
        self.maxChunks = maxChunks
    }

    /// Field-wise minimum: what holds under both sets of limits.
    public func intersection(_ other: ReaderLimits) -> ReaderLimits {
        ReaderLimits(
            maxWidth: min(maxWidth, other.maxWidth), maxHeight: min(maxHeight, other.maxHeight),
            maxPixels: min(maxPixels, other.maxPixels), maxChannels: min(maxChannels, other.maxChannels),
            maxLatentValues: min(maxLatentValues, other.maxLatentValues),
            maxTables: min(maxTables, other.maxTables),
            maxSymbolsPerTable: min(maxSymbolsPerTable, other.maxSymbolsPerTable),
            maxPayloadBytes: min(maxPayloadBytes, other.maxPayloadBytes),
            maxRecBlocks: min(maxRecBlocks, other.maxRecBlocks),
            maxLog2Candidates: min(maxLog2Candidates, other.maxLog2Candidates),
            maxChunks: min(maxChunks, other.maxChunks))
    }

    /// True when every limit of `self` is within `other`.
    public func fits(within other: ReaderLimits) -> Bool { intersection(other) == self }
}

/// The levels of format version 1 (spec §8, table 8-1).
public enum Level {
    /// Level 1 (spec Table 8-1).
    public static let level1 = ReaderLimits(
        maxWidth: 4096, maxHeight: 4096, maxPixels: 1 << 22, maxChannels: 256, maxLatentValues: 1 << 22,
        maxTables: 1024, maxSymbolsPerTable: 4096, maxPayloadBytes: 1 << 26, maxRecBlocks: 4096,
        maxLog2Candidates: 16, maxChunks: 256)
    /// Level 2 (spec Table 8-1).
    public static let level2 = ReaderLimits(
        maxWidth: 16384, maxHeight: 16384, maxPixels: 1 << 26, maxChannels: 1024, maxLatentValues: 1 << 26,
        maxTables: 4096, maxSymbolsPerTable: 16384, maxPayloadBytes: 1 << 30, maxRecBlocks: 1 << 16,
        maxLog2Candidates: 20, maxChunks: 4096)
    /// Level 3 (spec Table 8-1): the largest, and a reader's default limits (spec §8.3).
    public static let level3 = ReaderLimits(
        maxWidth: 65535, maxHeight: 65535, maxPixels: 1 << 30, maxChannels: 4096, maxLatentValues: 1 << 30,
        maxTables: 16384, maxSymbolsPerTable: 65536, maxPayloadBytes: (1 << 31) - 1, maxRecBlocks: 1 << 20,
        maxLog2Candidates: 24, maxChunks: 65536)

    /// The levels by their HEAD `level` value (spec §7.1, Table 8-1).
    public static let table: [UInt8: ReaderLimits] = [1: level1, 2: level2, 3: level3]

    /// The highest level's limits: a reader's default.
    public static let highest = level3

    /// The limits of `level`, or nil when the value is not a level of version 1 (spec §8.2).
    public static func limits(_ level: UInt8) -> ReaderLimits? { table[level] }

    /// The lowest level whose limits admit `needed` (the writer's choice, spec §8.2), or nil if none does.
    public static func minimum(for needed: ReaderLimits) -> UInt8? {
        table.sorted { $0.key < $1.key }.first { needed.fits(within: $0.value) }?.key
    }
}
