import LCAEContainer
import LCAESupport

/// The RECC chunk (spec §14.8): how one continuous latent was coded, and its indices.
public struct RECChunk: Equatable, Sendable {
    /// latent_index: the HEAD latent, of kind 2, this chunk codes (spec Table 14-1).
    public var latentIndex: Int
    /// The search and index code (spec Table 14-2).
    public var method: RECMethod
    /// global_seed: the 64-bit seed the block keys derive from (spec §14.4).
    public var seed: UInt64
    /// B: the information budget of a block, in bits (spec §14.6).
    public var bitsPerBlock: Int
    /// m: in-bin indices are below 2^m (spec §14.7).
    public var indexBits: Int
    /// G: the most dimensions in one block (spec §14.6).
    public var maxBlockDims: Int
    /// ρ · 2^16 of the zeta model for the exact methods, 0 for ORC (spec §14.7).
    public var zetaRatio: UInt16
    /// The number of blocks; must equal the count §14.6 gives (spec §14.8).
    public var blockCount: Int
    /// The fixed-point prior P (spec §14.3); shared or per dimension (prior_mode, spec §14.8).
    public var prior: RECPrior
    /// Information estimate per dimension, in 2^-8 bit (spec §14.6).
    public var info: [UInt16]
    /// The index stream (spec §14.7).
    public var words: [UInt32]

    /// Philox4x32-10 with the counters of spec §14.4.
    public static let philox: UInt8 = 1
    /// Bytes of the payload before the prior (spec Table 14-1).
    public static let fixedSize = 22
    /// The largest index_bits m a chunk may carry (spec Table 14-1).
    public static let maxIndexBits = 24

    /// A chunk from its fields, unchecked; a reader checks them as spec §14.8 says.
    public init(latentIndex: Int, method: RECMethod, seed: UInt64, bitsPerBlock: Int, indexBits: Int, maxBlockDims: Int,
                zetaRatio: UInt16, blockCount: Int, prior: RECPrior, info: [UInt16], words: [UInt32]) {
        self.latentIndex = latentIndex
        self.method = method
        self.seed = seed
        self.bitsPerBlock = bitsPerBlock
        self.indexBits = indexBits
        self.maxBlockDims = maxBlockDims
        self.zetaRatio = zetaRatio
        self.blockCount = blockCount
        self.prior = prior
        self.info = info
        self.words = words
    }

    package var layout: RECBlockLayout {
        RECBlockLayout(info: info, bitsPerBlock: bitsPerBlock, maxBlockDims: maxBlockDims, partitioned: method.isPartitioned)
    }

    /// The RECC chunk with its payload laid out as spec Table 14-1.
    public var chunk: Chunk {
        var w = ByteWriter()
        w.u8(UInt8(latentIndex))
        w.u8(method.rawValue)
        w.u8(Self.philox)
        w.u8(prior.isShared ? 0 : 1)
        w.u64(seed)
        w.u8(UInt8(bitsPerBlock))
        w.u8(UInt8(indexBits))
        w.u16(UInt16(maxBlockDims))
        w.u16(zetaRatio)
        w.u32(UInt32(blockCount))
        for (m, s) in zip(prior.mean, prior.std) {
            w.u32(UInt32(bitPattern: m))
            w.u32(s)
        }
        info.forEach { w.u16($0) }
        w.u32(UInt32(words.count))
        words.forEach { w.u32($0) }
        return Chunk(type: .recLatent, payload: w.bytes)
    }

    /// File offsets of the fields later checks report at (spec §9).
    package struct Offsets {
        package var chunk: Int
        package var indexBits: Int
        package var blockCount: Int
        package var words: Int
    }

    /// Parses a RECC payload with the checks of spec §14.8 steps 1 to 5, for a latent of `dimensions` values.
    package static func parse(_ payload: ArraySlice<UInt8>, at chunkOffset: Int, dimensions: Int, limits: ReaderLimits) throws(ContainerError) -> (RECChunk, Offsets) {
        var fields = FieldReader(payload, fileOffset: chunkOffset + 8)
        return try parse(&fields, at: chunkOffset, dimensions: dimensions, limits: limits)
    }

