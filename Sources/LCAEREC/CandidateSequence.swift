/// The candidates a block's search visits, one at a time (spec §14.4, §14.5, §14.10): with a
/// partition, each candidate's intervals are drawn from the reweighted prior and its index is
/// the count of earlier candidates in the same bin; without one, every candidate is in bin 0 and
/// its index is its position. Both searches (ORC and PFR) take their candidates from here, so
/// they name them the same way the decoder does.
struct CandidateSequence {
    let target: BlockTarget
    let partition: SpacePartition
    let partitioned: Bool
    /// The intervals of the last candidate, one per dimension.
    private(set) var intervals: [UInt32]
    private var counts: [UInt32: UInt32] = [:]
    private var drawn: UInt32 = 0

    init(_ target: BlockTarget, partition: SpacePartition) {
        self.target = target
        self.partition = partition
        partitioned = target.bits.contains { $0 > 0 }
        intervals = [UInt32](repeating: 0, count: target.count)
    }

    /// The next candidate: the log of its bin's weight (0 without a partition), its bin and its
    /// index in the bin.
    mutating func next<G: RandomNumberGenerator>(_ rng: inout G) -> (logWeight: Double, bin: UInt32, index: UInt32) {
        let logWeight = partitioned ? partition.draw(&rng, into: &intervals) : 0
        let bin = SharedCandidates.bin(intervals, bits: target.bits[...])
        let index: UInt32
        if partitioned {
            index = counts[bin, default: 0]
            counts[bin] = index &+ 1
        } else {
            index = drawn
        }
        drawn &+= 1
        return (logWeight, bin, index)
    }
}
