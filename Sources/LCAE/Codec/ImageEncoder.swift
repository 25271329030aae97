import Foundation
import LCAEContainer
import LCAEContext
import LCAEModel
import LCAEPNG

/// Encodes an image with a model (spec chapter 16): analysis, quantization at a latent step,
/// optional rate-distortion optimised quantization, then the latent chunks with tables the
/// model carries, the STEP chunk, and the latent and image hashes.
public struct ImageEncoder: Sendable {
    /// The model whose analysis network encodes and whose synthesis the stream binds (spec §7.1.3).
    public var model: CodecModel
    /// The latent step Δ: the latent is quantized as round(y / Δ).
    public var step: Double
    /// Which of the model's table sets to reference when `tables` is nil (spec §15.2).
    public var entropy: CodecModel.TableSet.Kind
    /// Tables fitted elsewhere, carried in-band instead of the model's own.
    public var tables: ContextTables?
    /// Run RDOQ (“Entropy Coding Improvement for Low-complexity Compressive Auto-encoders” §3.2) with this λ, when set.
    public var rdoq: RateDistortionOptimizer?
    /// Lanes of the LATP payload: 1, 2, 4 or 8 (spec §10.5).
    public var lanes: Int
    /// Substreams of the LATP payload (spec §10.6).
    public var substreams: Int
    /// Threads for analysis, RDOQ, coding and synthesis; the stream does not depend on it.
    public var threads: Int

    /// An encoder with the given model, step and options.
    public init(model: CodecModel, step: Double, entropy: CodecModel.TableSet.Kind = .contexts, tables: ContextTables? = nil,
                rdoq: RateDistortionOptimizer? = nil, lanes: Int = 4, substreams: Int = 1, threads: Int = 1) {
        self.model = model
        self.step = step
        self.entropy = entropy
        self.tables = tables
        self.rdoq = rdoq
        self.lanes = lanes
        self.substreams = substreams
        self.threads = threads
    }

    /// An encoded image and what went into it.
    public struct Encoded: Sendable {
        /// The stream: HEAD, STEP, the latent's chunks, iHSH, LEND.
        public var container: ContainerStream
        /// The quantized integer latent the stream codes.
        public var latent: LatentTensor
        /// What every conforming decoder reconstructs from the stream.
        public var reconstruction: RasterImage
        /// The context tables the latent was coded with.
        public var tables: ContextTables
        /// How the tables travel: in-band (CTAB) or referenced (CREF).
        public var placement: TablePlacement
        /// The latent step written in STEP (spec §16.2).
        public var latentStep: LatentStep
        /// The RDOQ report, when RDOQ ran.
        public var rdoq: RateDistortionOptimizer.Report?
    }

    /// The model's table set of `kind` fitted nearest to `step` (in ratio), if any.
    public static func tableSet(_ model: CodecModel, kind: CodecModel.TableSet.Kind, step: Double) -> CodecModel.TableSet? {
        model.tableSets.filter { $0.kind == kind }.min { abs(log2($0.step / step)) < abs(log2($1.step / step)) }
    }

    /// Encodes `image` into an image stream (spec chapter 16) at the lowest level that admits it
    /// (spec §8.2).
    ///
    /// Throws `CodecError` for a step that is not positive, an image whose bit
    /// depth or channels do not match the model, a model without analysis network
    /// or without tables of the chosen kind, or tables of another channel count;
    /// and the container, table and entropy errors of the steps it runs.
    public func encode(_ image: RasterImage, progress: (String) -> Void = { _ in }) throws -> Encoded {
        guard step.isFinite, step > 0 else { throw CodecError(.badOption, "the latent step must be positive, not \(step)") }
        guard image.bitDepth == model.bitDepth else {
            throw CodecError(.unsupportedImage, "a \(image.bitDepth)-bit image for a \(model.bitDepth)-bit model")
        }
        let (chosen, placement): (ContextTables, TablePlacement)
        if let tables {
            (chosen, placement) = (tables, .inBand)
        } else if let set = Self.tableSet(model, kind: entropy, step: step) {
            (chosen, placement) = (try set.tables(channels: model.latentChannels), .referenced)
        } else {
            throw CodecError(.unsupportedModel, "the model carries no \(entropy) tables; give tables to carry in-band")
        }
        guard chosen.channelCount == model.latentChannels else {
            throw CodecError(.badOption, "\(chosen.channelCount)-channel tables for a \(model.latentChannels)-channel model")
        }
        let analysis = try ImageAnalysis(model)
        let continuous = try analysis.latent(image, threads: threads)
        let latentStep = LatentStep.approximating(step, model: model)
        var latent = LatentTensor(channels: model.latentChannels, height: continuous.height, width: continuous.width,
                                  values: ImageAnalysis.quantize(continuous.values, step: latentStep.step(0, model: model)))
        let synthesis = analysis.synthesis
        var report: RateDistortionOptimizer.Report?
        if let rdoq {
            report = try rdoq.optimize(&latent, image: image, synthesis: synthesis, step: latentStep, tables: chosen, threads: threads,
                                         progress: progress)
        }
        let output = synthesis.run(latent, step: latentStep, threads: threads)
        let reconstruction = RasterImage(unchecked: image.width, height: image.height, channels: image.channels, bitDepth: image.bitDepth,
                                   samples: synthesis.samples(output, height: image.height, width: image.width))

        let latentEncoder = LatentEncoder(lanes: lanes, substreams: substreams, threads: threads)
        var body = [ImageChunk.step(latentStep)]
        body += try latentEncoder.chunks(latent, tables: chosen, placement: placement)
        body.append(ImageChunk.imageHash(reconstruction))
        var header = StreamHeader(width: image.width, height: image.height, bitDepth: image.bitDepth, colourFormat: model.colourFormat,
                            coder: .rans64, precision: chosen.precision, modelHash: model.sha256,
                            latents: [.init(kind: .integer, channels: latent.channels, height: latent.height, width: latent.width)])
        header.level = try LatentEncoder.level(header, body, tables: [chosen])
        var writer = ContainerWriter(header: header)
        body.forEach { writer.append($0) }
        return Encoded(container: try writer.container(), latent: latent, reconstruction: reconstruction, tables: chosen,
                       placement: placement, latentStep: latentStep, rdoq: report)
    }
}
