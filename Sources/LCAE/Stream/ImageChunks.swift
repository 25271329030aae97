import Crypto

extension ChunkType {
    /// The latent step: how decoded latent values scale into the synthesis input (spec §16.2).
    public static let latentStep = ChunkType(0x53, 0x54, 0x45, 0x50)  // "STEP"
    /// SHA-256 of the decoded image (spec §16.3).
    public static let imageHash = ChunkType(0x69, 0x48, 0x53, 0x48)  // "iHSH"
}

/// The payloads of the image chunks (spec chapter 16).
enum ImageChunk {
    static func step(_ step: LatentStep) -> Chunk {
        var w = ByteWriter()
        w.u8(0)
        w.u8(UInt8(step.shift))
        w.u16(UInt16(step.gains.count))
        step.gains.forEach { w.u32($0) }
        return Chunk(type: .latentStep, payload: w.bytes[...])
    }

    /// Reads a STEP chunk for an image stream whose synthesis input has `channels` channels
    /// (spec §16.2).
    static func parseStep(_ chunk: Chunk, at offset: Int, channels: Int) throws(ContainerError) -> LatentStep {
        var r = ByteReader(chunk.payload, fileOffset: offset + 8)
        guard chunk.payload.count >= 4 else {
            throw ContainerError(.badChunkLength, at: offset, "STEP payload is \(chunk.payload.count) bytes, shorter than its 4-byte header (spec §16.2)")
        }
        var at = r.offset
        guard try r.u8("latent_index") == 0 else {
            throw ContainerError(.badField, at: at, "STEP latent_index must be 0, the synthesis input (spec §16.2)")
        }
        at = r.offset
        let shift = Int(try r.u8("shift"))
        guard shift <= 31 else { throw ContainerError(.badField, at: at, "STEP shift \(shift) is above 31 (spec §16.2)") }
        at = r.offset
        let count = Int(try r.u16("gain_count"))
        guard count == 1 || count == channels else {
            throw ContainerError(.badField, at: at, "STEP gain_count must be 1 or the latent's \(channels) channels, not \(count) (spec §16.2)")
        }
        guard chunk.payload.count == 4 + 4 * count else {
            throw ContainerError(.badChunkLength, at: offset, "STEP with \(count) gains must be \(4 + 4 * count) bytes, not \(chunk.payload.count) (spec §16.2)")
        }
        var gains: [UInt32] = []
        for _ in 0..<count {
            at = r.offset
            let gain = try r.u32("gain")
            guard gain >= 1 else { throw ContainerError(.badField, at: at, "a STEP gain must be at least 1 (spec §16.2)") }
            gains.append(gain)
        }
        return LatentStep(shift: shift, gains: gains)
    }

    static func hash(_ image: Image) -> [UInt8] {
        var bytes = [UInt8]()
        if image.bitDepth == 8 {
            bytes = image.samples.map { UInt8(truncatingIfNeeded: $0) }
        } else {
            bytes.reserveCapacity(2 * image.samples.count)
            for s in image.samples { bytes.append(UInt8(truncatingIfNeeded: s)); bytes.append(UInt8(s >> 8)) }
        }
        return Array(SHA256.hash(data: bytes))
    }

    static func imageHash(_ image: Image) -> Chunk {
        Chunk(type: .imageHash, payload: hash(image)[...])
    }
}
