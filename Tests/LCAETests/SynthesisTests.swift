import Foundation
@testable import LCAE
@testable import LCAEContext
@testable import LCAEModel
@testable import LCAESupport
import Testing

/// The model file (spec chapter 15) and the integer synthesis network (§15.4), checked against a
/// reference written from the spec's formulas, position by position, in 64-bit arithmetic.
@Suite("Model file and synthesis")
struct SynthesisTests {
    /// A random layer; weights span the whole int16 range so sums wrap.
    static func convolution(_ rng: inout SplitMix64, transposed: Bool, in cin: Int, out cout: Int, kernel: (Int, Int), stride: (Int, Int),
                            padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), shift: Int, big: Bool = false) -> Layer {
        let count = cin * cout * kernel.0 * kernel.1
        let weights = (0..<count).map { _ in Int16(truncatingIfNeeded: big ? rng.next() : rng.next() % 2001 &- 1000) }
        let bias = (0..<cout).map { _ in Int32(truncatingIfNeeded: big ? rng.next() : rng.next() % 200_001 &- 100_000) }
        return .convolution(Layer.Convolution(transposed: transposed, inChannels: cin, outChannels: cout, kernel: kernel, stride: stride,
                                              padding: padding, outputPadding: outputPadding, shift: shift, weights: weights, bias: bias))
    }

    /// A small model with every layer kind: convolution with stride and padding, ReLU,
    /// transposed convolutions with padding, output padding, and kernel = stride.
    static func mixedModel(seed: UInt64, big: Bool = false) -> CodecModel {
        var rng = SplitMix64(seed: seed)
        let layers: [Layer] = [
            convolution(&rng, transposed: true, in: 4, out: 5, kernel: (3, 3), stride: (2, 2), padding: (1, 1), outputPadding: (1, 1), shift: 6, big: big),
            .relu,
            convolution(&rng, transposed: false, in: 5, out: 6, kernel: (3, 2), stride: (1, 2), padding: (1, 0), shift: 5, big: big),
            .relu,
            convolution(&rng, transposed: true, in: 6, out: 3, kernel: (2, 2), stride: (2, 2), shift: 7, big: big),
        ]
        return CodecModel(colourFormat: .rgb, latentChannels: 4, inputFractionBits: 2, outputFractionBits: 3, synthesis: layers)
    }

    /// Spec §15.4.2, literally: for every output position, the bias plus every input × weight
    /// whose position maps onto it, summed exactly, then reduced modulo 2^32.
    static func reference(_ x: Activation, _ layer: Layer) -> Activation {
        guard case .convolution(let c) = layer else {
            return Activation(channels: x.channels, height: x.height, width: x.width, values: x.values.map { max($0, 0) })
        }
        let (outH, outW) = c.outputSize(height: x.height, width: x.width) ?? (0, 0)
        var sums = [Int64](repeating: 0, count: outH * outW * c.outChannels)
        for oy in 0..<outH {
            for ox in 0..<outW {
                for o in 0..<c.outChannels { sums[(oy * outW + ox) * c.outChannels + o] = Int64(c.bias[o]) }
            }
        }
        for iy in 0..<x.height {
            for ix in 0..<x.width {
                for ky in 0..<c.kernelHeight {
                    for kx in 0..<c.kernelWidth {
                        // Convolution: output (oy, ox) reads input (oy·s + k − p); transposed: input (iy, ix) writes (iy·s + k − p).
                        var targets: [(Int, Int)] = []
                        if c.transposed {
                            targets = [(iy * c.strideY + ky - c.padY, ix * c.strideX + kx - c.padX)]
                        } else {
                            let (ty, tx) = (iy - ky + c.padY, ix - kx + c.padX)
                            if ty >= 0, tx >= 0, ty % c.strideY == 0, tx % c.strideX == 0 { targets = [(ty / c.strideY, tx / c.strideX)] }
                        }
                        for (oy, ox) in targets where oy >= 0 && oy < outH && ox >= 0 && ox < outW {
                            for i in 0..<c.inChannels {
                                for o in 0..<c.outChannels {
                                    sums[(oy * outW + ox) * c.outChannels + o] += Int64(x.values[(iy * x.width + ix) * c.inChannels + i])
                                        * Int64(c.weight(input: i, output: o, ky, kx))
                                }
                            }
                        }
                    }
                }
            }
        }
        let values = sums.map { sum -> Int16 in
            let wrapped = Int64(Int32(truncatingIfNeeded: sum))
            let rounded = c.shift == 0 ? wrapped : (wrapped + (1 << (c.shift - 1))) >> c.shift
            return Int16(clamping: rounded)
        }
        return Activation(channels: c.outChannels, height: outH, width: outW, values: values)
    }

    static func randomActivation(_ rng: inout SplitMix64, channels: Int, height: Int, width: Int) -> Activation {
        Activation(channels: channels, height: height, width: width,
                   values: (0..<(channels * height * width)).map { _ in rng.next() % 3 == 0 ? 0 : Int16(truncatingIfNeeded: rng.next()) })
    }

    @Test("every layer kind matches the spec's formula, with and without wrapping, on any thread count", arguments: [false, true])
    func layersMatchReference(big: Bool) {
        let model = Self.mixedModel(seed: big ? 7 : 3, big: big)
        var rng = SplitMix64(seed: 11)
        for (height, width) in [(1, 1), (3, 5), (6, 4)] {
            let input = Self.randomActivation(&rng, channels: 4, height: height, width: width)
            var expected = input
            for layer in model.synthesis { expected = Self.reference(expected, layer) }
            let network = SynthesisNetwork(model)
            #expect(network.run(input) == expected)
            #expect(network.run(input, threads: 3) == expected)
            #expect(network.outputSize(height: height, width: width).map { [$0.height, $0.width] } == [expected.height, expected.width])
        }
    }

    /// The fast path pairs a block's nonzero inputs for 16 × 16-bit multiply-adds: blocks with an
    /// odd number of them, block sizes that are not whole tiles of 32, and −32768 × −32768 twice
    /// (the one pair sum that leaves int32) must all give the spec's sums.
    @Test("the block transposed convolution's fast path equals the general formula",
          arguments: [(12, 3, 4, false), (7, 5, 3, false), (12, 3, 4, true), (9, 1, 2, true)])
    func blockPathMatchesReference(inChannels: Int, outChannels: Int, kernel: Int, extreme: Bool) {
        var rng = SplitMix64(seed: UInt64(5 + inChannels))
        var layer = Self.convolution(&rng, transposed: true, in: inChannels, out: outChannels, kernel: (kernel, kernel),
                                     stride: (kernel, kernel), shift: 9, big: true)
        guard case .convolution(var c) = layer else { return }
        #expect(BlockTransposedConvolution.accepts(c))
        var input = Self.randomActivation(&rng, channels: inChannels, height: 3, width: 5)
        if extreme {
            c.weights = c.weights.map { $0 < 0 ? .min : $0 }
            input.values = input.values.map { $0 < 0 ? .min : $0 }
            layer = .convolution(c)
        }
        let model = CodecModel(colourFormat: .rgb, latentChannels: inChannels, inputFractionBits: 0, outputFractionBits: 0, synthesis: [layer])
        #expect(SynthesisNetwork(model).run(input) == Self.reference(input, layer))
        #expect(SynthesisNetwork(model).run(input, threads: 2) == Self.reference(input, layer))
    }

    @Test("the latent size of a synthesis that shrinks its input is larger than the image (spec §15.6)")
    func shrinkingLatentSize() throws {
        var rng = SplitMix64(seed: 31)
        // Synthesis: a 5 × 3 convolution without padding takes 4 rows and 2 columns off; the
        // analysis, a transposed convolution of the same kernel, puts them back.
        let synthesis = Self.convolution(&rng, transposed: false, in: 2, out: 3, kernel: (5, 3), stride: (1, 1), shift: 9, big: false)
        let analysis = Self.convolution(&rng, transposed: true, in: 3, out: 2, kernel: (5, 3), stride: (1, 1), shift: 0, big: false)
        let model = CodecModel(colourFormat: .rgb, latentChannels: 2, inputFractionBits: 0, outputFractionBits: 0,
                               synthesis: [synthesis], analysis: [analysis])
        let size = try ImageAnalysis(model).latentSize(height: 6, width: 8)
        #expect(size == (10, 10))
        let network = SynthesisNetwork(model)
        #expect(try #require(network.outputSize(height: size.height, width: size.width)) == (6, 8))
        #expect(try #require(network.outputSize(height: size.height - 1, width: size.width - 1)) == (5, 7))
    }

    @Test("the input and output stages round, shift, saturate and clamp as §15.4.1 and §15.4.4 say")
    func stages() {
        let latent = LatentTensor(channels: 2, height: 1, width: 3, values: [0, 5, -5, 1 << 20, -(1 << 20), 3])
        // ŷ × gain, rounded half up at `shift`: 5 × 3 / 4 = 3.75 → 4; −15 / 4 = −3.75 → −4; saturated; 3 × 5 / 4 = 3.75 → 4.
        let step = LatentStep(shift: 2, gains: [3, 5])
        let x = SynthesisNetwork.input(latent, step: step)
        #expect(x.values == [0, Int16.max, 4, Int16.min, -4, 4])
        // Output: 3 fraction bits, clamped to [0, 255].
        let model = CodecModel(colourFormat: .grey, latentChannels: 1, inputFractionBits: 0, outputFractionBits: 3,
                          synthesis: [.convolution(.init(transposed: false, inChannels: 1, outChannels: 1, kernel: (1, 1), stride: (1, 1),
                                                         shift: 0, weights: [1], bias: [0]))])
        let y = Activation(channels: 1, height: 1, width: 5, values: [-9, 3, 4, 2043, 2044])
        #expect(SynthesisNetwork(model).samples(y, height: 1, width: 4) == [0, 0, 1, 255])
    }

    @Test("a model file round-trips and its identity is the SHA-256 of its bytes")
    func modelRoundTrip() throws {
        let tables = LatentStreamTests.tables
        let base = Self.mixedModel(seed: 1)
        let model = CodecModel(colourFormat: .rgb, latentChannels: 5, inputFractionBits: 1, outputFractionBits: 0,
                          synthesis: [.convolution(.init(transposed: true, inChannels: 5, outChannels: 3, kernel: (2, 2), stride: (2, 2),
                                                         shift: 3, weights: Array(repeating: 7, count: 60), bias: [1, 2, 3]))],
                          analysis: [.convolution(.init(transposed: false, inChannels: 3, outChannels: 5, kernel: (2, 2), stride: (2, 2),
                                                        shift: 3, weights: Array(repeating: -7, count: 60), bias: [0, 0, 0, 0, 0])), .relu],
                          tableSets: [.init(stepQ16: 65536, kind: .contexts, tables: tables)])
        for m in [base, model] {
            let parsed = try CodecModel.parse(m.bytes)
            #expect(parsed == m)
            #expect(parsed.synthesis == m.synthesis && parsed.analysis == m.analysis)
            #expect(parsed.sha256 == m.sha256 && parsed.bytes == m.bytes)
        }
        #expect(try CodecModel.parse(model.bytes).tables(named: tables.sha256) == tables)
        #expect(try CodecModel.parse(model.bytes).tables(named: Array(repeating: 0, count: 32)) == nil)
    }

    @Test("every prefix and every byte of damage in a model file gives a typed error, never a trap")
    func modelDamage() throws {
        let bytes = Self.mixedModel(seed: 2).bytes
        for n in 0..<bytes.count {
            #expect(throws: ContainerError.self) { try CodecModel.parse(Array(bytes.prefix(n))) }
        }
        var flipped = bytes
        flipped[20] ^= 1
        #expect(Self.code(flipped) == .crcMismatch)
        flipped = bytes
        flipped[3] = 0x54
        #expect(Self.error(flipped).map { [$0.code.rawValue, String($0.offset)] } == ["badSignature", "3"])
        #expect(Self.error(Array(bytes.prefix(5))).map { [$0.code.rawValue, String($0.offset)] } == ["truncated", "5"])
        #expect(Self.error(Array(bytes.prefix(10))).map { [$0.code.rawValue, String($0.offset)] } == ["truncated", "10"])
    }

    static func error(_ bytes: [UInt8]) -> ContainerError? {
        do {
            _ = try CodecModel.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    /// The body of a model with the layer fields given, framed with a correct CRC, so each field
    /// check is reached.
    static func framed(_ body: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.append(contentsOf: CodecModel.signature)
        w.u32(UInt32(body.count))
        w.append(contentsOf: body)
        w.u32(CRC32.checksum(body[...]))
        return w.bytes
    }

    static func code(_ bytes: [UInt8]) -> ContainerError.Code? {
        do {
            _ = try CodecModel.parse(bytes)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("field violations of §15.2 and §15.3 have their codes and offsets")
    func modelFields() {
        let good = Self.mixedModel(seed: 4).bytes
        let body = Array(good[12..<(good.count - 4)])
        func with(_ offset: Int, _ value: UInt8) -> [UInt8] {
            var b = body
            b[offset] = value
            return Self.framed(b)
        }
        #expect(Self.code(Self.framed(body)) == nil)
        #expect(Self.code(with(0, 2)) == .unsupportedVersion)
        #expect(Self.code(with(2, 2)) == .badField)       // colour_format
        #expect(Self.code(with(3, 12)) == .badField)      // bit_depth
        #expect(Self.code(with(4, 0)) == .badField)       // latent_channels = 0 (low byte; high byte is 0)
        #expect(Self.code(with(6, 16)) == .badField)      // input fraction bits
        #expect(Self.code(with(8, 65)) == .limitExceeded) // synthesis_layer_count
        #expect(Self.code(with(9, 1)) == .badField)       // a convolution with output padding
        #expect(Self.code(with(9, 4)) == .badField)       // unknown layer kind
        #expect(Self.code(with(10, 9)) == .badField)      // in_channels 9 ≠ latent channels
        #expect(Self.code(with(14, 0)) == .badField)      // kernel_h = 0
        #expect(Self.code(with(18, 3)) == .badField)      // pad_y = kernel
        #expect(Self.code(with(22, 32)) == .badField)     // shift > 31
        #expect(Self.code(Self.framed(body + [0])) == .trailingData)
    }
}
