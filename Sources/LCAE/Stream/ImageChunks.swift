import Crypto
import LCAEContainer
import LCAEModel
import LCAEPNG
import LCAESupport

/// The payloads of the image chunks (spec chapter 16).
package enum ImageChunk {
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

    /// SHA-256 of the samples as iHSH defines them (spec §16.3): one byte each at bit depth 8,
    /// two (little-endian) at 16. They are serialized a slice at a time, so that the bytes
    /// never exist as one array as large as the image.
    package static func hash(_ image: RasterImage) -> [UInt8] {
        var hasher = SHA256()
        let width = image.bitDepth == 8 ? 1 : 2
        let slice = 1 << 15
        var bytes = [UInt8](repeating: 0, count: slice * width)
        image.samples.withUnsafeBufferPointer { samples in
            bytes.withUnsafeMutableBufferPointer { bytes in
                for start in stride(from: 0, to: samples.count, by: slice) {
                    let part = UnsafeBufferPointer(rebasing: samples[start..<min(start + slice, samples.count)])
                    if width == 1 {
                        for i in 0..<part.count { bytes[i] = UInt8(truncatingIfNeeded: part[i]) }
                    } else {
                        for i in 0..<part.count {
                            bytes[2 * i] = UInt8(truncatingIfNeeded: part[i])
                            bytes[2 * i + 1] = UInt8(truncatingIfNeeded: part[i] >> 8)
                        }
                    }
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<(part.count * width)])))
                }
            }
        }
        return Array(hasher.finalize())
    }

    static func imageHash(_ image: RasterImage) -> Chunk {
        Chunk(type: .imageHash, payload: hash(image)[...])
    }
}
