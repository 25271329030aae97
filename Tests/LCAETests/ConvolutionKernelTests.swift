@testable import LCAEModel
@testable import LCAESupport
import Testing

/// The convolution kernels (CConvolution) on every instruction set this machine runs, against
/// the spec's formula (SynthesisTests.reference): every path must give the same bits (§15.4.2).
@Suite("Convolution kernels")
struct ConvolutionKernelTests {
    /// Layer shapes that exercise the plan: padding, output padding, strides above and below
    /// the kernel, odd input channels (a zero channel pads the pairs), output channels that are
    /// not whole vectors and more than one block of 64, and transposed convolutions with few
    /// outputs, which run phase-merged.
    static let shapes: [(transposed: Bool, cin: Int, cout: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), outputPadding: (Int, Int))] = [
        (true, 7, 21, (5, 5), (2, 2), (2, 2), (1, 1)),
        (false, 5, 70, (5, 5), (2, 2), (2, 2), (0, 0)),
        (true, 3, 3, (3, 2), (2, 3), (1, 0), (1, 2)),
        (false, 9, 17, (3, 3), (1, 1), (1, 1), (0, 0)),
        (true, 2, 5, (1, 1), (3, 2), (0, 0), (2, 1)),
        (false, 4, 33, (2, 4), (3, 1), (1, 3), (0, 0)),
        (true, 6, 130, (4, 4), (2, 2), (1, 1), (0, 0)),
        (true, 7, 3, (5, 5), (2, 2), (2, 2), (1, 1)),
        (true, 4, 1, (3, 4), (3, 2), (1, 1), (2, 1)),
    ]

    @Test("every path and thread count equals the spec's formula on random layers, with and without wrapping, with a folded ReLU",
          arguments: [false, true])
    func int16PathsMatchReference(big: Bool) {
        var rng = SplitMix64(seed: big ? 91 : 19)
        for shape in Self.shapes {
            let layer = SynthesisTests.convolution(&rng, transposed: shape.transposed, in: shape.cin, out: shape.cout, kernel: shape.kernel,
                                                   stride: shape.stride, padding: shape.padding, outputPadding: shape.outputPadding,
                                                   shift: big ? 13 : 7, big: big)
            guard case .convolution(let c) = layer else { continue }
            #expect(PackedInt16Convolution(c, relu: false).merged == (shape.transposed && shape.cout * shape.stride.0 * shape.stride.1 <= 16))
            for (height, width) in [(1, 1), (3, 7), (5, 4)] {
                let input = SynthesisTests.randomActivation(&rng, channels: shape.cin, height: height, width: width)
                let expected = SynthesisTests.reference(input, layer)
                let rectified = SynthesisTests.reference(expected, .relu)
                for path in KernelPath.supported {
                    #expect(PackedInt16Convolution(c, relu: false).run(input, threads: 1, path: path) == expected, "\(path) \(shape)")
                    #expect(PackedInt16Convolution(c, relu: true).run(input, threads: 3, path: path) == rectified, "\(path) \(shape) relu")
                }
            }
        }
    }

    /// −32768 · −32768 twice is the one pair sum that leaves int32; the pair instructions wrap it
    /// to the residue the spec's sum has.
    @Test("pair sums of −32768 × −32768 wrap as the spec's sum does, on every path")
    func extremePairs() {
        var rng = SplitMix64(seed: 5)
        let layer = SynthesisTests.convolution(&rng, transposed: false, in: 4, out: 16, kernel: (3, 3), stride: (1, 1), padding: (1, 1),
                                               shift: 0, big: true)
        guard case .convolution(var c) = layer else { return }
        c.weights = c.weights.map { $0 < 0 ? .min : $0 }
        var input = SynthesisTests.randomActivation(&rng, channels: 4, height: 4, width: 4)
        input.values = input.values.map { $0 < 0 ? .min : $0 }
        let expected = SynthesisTests.reference(input, .convolution(c))
        for path in KernelPath.supported {
            #expect(PackedInt16Convolution(c, relu: false).run(input, threads: 1, path: path) == expected, "\(path)")
        }
    }

    @Test("a whole network gives the same bits on every path")
    func networkPaths() {
        let model = SynthesisTests.mixedModel(seed: 23, big: true)
        var rng = SplitMix64(seed: 29)
        let input = SynthesisTests.randomActivation(&rng, channels: 4, height: 5, width: 6)
        var expected = input
        for layer in model.synthesis { expected = SynthesisTests.reference(expected, layer) }
        for path in KernelPath.supported {
            #expect(SynthesisNetwork(model, path: path).run(input, threads: 2) == expected, "\(path)")
        }
    }

    /// The analysis is float and not normative (§15.6); each path must still compute
    /// (bias + Σ w·x) / 2^shift, to float rounding.
    @Test("the float analysis kernels agree with a double-precision sum on every path")
    func floatPaths() {
        var rng = SplitMix64(seed: 37)
        for shape in Self.shapes {
            let layer = SynthesisTests.convolution(&rng, transposed: shape.transposed, in: shape.cin, out: shape.cout, kernel: shape.kernel,
                                                   stride: shape.stride, padding: shape.padding, outputPadding: shape.outputPadding, shift: 9)
            guard case .convolution(let c) = layer else { continue }
            let input = SynthesisTests.randomActivation(&rng, channels: shape.cin, height: 4, width: 5)
            let tensor = AnalysisNetwork.Tensor(channels: shape.cin, height: 4, width: 5, values: input.values.map { Float($0) / 64 })
            let expected = Self.floatReference(tensor, c)
            for path in KernelPath.supported {
                let out = PackedFloatConvolution(c, relu: true).run(tensor, threads: 2, path: path)
                #expect([out.height, out.width, out.channels] == [expected.height, expected.width, expected.channels])
                // Float sums in any order are within a few ulps of the sum of the terms' magnitudes.
                let worst = out.values.indices.map { abs(Double(out.values[$0]) - max(expected.values[$0], 0)) / (1 + expected.magnitudes[$0]) }.max() ?? 0
                #expect(worst < 1e-5, "\(path) \(shape): error \(worst) of the terms' magnitude")
            }
        }
    }

    /// §15.6 in doubles: the spec's index rules (via the integer reference's loops), no rounding.
    static func floatReference(_ x: AnalysisNetwork.Tensor, _ c: Layer.Convolution) -> (height: Int, width: Int, channels: Int, values: [Double], magnitudes: [Double]) {
        let (outH, outW) = c.outputSize(height: x.height, width: x.width) ?? (0, 0)
        var sums = [Double](repeating: 0, count: outH * outW * c.outChannels)
        var magnitudes = sums
        for p in 0..<(outH * outW) {
            for o in 0..<c.outChannels {
                sums[p * c.outChannels + o] = Double(c.bias[o])
                magnitudes[p * c.outChannels + o] = abs(Double(c.bias[o]))
            }
        }
        for iy in 0..<x.height {
            for ix in 0..<x.width {
                for ky in 0..<c.kernelHeight {
                    for kx in 0..<c.kernelWidth {
                        var target: (Int, Int)?
                        if c.transposed {
                            target = (iy * c.strideY + ky - c.padY, ix * c.strideX + kx - c.padX)
                        } else {
                            let (ty, tx) = (iy - ky + c.padY, ix - kx + c.padX)
                            if ty >= 0, tx >= 0, ty % c.strideY == 0, tx % c.strideX == 0 { target = (ty / c.strideY, tx / c.strideX) }
                        }
                        guard let (oy, ox) = target, oy >= 0, oy < outH, ox >= 0, ox < outW else { continue }
                        for i in 0..<c.inChannels {
                            for o in 0..<c.outChannels {
                                let term = Double(x.values[(iy * x.width + ix) * c.inChannels + i]) * Double(c.weight(input: i, output: o, ky, kx))
                                sums[(oy * outW + ox) * c.outChannels + o] += term
                                magnitudes[(oy * outW + ox) * c.outChannels + o] += abs(term)
                            }
                        }
                    }
                }
            }
        }
        let scale = 1 / Double(1 << c.shift)
        return (outH, outW, c.outChannels, sums.map { $0 * scale }, magnitudes.map { $0 * scale })
    }
}
