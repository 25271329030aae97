import LCAEContainer
import LCAEREC
import LCAESupport

extension RECEncoder {
    /// A latent-only stream (no image, one continuous latent of shape C × H × W) at the lowest level that admits it (spec §8.2).
    public func container(_ target: GaussianTarget, prior: RECPrior, info: [UInt16], channels: Int, height: Int, width: Int) throws -> (ContainerStream, Report) {
        let (rec, report) = try encode(target, prior: prior, info: info)
        var header = StreamHeader(coder: .none, precision: 0,
                            latents: [.init(kind: .continuous, channels: channels, height: height, width: width)])
        let chunk = rec.chunk
        var needed = header.requiredLimits
        needed.maxRecBlocks = rec.blockCount
        let layout = rec.layout
        needed.maxLog2Candidates = (layout.blocks.indices.map(layout.binBits).max() ?? 0) + rec.indexBits
        needed.maxChunks = 3
        needed.maxPayloadBytes = StreamHeader.fixedSize + StreamHeader.latentEntrySize + chunk.payload.count
        guard let level = Level.minimum(for: needed) else {
            throw Failure.tooLarge("the stream is larger than level 3 admits (spec §8)")
        }
        header.level = level
        var writer = ContainerWriter(header: header)
        writer.append(chunk)
        return (try writer.container(), report)
    }
}
