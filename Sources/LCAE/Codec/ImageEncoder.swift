import Foundation
import LCAEContainer
import LCAEContext
import LCAEModel
import LCAEPNG

/// Encodes an image with a model (spec chapter 16): analysis, quantization at a latent step,
/// optional rate-distortion optimised quantization, then the latent chunks with tables the
/// model carries, the STEP chunk, and the latent and image hashes.
public struct ImageEncoder: Sendable {
    public var model: CodecModel
    /// The latent step Δ: the latent is quantized as round(y / Δ).
    public var step: Double
    public var entropy: CodecModel.TableSet.Kind
    /// Tables fitted elsewhere, carried in-band instead of the model's own.
    public var tables: ContextTables?
    /// Run RDOQ (“Entropy Coding Improvement for Low-complexity Compressive Auto-encoders” §3.2) with this λ, when set.
    public var rdoq: RateDistortionOptimizer?
    public var lanes: Int
    public var substreams: Int
    public var threads: Int

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

    public struct Encoded: Sendable {
        public var container: ContainerStream
        public var latent: LatentTensor
        /// What every conforming decoder reconstructs from the stream.
        public var reconstruction: RasterImage
        public var tables: ContextTables
        public var placement: TablePlacement
        public var latentStep: LatentStep
        public var rdoq: RateDistortionOptimizer.Report?
    }

    /// The model's table set of `kind` fitted nearest to `step` (in ratio), if any.
    public static func tableSet(_ model: CodecModel, kind: CodecModel.TableSet.Kind, step: Double) -> CodecModel.TableSet? {
        model.tableSets.filter { $0.kind == kind }.min { abs(log2($0.step / step)) < abs(log2($1.step / step)) }
    }

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
