import LCAESupport

/// The analysis network of a model, run by encoders in floating point (spec §15.6): each
/// convolution computes `(bias + Σ weight × input) / 2^shift` without rounding or saturation.
/// Decoders never run it, so its arithmetic is not normative.
public struct AnalysisNetwork: Sendable {
    let steps: [Step]
    /// The kernels' instruction set (`KernelPath.best` unless a caller chooses).
    public let path: KernelPath

    enum Step: Sendable {
        case relu
        /// A convolution, with the ReLU that follows it, if any, folded in.
        case convolution(PackedFloatConvolution)
    }

    /// When the first layer is a block convolution (kernel = stride, no padding) it runs on
    /// integer samples as int16 dot products, exact in int32, which vector units do several
    /// times faster than float multiply-adds; the rest of the network runs in float.
    let blockLayer: BlockConvolution?

    struct BlockConvolution: Sendable {
        let layer: Layer.Convolution
        /// `[out][ky][kx][in]`: one output's weights in the order a block's samples are gathered,
        /// each row `stride` long (zeros after the taps).
        let weights: [Int16]
        /// The taps rounded up to whole vectors of 8.
        let stride: Int
        /// Σ weights of each output, to undo the samples' centring on `centre`.
        let weightSums: [Int64]
    }

    /// Nil for a decode-only model.
    public init?(_ model: CodecModel, path: KernelPath = .best) {
        guard !model.analysis.isEmpty else { return nil }
        self.path = min(path, .best)
        if case .convolution(let c) = model.analysis[0], !c.transposed, c.kernelHeight == c.strideY, c.kernelWidth == c.strideX,
           c.padY == 0, c.padX == 0 {
            let taps = c.kernelSize * c.inChannels
            let stride = (taps + 7) / 8 * 8
            var weights = [Int16](repeating: 0, count: c.outChannels * stride)
            for o in 0..<c.outChannels {
                for ky in 0..<c.kernelHeight {
                    for kx in 0..<c.kernelWidth {
                        for i in 0..<c.inChannels {
                            weights[o * stride + (ky * c.kernelWidth + kx) * c.inChannels + i] = c.weight(input: i, output: o, ky, kx)
                        }
                    }
                }
            }
            let sums = (0..<c.outChannels).map { o in weights[(o * stride)..<((o + 1) * stride)].reduce(Int64(0)) { $0 + Int64($1) } }
            blockLayer = BlockConvolution(layer: c, weights: weights, stride: stride, weightSums: sums)
        } else {
            blockLayer = nil
        }
        steps = Layer.fused(model.analysis).map { layer in
            switch layer {
            case .relu: .relu
            case .convolution(let c, let relu): .convolution(PackedFloatConvolution(c, relu: relu))
            }
        }
    }

    /// Values stored height × width × channels, like `Activation`.
    public struct Tensor: Sendable {
        /// Channels at each position.
        public var channels: Int
        /// Rows.
        public var height: Int
        /// Columns.
        public var width: Int
        /// height × width × channels values, the channels of a position contiguous.
        public var values: [Float]

        /// A tensor from its shape and values, unchecked.
        public init(channels: Int, height: Int, width: Int, values: [Float]) {
            self.channels = channels
            self.height = height
            self.width = width
            self.values = values
        }
    }

    /// Runs the network on integer samples (height × width × channels).
    public func run(samples: [UInt16], channels: Int, height: Int, width: Int, threads: Int = 1) -> Tensor {
        guard let block = blockLayer, samples.allSatisfy({ $0 <= 255 }) else {
            return run(Tensor(channels: channels, height: height, width: width, values: samples.map { Float($0) }), threads: threads)
        }
        var x = Self.blockConvolution(samples, height: height, width: width, block, threads: threads)
        if case .convolution(let first) = steps.first, first.relu {
            for i in x.values.indices where x.values[i] < 0 { x.values[i] = 0 }
        }
        return run(x, from: 1, threads: threads)
    }

    /// Runs every layer on `input` in floating point (spec §15.6) and returns the last layer's output.
    public func run(_ input: Tensor, threads: Int = 1) -> Tensor {
        run(input, from: 0, threads: threads)
    }

