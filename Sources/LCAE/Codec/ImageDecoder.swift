import LCAEContainer
import LCAEContext
import LCAEModel
import LCAEPNG
import LCAESupport

/// Decodes an image stream to pixels (spec §16.4): the latent (chapter 12), the latent step,
/// the integer synthesis network of the bound model (chapter 15), then the hash checks.
public struct ImageDecoder: Sendable {
    /// Models a stream may be bound to, found by SHA-256 (spec §7.1.3).
    public var models: [CodecModel]
    /// Tables a CREF may name besides the bound model's own.
    public var tables: [ContextTables]
    /// Threads for the latent's substreams and the synthesis; the output does not depend on it.
    public var threads: Int
    /// The reader's own limits, intersected with the stream's level (spec §8.3).
    public var limits: ReaderLimits

    /// A decoder that knows `models` and `tables`.
    public init(models: [CodecModel], tables: [ContextTables] = [], threads: Int = 1, limits: ReaderLimits = Level.highest) {
        self.models = models
        self.tables = tables
        self.threads = threads
        self.limits = limits
    }

    /// A decoded image stream.
    public struct Decoded: Sendable {
        /// The decoded samples, HEAD's height × width × image channels (spec §16.4).
        public var image: RasterImage
        /// Latent 0, the synthesis input, as decoded (spec §12.6).
        public var latent: LatentDecoder.Decoded
        /// The latent step used: the STEP chunk's, or the model's step 1 without one (spec §16.2).
        public var step: LatentStep
        /// True when an iHSH chunk was present and matched; false when there was none.
        public var imageHashChecked: Bool
    }

    /// Decodes an image stream whose container has been read (spec §16.4).
    ///
    /// Runs the checks of spec §16.1 in order, decodes latent 0 (chapter 12),
    /// runs the synthesis (§15.4) and checks iHSH (§16.3). Throws the first
    /// error as a `ContainerError`: `badField` for a latent-only stream,
    /// `modelMismatch` for a bound model not given or not matching HEAD, and the
    /// codes of §16.1, §16.2, chapter 12 and §16.3.
    public func decode(_ container: ContainerStream) throws(ContainerError) -> Decoded {
        let header = container.header
        guard header.colourFormat != .none else {
            throw ContainerError(.badField, at: Signature.bytes.count + 8 + 13, "the stream holds latents only, no image (spec §16.1)")
        }
        guard let hash = header.modelHash, let model = models.first(where: { $0.sha256 == hash }) else {
            throw ContainerError(.modelMismatch, at: StreamHeader.modelHashOffset, "the stream is bound to model \((header.modelHash ?? []).map(hex2).joined()), which was not given (spec §7.1.3)")
        }
        guard model.colourFormat == header.colourFormat, model.bitDepth == header.bitDepth else {
            throw ContainerError(.modelMismatch, at: StreamHeader.modelHashOffset, "the model makes \(model.colourFormat) \(model.bitDepth)-bit images; HEAD declares \(header.colourFormat) \(header.bitDepth)-bit (spec §16.1)")
        }
        guard let shape = header.latents.first, shape.kind == .integer, shape.channels == model.latentChannels else {
            throw ContainerError(.modelMismatch, at: StreamHeader.latentEntriesOffset, "latent 0 must be an integer latent of the model's \(model.latentChannels) channels (spec §16.1)")
        }
        let synthesis = SynthesisNetwork(model)
        guard let size = synthesis.outputSize(height: shape.height, width: shape.width),
              size.height >= header.height, size.width >= header.width else {
            throw ContainerError(.badField, at: StreamHeader.latentEntriesOffset + 4, "the model's synthesis of a \(shape.width)×\(shape.height) latent does not cover the \(header.width)×\(header.height) image (spec §16.1)")
        }
        // Every tensor is allocated in full: bound them by the level before anything is (spec §16.1).
        let effective = limits.intersection(Level.limits(header.level) ?? limits)
        guard let largest = synthesis.largestTensor(height: shape.height, width: shape.width),
              largest <= 64 * effective.maxPixels else {
            throw ContainerError(.limitExceeded, at: StreamHeader.latentEntriesOffset + 2, "the synthesis of a \(shape.width)×\(shape.height) latent needs a tensor above 64 × max_pixels values (spec §16.1)")
        }
        var step = LatentStep.unit(model)
        var imageHash: ([UInt8], Int)?
        for (chunk, offset) in zip(container.chunks, container.chunkOffsets) {
            if chunk.type == .latentStep {
                step = try ImageChunk.parseStep(chunk, at: offset, channels: shape.channels)
            } else if chunk.type == .imageHash, chunk.payload.count == 32, imageHash == nil {
                imageHash = (Array(chunk.payload), offset + 8)
            }
        }
        // Only the table sets a CREF names are inflated: a model carries dozens. They are checked
        // under the stream's effective limits, and their errors reported at the CREF's sha256
        // field (spec §15.2, §9): an offset in the model file would mean nothing in the stream.
        var modelTables: [ContextTables] = []
        for (chunk, offset) in zip(container.chunks, container.chunkOffsets)
        where chunk.type == .tableReference && chunk.payload.count == 33 {
            do {
                if let found = try model.tables(named: Array(chunk.payload.dropFirst()), limits: effective) { modelTables.append(found) }
            } catch {
                throw ContainerError(error.code, at: offset + 9, "the bound model's table set: \(error.message)")
            }
        }
        let latentDecoder = LatentDecoder(threads: threads, limits: limits, available: modelTables + tables)
        guard let latent = try latentDecoder.decode(container).first(where: { $0.index == 0 }) else {
            throw ContainerError(.missingChunk, at: Signature.bytes.count, "latent 0 has no chunks (spec §12.5)")
        }
        let output = synthesis.run(latent.tensor, step: step, threads: threads)
        let samples = synthesis.samples(output, height: header.height, width: header.width)
        let image = RasterImage(unchecked: header.width, height: header.height, channels: model.colourFormat.channels,
                          bitDepth: model.bitDepth, samples: samples)
        var checked = false
        if let (expected, at) = imageHash {
            guard ImageChunk.hash(image) == expected else {
                throw ContainerError(.hashMismatch, at: at, "the decoded image's SHA-256 differs from iHSH (spec §16.3)")
            }
            checked = true
        }
        return Decoded(image: image, latent: latent, step: step, imageHashChecked: checked)
    }
}