    package static func parse(_ r: inout FieldReader, at chunkOffset: Int, dimensions: Int, limits: ReaderLimits) throws(ContainerError) -> (RECChunk, Offsets) {
        guard r.remaining >= fixedSize else {
            throw ContainerError(.badChunkLength, at: chunkOffset, "RECC payload is \(r.remaining) bytes, at least \(fixedSize) required (spec §14.8)")
        }
        func bad(_ at: Int, _ message: String) -> ContainerError { ContainerError(.badField, at: at, message + " (spec §14.8)") }
        let latentIndex = Int(try r.u8("latent_index"))
        var at = r.offset
        let methodValue = try r.u8("method")
        guard let method = RECMethod(rawValue: methodValue) else { throw bad(at, "method \(methodValue) is not 0 to 3") }
        r.describeLast("\(methodValue) (\(method))")
        at = r.offset
        let prng = try r.u8("prng")
        guard prng == philox else { throw bad(at, "prng \(prng) is not 1 (Philox4x32-10)") }
        r.describeLast("1 (Philox4x32-10)")
        at = r.offset
        let priorMode = try r.u8("prior_mode")
        guard priorMode <= 1 else { throw bad(at, "prior_mode \(priorMode) is not 0 or 1") }
        r.describeLast(priorMode == 0 ? "0 (shared)" : "1 (per dimension)")
        let seed = try r.u64("global_seed")
        at = r.offset
        let bitsPerBlock = Int(try r.u8("bits_per_block"))
        guard bitsPerBlock >= 1 else { throw bad(at, "bits_per_block must be at least 1") }
        let indexBitsAt = r.offset
        let indexBits = Int(try r.u8("index_bits"))
        guard indexBits <= maxIndexBits else { throw bad(indexBitsAt, "index_bits \(indexBits) is above \(maxIndexBits)") }
        at = r.offset
        let maxBlockDims = Int(try r.u16("max_block_dims"))
        guard maxBlockDims >= 1 else { throw bad(at, "max_block_dims must be at least 1") }
        at = r.offset
        let zetaRatio = try r.u16("zeta_ratio")
        guard method.isExact ? zetaRatio >= 1 : zetaRatio == 0 else {
            throw bad(at, "zeta_ratio \(zetaRatio) must be \(method.isExact ? "at least 1" : "0") for \(method)")
        }
        let blockCountAt = r.offset
        let blockCount = Int(try r.u32("block_count"))
        guard blockCount <= limits.maxRecBlocks else {
            throw ContainerError(.limitExceeded, at: blockCountAt, "\(blockCount) blocks, above max_rec_blocks = \(limits.maxRecBlocks) (spec §8, §14.8)")
        }
        let entries = priorMode == 0 ? 1 : dimensions
        // D ≤ max_latent_values ≤ 2^30 (HEAD's check), so these sizes cannot overflow.
        let fixedEnd = fixedSize + 8 * entries + 2 * dimensions + 4
        guard r.remaining + fixedSize >= fixedEnd else {
            throw ContainerError(.badChunkLength, at: chunkOffset, "RECC payload is \(r.remaining + fixedSize) bytes, a \(dimensions)-dimension latent needs at least \(fixedEnd) (spec §14.8)")
        }
        // word_count follows the prior and the estimates; the whole length is checked before anything is allocated.
        var peek = r.reader
        _ = try peek.bytes(fixedEnd - 4 - fixedSize, "prior and info")
        let wordCount = Int(try peek.u32("word_count"))
        guard r.remaining + fixedSize == fixedEnd + 4 * wordCount else {
            throw ContainerError(.badChunkLength, at: chunkOffset, "RECC payload is \(r.remaining + fixedSize) bytes; with word_count \(wordCount) it must be \(fixedEnd + 4 * wordCount) (spec §14.8)")
        }
        var means: [Int32] = []
        var stds: [UInt32] = []
        means.reserveCapacity(entries)
        stds.reserveCapacity(entries)
        for e in 0..<entries {
            at = r.offset
            let mean = Int32(bitPattern: try r.u32(entries == 1 ? "prior_mean" : "prior[\(e)].mean"))
            guard abs(Int64(mean)) <= RECPrior.maxAbsMean else { throw bad(at, "prior mean \(mean) is outside ±2^30") }
            r.describeLast("\(mean) (\(Double(mean) / 65536))")
            at = r.offset
            let std = try r.u32(entries == 1 ? "prior_std" : "prior[\(e)].std")
            guard std >= 1 && std <= RECPrior.maxStd else { throw bad(at, "prior std \(std) is outside 1 … 2^24") }
            r.describeLast("\(std) (\(Double(std) / 65536))")
            means.append(mean)
            stds.append(std)
        }
        var info: [UInt16] = []
        info.reserveCapacity(dimensions)
        let infoAt = r.offset
        for _ in 0..<dimensions { info.append(try r.reader.u16("info")) }
        r.append(Field(name: "info", offset: infoAt, size: 2 * dimensions, value: Self.summary(info)))
        _ = try r.u32("word_count")
        let wordsAt = r.offset
        var words: [UInt32] = []
        words.reserveCapacity(wordCount)
        for _ in 0..<wordCount { words.append(try r.reader.u32("words")) }
        r.append(Field(name: "words", offset: wordsAt, size: 4 * wordCount, value: "\(wordCount) words"))
        // Every value was range-checked above.
        guard let prior = RECPrior(mean: means, std: stds) else { throw bad(chunkOffset, "prior out of range") }
        let chunk = RECChunk(latentIndex: latentIndex, method: method, seed: seed, bitsPerBlock: bitsPerBlock, indexBits: indexBits,
                             maxBlockDims: maxBlockDims, zetaRatio: zetaRatio, blockCount: blockCount, prior: prior, info: info, words: words)
        return (chunk, Offsets(chunk: chunkOffset, indexBits: indexBitsAt, blockCount: blockCountAt, words: wordsAt))
    }

