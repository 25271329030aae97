/// The split of a continuous latent into blocks and of each block's dimensions into intervals
/// (spec §14.6), computed from fields every decoder has: the information estimates, the
/// bits-per-block budget and the block size cap. Integer arithmetic only.
package struct RECBlockLayout: Equatable, Sendable {
    /// The dimensions of each block, consecutive runs in dimension order.
    package private(set) var blocks: [Range<Int>]
    /// p_d: dimension d is split into 2^p_d intervals of equal prior mass (0 … 16).
    package private(set) var bits: [UInt8]
    /// Σ info / 256 of each block, floored: its share of the information in whole bits.
    package private(set) var informationBits: [Int]

    package static let maxIntervalBits = 16

    package init(info: [UInt16], bitsPerBlock: Int, maxBlockDims: Int, partitioned: Bool) {
        let budget = 256 * bitsPerBlock
        var blocks: [Range<Int>] = []
        var sums: [Int] = []
        var start = 0
        var sum = 0
        for (d, value) in info.enumerated() {
            if d > start && (sum + Int(value) > budget || d - start == maxBlockDims) {
                blocks.append(start..<d)
                sums.append(sum)
                (start, sum) = (d, 0)
            }
            sum += Int(value)
        }
        if !info.isEmpty {
            blocks.append(start..<info.count)
            sums.append(sum)
        }
        var bits = [UInt8](repeating: 0, count: info.count)
        if partitioned {
            for (block, sum) in zip(blocks, sums) {
                Self.allocate(sum / 256, info: info, block: block, bits: &bits)
            }
        }
        self.blocks = blocks
        self.bits = bits
        self.informationBits = sums.map { $0 / 256 }
    }

    /// Hands out `total` interval bits one at a time to the position whose estimate most exceeds
    /// what it already has; a dimension estimated below half a bit is never split (spec §14.6).
    private static func allocate(_ total: Int, info: [UInt16], block: Range<Int>, bits: inout [UInt8]) {
        for _ in 0..<total {
            var best: Int?
            var bestGap = Int.min
            for d in block where info[d] >= 128 && Int(bits[d]) < maxIntervalBits {
                let gap = Int(info[d]) - 256 * Int(bits[d])
                if gap > bestGap { (best, bestGap) = (d, gap) }
            }
            guard let best else { return }
            bits[best] += 1
        }
    }

    /// P_b: log2 of the number of bins of block b.
    package func binBits(_ block: Int) -> Int {
        blocks[block].reduce(0) { $0 + Int(bits[$1]) }
    }
}
