@testable import LCAE
@testable import LCAEContainer
@testable import LCAEContext
@testable import LCAEModel
@testable import LCAESupport
import Testing

/// RDOQ for models other than block transforms: the windowed synthesis it measures D with, and
/// the optimiser itself.
@Suite("RDOQ for convolutional models")
struct RateDistortionTests {
    /// A small auto-encoder: analysis 2 × conv 4×4 stride 2, synthesis 2 × transposed conv, ReLU
    /// between; weights from a fixed seed, scaled so the synthesis stays within int16.
    static func model() -> CodecModel {
        var rng = SplitMix64(seed: 41)
        func layer(_ transposed: Bool, _ cin: Int, _ cout: Int, shift: Int, spread: UInt64) -> Layer {
            let weights = (0..<(cin * cout * 16)).map { _ in Int16(truncatingIfNeeded: Int64(rng.next() % (2 * spread + 1)) - Int64(spread)) }
            let bias = (0..<cout).map { _ in Int32(truncatingIfNeeded: Int64(rng.next() % 2001) - 1000) }
            return .convolution(Layer.Convolution(transposed: transposed, inChannels: cin, outChannels: cout, kernel: (4, 4), stride: (2, 2),
                                                  padding: (1, 1), shift: shift, weights: weights, bias: bias))
        }
        let synthesis = [layer(true, 6, 8, shift: 8, spread: 400), .relu, layer(true, 8, 3, shift: 8, spread: 400)]
        let analysis = [layer(false, 3, 8, shift: 12, spread: 300), .relu, layer(false, 8, 6, shift: 12, spread: 300)]
        return CodecModel(colourFormat: .rgb, latentChannels: 6, inputFractionBits: 2, outputFractionBits: 2, synthesis: synthesis, analysis: analysis)
    }

    @Test("a window of the synthesis equals that part of the whole synthesis")
    func windowsMatchWholeSynthesis() throws {
        let model = SynthesisTests.mixedModel(seed: 13, big: true)
        var rng = SplitMix64(seed: 17)
        let latent = LatentTensor(channels: 4, height: 5, width: 6,
                                  values: (0..<120).map { _ in Int32(truncatingIfNeeded: Int64(rng.next() % 41) - 20) })
        let step = LatentStep(shift: 3, gains: [77])
        let whole = SynthesisNetwork(model).run(latent, step: step)
        let windowed = WindowedSynthesis(SynthesisNetwork(model))
        for window in [Window(y: 0, x: 0, height: 1, width: 1), Window(y: 3, x: 4, height: 5, width: 3),
                       Window(y: whole.height - 2, x: whole.width - 3, height: 2, width: 3), Window.whole(height: whole.height, width: whole.width)] {
            let windows = try #require(windowed.windows(for: window, height: 5, width: 6))
            let out = windowed.run(windows, step: step, channels: 4) { latent[$0, $1, $2] }
            var expected: [Int16] = []
            for y in window.y..<(window.y + window.height) {
                for x in window.x..<(window.x + window.width) {
                    expected += whole.values[((y * whole.width + x) * whole.channels)...].prefix(whole.channels)
                }
            }
            #expect(out.values == expected, "\(window)")
        }
    }

    @Test("RDOQ lowers D + λR at every effort, gives the same stream on 1 and 3 threads, and reports the decoder's error",
          arguments: [1, 2, 3])
    func optimizes(effort: Int) throws {
        let model = Self.model()
        let image = ImageStreamTests.crop(ImageStreamTests.photo, x: 160, y: 90, width: 29, height: 22)
        let step = 30.0
        let continuous = try ImageAnalysis(model).latent(image)
        let latent = LatentTensor(channels: 6, height: continuous.height, width: continuous.width,
                                  values: ImageAnalysis.quantize(continuous.values, step: step))
        let tables = try ContextFitter(precision: 16).fit([latent]).0
        let lambda = 40.0
        var streams: [[UInt8]] = []
        for threads in [1, 3] {
            let encoded = try ImageEncoder(model: model, step: step, tables: tables,
                                           rdoq: RateDistortionOptimizer(lambda: lambda, effort: effort), threads: threads).encode(image)
            let report = try #require(encoded.rdoq)
            #expect(report.moves.first ?? 0 > 0)
            #expect(Double(report.distortion.after) + lambda * report.bits.after < Double(report.distortion.before) + lambda * report.bits.before)
            #expect(report.distortion.after == RateDistortionOptimizer.distortion(encoded.reconstruction.samples, image))
            let decoded = try ImageDecoder(models: [model]).decode(ContainerReader().read(encoded.container.bytes()))
            #expect(decoded.image == encoded.reconstruction)
            streams.append(encoded.container.bytes())
        }
        #expect(streams[0] == streams[1])
    }
}