    private func run(_ input: Tensor, from first: Int, threads: Int) -> Tensor {
        var x = input
        for step in steps.dropFirst(first) {
            switch step {
            case .relu:
                for i in x.values.indices where x.values[i] < 0 { x.values[i] = 0 }
            case .convolution(let layer):
                x = layer.run(x, threads: threads, path: path)
            }
        }
        return x
    }

    private static func blockConvolution(_ samples: [UInt16], height: Int, width: Int, _ block: BlockConvolution, threads: Int) -> Tensor {
        let c = block.layer
        let (kh, kw, cin, cout) = (c.kernelHeight, c.kernelWidth, c.inChannels, c.outChannels)
        let (outH, outW) = (height / kh, width / kw)
        let stride = block.stride
        // 8-bit samples minus 128 fit in 8 bits, so a product is below 2^22 in magnitude, a pair
        // of them (one `pmaddwd` lane) below 2^23, and 32 pairs per lane sum exactly in int32.
        let centre: Int64 = 128
        let scale = 1 / Float(1 << c.shift)
        var out = [Float](repeating: 0, count: outH * outW * cout)
        // Four blocks at a time: each weight row is read from memory once for four dot
        // products, since the weights (taps × outputs int16) outgrow the caches.
        let group = 4
        out.withUnsafeMutableBufferPointer { o in
            block.weights.withUnsafeBufferPointer { w in
                samples.withUnsafeBufferPointer { s in
                    Parallel.forEach(outH, threads: threads) { by in
                        var x = [Int16](repeating: 0, count: group * stride)
                        x.withUnsafeMutableBufferPointer { x in
                            for first in Swift.stride(from: 0, to: outW, by: group) {
                                for g in 0..<group {
                                    // Past the last block, repeat it: the results are not stored.
                                    let bx = min(first + g, outW - 1)
                                    for ky in 0..<kh {
                                        let src = ((by * kh + ky) * width + bx * kw) * cin
                                        let dst = g * stride + ky * kw * cin
                                        for t in 0..<(kw * cin) { x[dst + t] = Int16(truncatingIfNeeded: Int64(s[src + t]) - centre) }
                                    }
                                }
                                let b0 = UnsafeRawPointer(x.baseAddress.unsafelyUnwrapped)
                                let (b1, b2, b3) = (b0 + 2 * stride, b0 + 4 * stride, b0 + 6 * stride)
                                for oc in 0..<cout {
                                    let row = UnsafeRawPointer(w.baseAddress.unsafelyUnwrapped + oc * stride)
                                    var sums = SIMD4<Int64>()
                                    var t = 0
                                    while t < stride {
                                        let end = min(stride, t + 256)
                                        var p = (SIMD4<Int32>(), SIMD4<Int32>(), SIMD4<Int32>(), SIMD4<Int32>())
                                        while t < end {
                                            let at = t &* 2
                                            let wt = row.loadUnaligned(fromByteOffset: at, as: SIMD8<Int16>.self)
                                            p.0 &+= BlockTransposedConvolution.multiplyAddPairs(b0.loadUnaligned(fromByteOffset: at, as: SIMD8<Int16>.self), wt)
                                            p.1 &+= BlockTransposedConvolution.multiplyAddPairs(b1.loadUnaligned(fromByteOffset: at, as: SIMD8<Int16>.self), wt)
                                            p.2 &+= BlockTransposedConvolution.multiplyAddPairs(b2.loadUnaligned(fromByteOffset: at, as: SIMD8<Int16>.self), wt)
                                            p.3 &+= BlockTransposedConvolution.multiplyAddPairs(b3.loadUnaligned(fromByteOffset: at, as: SIMD8<Int16>.self), wt)
                                            t &+= 8
                                        }
                                        sums &+= SIMD4(Int64(p.0.wrappedSum()), Int64(p.1.wrappedSum()), Int64(p.2.wrappedSum()), Int64(p.3.wrappedSum()))
                                    }
                                    let offset = centre * block.weightSums[oc] + Int64(c.bias[oc])
                                    let dst = (by * outW + first) * cout + oc
                                    for g in 0..<min(group, outW - first) { o[dst + g * cout] = Float(sums[g] + offset) * scale }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(channels: cout, height: outH, width: outW, values: out)
    }
}
