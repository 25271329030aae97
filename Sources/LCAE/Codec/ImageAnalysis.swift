import LCAEModel
import LCAEPNG

/// The encoder's path from pixels to an unquantized latent (spec §15.6, informative): pick the
/// smallest latent whose synthesis covers the image, pad the image to the synthesis output
/// size by repeating its last row and column, run the analysis network.
public struct ImageAnalysis: Sendable {
    /// The model whose analysis and synthesis networks this uses.
    public let model: CodecModel
    let synthesis: SynthesisNetwork
    let analysis: AnalysisNetwork

    /// `path` chooses the kernels' instruction set (`KernelPath.best` by default).
    public init(_ model: CodecModel, path: KernelPath = .best) throws(CodecError) {
        guard let analysis = AnalysisNetwork(model, path: path) else {
            throw CodecError(.unsupportedModel, "the model has no analysis network: it can decode, not encode")
        }
        self.model = model
        self.synthesis = SynthesisNetwork(model, path: path)
        self.analysis = analysis
    }

    /// The smallest latent height and width whose synthesis output is at least the image's
    /// (spec §15.6).
    ///
    /// A synthesis's output height depends on the latent's height only, and likewise the width;
    /// an axis whose output is defined at one size is defined at every larger one (up to the
    /// 2^20 cap of §15.4.3). So each axis is searched with the other at the smallest size that
    /// is valid for both. A synthesis of plain convolutions shrinks its input, so the latent
    /// may be larger than the image.
    public func latentSize(height: Int, width: Int) throws(CodecError) -> (height: Int, width: Int) {
        let sizes = 1...(2 * max(height, width) + 256)
        guard let valid = sizes.first(where: { synthesis.outputSize(height: $0, width: $0) != nil }),
              let h = sizes.first(where: { (synthesis.outputSize(height: $0, width: valid)?.height ?? 0) >= height }),
              let w = sizes.first(where: { (synthesis.outputSize(height: valid, width: $0)?.width ?? 0) >= width }) else {
            throw CodecError(.unsupportedModel, "no latent size makes the model's synthesis cover \(width)×\(height)")
        }
        return (h, w)
    }

    /// The continuous latent of an image, channel-major like `LatentTensor`.
    public func latent(_ image: RasterImage, threads: Int = 1) throws(CodecError) -> (values: [Float], height: Int, width: Int) {
        guard image.channels == model.colourFormat.channels else {
            throw CodecError(.unsupportedImage, "a \(image.channels)-channel image for a \(model.colourFormat.channels)-channel model")
        }
        let (h, w) = try latentSize(height: image.height, width: image.width)
        guard let padded = synthesis.outputSize(height: h, width: w) else {
            throw CodecError(.unsupportedModel, "the synthesis output of a \(w)×\(h) latent is undefined")
        }
        let c = image.channels
        var input = [UInt16](repeating: 0, count: padded.height * padded.width * c)
        image.samples.withUnsafeBufferPointer { s in
            for y in 0..<padded.height {
                let sy = min(y, image.height - 1)
                for x in 0..<padded.width {
                    let sx = min(x, image.width - 1)
                    for k in 0..<c { input[(y * padded.width + x) * c + k] = s[(sy * image.width + sx) * c + k] }
                }
            }
        }
        let out = analysis.run(samples: input, channels: c, height: padded.height, width: padded.width, threads: threads)
        guard out.height == h, out.width == w, out.channels == model.latentChannels else {
            throw CodecError(.unsupportedModel, "the analysis gives a \(out.width)×\(out.height) latent where the synthesis needs \(w)×\(h)")
        }
        let plane = h * w
        var planar = [Float](repeating: 0, count: out.values.count)
        for p in 0..<plane {
            for k in 0..<out.channels { planar[k * plane + p] = out.values[p * out.channels + k] }
        }
        return (planar, h, w)
    }

    /// Round to nearest at `step` (ties away from zero), the quantizer without RDOQ.
    public static func quantize(_ latent: [Float], step: Double) -> [Int32] {
        let inverse = Float(1 / step)
        return latent.map { value in
            let r = (value * inverse).rounded()
            // Comparisons with NaN are false: NaN falls through to 0 rather than trapping.
            if r >= 2_147_483_648 { return .max }
            if r <= -2_147_483_648 { return .min }
            return r == r ? Int32(r) : 0
        }
    }
}
