import Foundation
import LCAESupport

/// Codes a continuous latent: searches each block for the candidate that stands for a sample of
/// the target, and writes the RECC chunk (spec §14.8, §14.10).
public struct RECEncoder: Sendable {
    /// The search and index code (spec Table 14-2).
    public var method: RECMethod
    /// global_seed of the chunk (spec §14.4); also seeds the encoder's private randomness.
    public var seed: UInt64
    /// B, bits_per_block, 1 to 255 (spec §14.6).
    public var bitsPerBlock: Int
    /// G, max_block_dims, 1 to 65535 (spec §14.6).
    public var maxBlockDims: Int
    /// m for the ORC methods: 2^m candidates (draws) per block. Default: bits_per_block for ORC,
    /// and for SP-ORC what the highest level leaves after the largest block's bins.
    public var log2Candidates: Int?
    /// Candidates an exact search may score per block before it gives up its certificate.
    public var maxSteps: Int
    /// The limits the stream must fit (the writer then picks the lowest level that admits it).
    public var limits: ReaderLimits

    /// An encoder with the given settings.
    public init(method: RECMethod, seed: UInt64 = 0, bitsPerBlock: Int = 16, maxBlockDims: Int = 64,
                log2Candidates: Int? = nil, maxSteps: Int = 1 << 26, limits: ReaderLimits = Level.highest) {
        self.method = method
        self.seed = seed
        self.bitsPerBlock = bitsPerBlock
        self.maxBlockDims = maxBlockDims
        self.log2Candidates = log2Candidates
        self.maxSteps = maxSteps
        self.limits = limits
    }

    /// What encoding cost and how the search went.
    public struct Report: Sendable {
        /// Ideal code length of all indices in bits (bin indices and in-bin indices).
        public var indexBits: Double
        /// Bits of the index stream as written: 32 × its words.
        public var streamBits: Int
        /// Candidates scored, summed over blocks.
        public var steps: Int
        /// KL[Q ‖ P] in bits, summed over dimensions.
        public var klBits: Double
        /// D∞[Q ‖ P] in bits; infinite when a target dimension is not narrower than its prior.
        public var dInfinityBits: Double
        /// The number of blocks (spec §14.6).
        public var blocks: Int
        /// For the exact methods: every block's search ended by its bound (an exact sample).
        public var certified: Bool
        /// Per block: ideal index bits and steps.
        public var blockBits: [Double]
        /// Per block: candidates scored.
        public var blockSteps: [Int]
        /// Per block: the chosen message (interval numbers and in-bin index).
        package var messages: [ZetaIndexCode.Message]
    }

    /// Information estimates from the target itself (KL per dimension), when no dataset-level estimate is given.
    public static func information(_ target: GaussianTarget, _ prior: RECPrior) -> [UInt16] {
        (0..<target.count).map { d in
            let (mu, sigma) = prior.real(d)
            let kl = GaussianTarget.klBits(mean: target.mean[d], std: target.std[d], priorMean: mu, priorStd: sigma)
            return UInt16(min(65535, max(0, (kl * 256).rounded())))
        }
    }

    /// Why `encode` refused its input.
    public enum Failure: Error, CustomStringConvertible {
        case mismatch(String)
        case tooLarge(String)

        /// The explanation.
        public var description: String {
            switch self {
            case .mismatch(let s), .tooLarge(let s): s
            }
        }
    }