    static func summary(_ info: [UInt16]) -> String {
        let total = info.reduce(0) { $0 + Int($1) }
        return "\(info.count) estimates, \(Double(total) / 256) bits in all"
    }

    /// Every check of spec §14.8 on a RECC payload at file offset `chunkOffset` (of its length
    /// field), and the Q16 values it regenerates (spec §14.9): a payload reader for tools and fuzzers.
    public static func decode(payload: ArraySlice<UInt8>, at chunkOffset: Int = 0, dimensions: Int, limits: ReaderLimits) throws(ContainerError) -> [Int32] {
        let (chunk, offsets) = try parse(payload, at: chunkOffset, dimensions: dimensions, limits: limits)
        return try decode(chunk, offsets, limits: limits)
    }

    /// The latent a RECC chunk codes, checked and regenerated as spec §14.8 steps 6 to 8 and §14.9 say.
    package static func decode(_ chunk: RECChunk, _ offsets: Offsets, limits: ReaderLimits) throws(ContainerError) -> [Int32] {
        let layout = chunk.layout
        guard layout.blocks.count == chunk.blockCount else {
            throw ContainerError(.badField, at: offsets.blockCount, "block_count \(chunk.blockCount), but the information estimates give \(layout.blocks.count) blocks (spec §14.6, §14.8)")
        }
        for b in layout.blocks.indices {
            let needed = layout.binBits(b) + chunk.indexBits
            guard needed <= limits.maxLog2Candidates else {
                throw ContainerError(.limitExceeded, at: offsets.indexBits, "block \(b) indexes 2^\(needed) candidates, above max_log2_candidates = \(limits.maxLog2Candidates) (spec §8, §14.8)")
            }
        }
        let blockBits = layout.blocks.map { layout.bits[$0] }
        let messages = try ZetaIndexCode.decode(chunk.words, at: offsets.words, blockBits: blockBits, exact: chunk.method.isExact,
                                                indexBits: chunk.indexBits, zetaRatio: chunk.zetaRatio)
        var values: [Int32] = []
        values.reserveCapacity(chunk.info.count)
        for (b, (block, message)) in zip(layout.blocks, messages).enumerated() {
            let generator = SharedCandidates.blockGenerator(seed: chunk.seed, block: b)
            var intervals = [UInt32](repeating: 0, count: block.count)
            var next = message.intervals.makeIterator()
            for (t, d) in block.enumerated() where layout.bits[d] > 0 {
                intervals[t] = next.next() ?? 0
            }
            let bin = SharedCandidates.bin(intervals, bits: layout.bits[block])
            values += SharedCandidates.values(generator, bin: bin, index: message.index, intervals: intervals, dimensions: block,
                                              bits: layout.bits, prior: chunk.prior)
        }
        return values
    }
}
