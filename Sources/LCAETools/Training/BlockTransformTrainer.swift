import LCAE
import LCAEContainer
import LCAEContext
import LCAEModel
import LCAEPNG

/// Trains a block-transform model (spec §15.8): a linear auto-encoder whose
/// analysis is one strided convolution and whose synthesis is one transposed convolution, both
/// the Karhunen–Loève transform (PCA) of b × b image blocks, quantized to int16; then fits
/// context tables and factorized tables at a ladder of latent steps.
///
/// Everything is closed form and deterministic: the same images give the same model file,
/// byte for byte, on the same platform.
package struct BlockTransformTrainer: Sendable {
    package var blockSize: Int
    /// Latent steps at which table sets are fitted.
    package var steps: [Double]
    package var precision: Int
    package var threads: Int
    /// Fractional bits of the int16 weights.
    package static let weightBits = 14
    /// The fitter's smooth prior, in values (`ContextFitter.generalization`): a model's tables
    /// code images it was not trained on. On a held-out photograph (coffee.png at quality 50,
    /// tables from two other photographs) it took the latent from 51.3 KB to 25.1 KB, against
    /// 21.0 KB with tables fitted to that latent itself; in-sample it costs about 2 %.
    package static let generalization = 32.0

    package init(blockSize: Int = 16, steps: [Double] = Quality.ladder, precision: Int = 24, threads: Int = 1) {
        self.blockSize = blockSize
        self.steps = steps
        self.precision = precision
        self.threads = threads
    }

    /// What `train` produced, for the report.
    package struct Report: Sendable {
        /// Eigenvalues, descending: the variance each latent channel carries at step 1.
        package var variances: [Double]
        package var blocks: Int
    }

    /// Trains a model for `colour` from 8-bit images, converted to that colour format first
    /// (grey from RGB with the integer BT.601 weights `(77 R + 150 G + 29 B + 128) >> 8`).
    package func train(_ images: [RasterImage], colour: StreamHeader.ColourFormat, progress: (String) -> Void = { _ in }) throws -> (CodecModel, Report) {
        guard colour != .none, !images.isEmpty, blockSize >= 1, blockSize <= CodecModel.maxKernel else {
            throw CodecError(.badOption, "training needs images, grey or RGB, and a block size of 1…\(CodecModel.maxKernel)")
        }
        let training = try images.map { image throws(CodecError) -> RasterImage in
            guard image.bitDepth == 8 else { throw CodecError(.unsupportedImage, "training takes 8-bit images") }
            return Self.convert(image, to: colour)
        }
        let c = colour.channels
        let n = blockSize * blockSize * c
        guard n <= CodecModel.maxChannels else { throw CodecError(.badOption, "\(n) latent channels is above \(CodecModel.maxChannels)") }

        // Per-colour means over the full blocks, then the blocks' second moments about them.
        var blocks: [[Double]] = []
        var sums = [Double](repeating: 0, count: c)
        for image in training {
            for by in 0..<(image.height / blockSize) {
                for bx in 0..<(image.width / blockSize) {
                    var block = [Double](repeating: 0, count: n)
                    for ky in 0..<blockSize {
                        for kx in 0..<blockSize {
                            for k in 0..<c {
                                let v = Double(image.samples[((by * blockSize + ky) * image.width + bx * blockSize + kx) * c + k])
                                block[(ky * blockSize + kx) * c + k] = v
                                sums[k] += v
                            }
                        }
                    }
                    blocks.append(block)
                }
            }
        }
        guard !blocks.isEmpty else { throw CodecError(.unsupportedImage, "no image holds a full \(blockSize)×\(blockSize) block") }
        let means = sums.map { $0 / Double(blocks.count * blockSize * blockSize) }
        progress("\(blocks.count) blocks of \(n) samples")
        var moments = [Double](repeating: 0, count: n * n)
        moments.withUnsafeMutableBufferPointer { m in
            for block in blocks {
                let centred = block.indices.map { block[$0] - means[$0 % c] }
                for i in 0..<n {
                    let ci = centred[i]
                    for j in i..<n { m[i * n + j] += ci * centred[j] }
                }
            }
            for i in 0..<n {
                for j in i..<n {
                    m[i * n + j] /= Double(blocks.count)
                    m[j * n + i] = m[i * n + j]
                }
            }
        }
        progress("eigendecomposition of a \(n)×\(n) matrix")
        let eigen = SymmetricEigen(moments, size: n)
        let model = Self.model(eigen.vectors, means: means, blockSize: blockSize, colour: colour)

        let analysis = try ImageAnalysis(model)
        var sets: [CodecModel.TableSet] = []
        let latents = try training.map { image throws(CodecError) in try analysis.latent(image, threads: threads) }
        for step in steps {
            let tensors = latents.map {
                LatentTensor(channels: n, height: $0.height, width: $0.width, values: ImageAnalysis.quantize($0.values, step: step))
            }
            let stepQ16 = UInt32((step * 65536).rounded())
            for kind in CodecModel.TableSet.Kind.allCases {
                progress("fitting \(kind) tables at step \(step)")
                var fitter = ContextFitter(precision: precision, contexts: kind == .contexts)
                fitter.generalization = Self.generalization
                let (tables, _) = try fitter.fit(tensors)
                sets.append(.init(stepQ16: stepQ16, kind: kind, tables: tables))
            }
        }
        return (model.with(tableSets: sets), Report(variances: eigen.values, blocks: blocks.count))
    }

    /// The transform as a model: synthesis weight (latent k, colour c, ky, kx) = the basis
    /// vector k's entry at that sample, in Q14; the analysis is its transpose.
    static func model(_ basis: [[Double]], means: [Double], blockSize b: Int, colour: StreamHeader.ColourFormat) -> CodecModel {
        let c = colour.channels
        let n = basis.count
        // The latent at step 1 is the transform coefficient; its magnitude is at most
        // √n · 255, and F_in is the most fractional bits that keep that within int16.
        var inputBits = 0
        while inputBits < 15, Double(n).squareRoot() * 255 * Double(1 << (inputBits + 1)) < 32767 { inputBits += 1 }
        let scale = Double(1 << weightBits)
        func q(_ v: Double) -> Int16 { Int16(clamping: Int((v * scale).rounded())) }
        var synthesisWeights = [Int16](repeating: 0, count: n * n)
        var analysisWeights = [Int16](repeating: 0, count: n * n)
        var analysisBias = [Int32](repeating: 0, count: n)
        for k in 0..<n {
            var offset = 0.0
            for colourIndex in 0..<c {
                for ky in 0..<b {
                    for kx in 0..<b {
                        let value = basis[k][(ky * b + kx) * c + colourIndex]
                        let w = q(value)
                        // Both layouts are [k][colour][ky][kx]: convT's [in][out] and conv's [out][in].
                        synthesisWeights[((k * c + colourIndex) * b + ky) * b + kx] = w
                        analysisWeights[((k * c + colourIndex) * b + ky) * b + kx] = w
                        offset -= Double(w) / scale * means[colourIndex]
                    }
                }
            }
            analysisBias[k] = Int32(clamping: Int((offset * scale).rounded()))
        }
        let synthesisBias = means.map { Int32(($0 * Double(1 << (inputBits + weightBits))).rounded()) }
        let synthesis = Layer.Convolution(transposed: true, inChannels: n, outChannels: c, kernel: (b, b), stride: (b, b),
                                          shift: inputBits + weightBits, weights: synthesisWeights, bias: synthesisBias)
        let analysis = Layer.Convolution(transposed: false, inChannels: c, outChannels: n, kernel: (b, b), stride: (b, b),
                                         shift: weightBits, weights: analysisWeights, bias: analysisBias)
        return CodecModel(colourFormat: colour, latentChannels: n, inputFractionBits: inputBits, outputFractionBits: 0,
                     synthesis: [.convolution(synthesis)], analysis: [.convolution(analysis)])
    }

    static func convert(_ image: RasterImage, to colour: StreamHeader.ColourFormat) -> RasterImage {
        if image.channels == colour.channels { return image }
        let pixels = image.width * image.height
        let samples: [UInt16]
        if colour == .grey {
            samples = (0..<pixels).map { p in
                let (r, g, b) = (UInt32(image.samples[3 * p]), UInt32(image.samples[3 * p + 1]), UInt32(image.samples[3 * p + 2]))
                return UInt16((77 * r + 150 * g + 29 * b + 128) >> 8)
            }
        } else {
            samples = image.samples.flatMap { [$0, $0, $0] }
        }
        // Both conversions keep samples within 8 bits and the sizes of a valid image.
        return RasterImage(unchecked: image.width, height: image.height, channels: colour.channels, bitDepth: 8, samples: samples)
    }
}