    /// Codes a sample of `target` under `prior` into a RECC chunk for latent `latentIndex`
    /// (spec §14.8, §14.10), with `info` as the chunk's information estimates (spec §14.6).
    ///
    /// Throws `Failure.mismatch` when the counts of target, prior and estimates
    /// differ or the settings are out of range, `Failure.tooLarge` when the blocks
    /// exceed `limits` (max_rec_blocks, max_log2_candidates), and the index code's errors.
    public func encode(_ target: GaussianTarget, prior: RECPrior, info: [UInt16], latentIndex: Int = 0) throws -> (RECChunk, Report) {
        guard info.count == target.count, prior.isShared || prior.mean.count == target.count, target.count >= 1 else {
            throw Failure.mismatch("the target has \(target.count) dimensions, the prior \(prior.mean.count), the estimates \(info.count)")
        }
        guard (1...255).contains(bitsPerBlock), (1...65535).contains(maxBlockDims) else {
            throw Failure.mismatch("bits per block must be 1 to 255 and the block size cap 1 to 65535 (spec §14.8)")
        }
        let layout = RECBlockLayout(info: info, bitsPerBlock: bitsPerBlock, maxBlockDims: maxBlockDims, partitioned: method.isPartitioned)
        guard layout.blocks.count <= limits.maxRecBlocks else {
            throw Failure.tooLarge("\(layout.blocks.count) blocks, above max_rec_blocks = \(limits.maxRecBlocks); raise --bits-per-block")
        }
        let maxBins = layout.blocks.indices.map(layout.binBits).max() ?? 0
        let maxLog2 = min(limits.maxLog2Candidates, RECChunk.maxIndexBits)
        let fixedM = log2Candidates ?? (method == .orc ? bitsPerBlock : max(0, min(bitsPerBlock, maxLog2 - maxBins)))
        if !method.isExact, maxBins + fixedM > maxLog2 {
            throw Failure.tooLarge("blocks of 2^\(maxBins) bins with 2^\(fixedM) candidates exceed max_log2_candidates = \(maxLog2); lower the budget")
        }
        if method.isExact, maxBins >= maxLog2 {
            throw Failure.tooLarge("blocks of 2^\(maxBins) bins leave no room for an in-bin index under max_log2_candidates = \(maxLog2)")
        }
        var choices: [RECBlockChoice] = []
        for (b, block) in layout.blocks.enumerated() {
            let blockTarget = BlockTarget(block: b, dimensions: block, seed: seed, layout: layout, prior: prior, target: target)
            // The private randomness: times, noise and bin draws. Seeded so that runs repeat; never transmitted.
            var rng = SplitMix64(seed: seed ^ (0xD1B5_4A32_D192_ED03 &* UInt64(b + 1)))
            if method.isExact {
                let partition = SpacePartition(blockTarget, weighting: .supremum)
                choices.append(PoissonFunctionalRepresentation.search(
                    blockTarget, partition: partition, maxLog2Index: maxLog2 - layout.binBits(b), maxSteps: maxSteps, rng: &rng))
            } else {
                let partition = SpacePartition(blockTarget, weighting: .targetMass)
                choices.append(OrderedRandomCoding.search(blockTarget, partition: partition, log2Candidates: fixedM, rng: &rng))
            }
        }
        let m = method.isExact ? choices.map { ZetaIndexCode.bitLength(UInt64($0.index)) }.max() ?? 0 : fixedM
        var zetaRatio: UInt16 = 0
        if method.isExact {
            let excess = layout.blocks.enumerated().map { b, block in
                max(0, Double(block.reduce(0) { $0 + Int(info[$1]) }) / 256 - Double(layout.binBits(b)))
            }
            zetaRatio = ZetaIndexCode.ratio(expectedLog2: excess.reduce(0, +) / Double(excess.count))
        }
        let messages = layout.blocks.indices.map { b in
            ZetaIndexCode.Message(intervals: zip(layout.blocks[b], choices[b].intervals).filter { layout.bits[$0.0] > 0 }.map(\.1),
                                  index: choices[b].index)
        }
        let blockBits = layout.blocks.map { layout.bits[$0] }
        let words = try ZetaIndexCode.encode(messages, blockBits: blockBits, exact: method.isExact, indexBits: m, zetaRatio: zetaRatio)
        let chunk = RECChunk(latentIndex: latentIndex, method: method, seed: seed, bitsPerBlock: bitsPerBlock, indexBits: m,
                             maxBlockDims: maxBlockDims, zetaRatio: zetaRatio, blockCount: layout.blocks.count, prior: prior,
                             info: info, words: words)
        let model = method.isExact ? ZetaIndexCode.octaveModel(indexBits: m, zetaRatio: zetaRatio) : nil
        let costs = zip(messages, blockBits).map { ZetaIndexCode.cost($0, bits: $1, exact: method.isExact, indexBits: m, model: model) }
        let (kl, dInf) = target.divergences(prior)
        let report = Report(indexBits: costs.reduce(0, +), streamBits: 32 * words.count, steps: choices.reduce(0) { $0 + $1.steps },
                            klBits: kl, dInfinityBits: dInf, blocks: layout.blocks.count,
                            certified: method.isExact && choices.allSatisfy(\.certified),
                            blockBits: costs, blockSteps: choices.map(\.steps), messages: messages)
        return (chunk, report)
    }
}
