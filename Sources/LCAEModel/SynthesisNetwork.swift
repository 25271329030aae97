import LCAEContext

/// The integer synthesis network of a model, run exactly as spec §15.4 says: int16 tensors,
/// int32 accumulators that wrap modulo 2^32, a rounding shift and saturation after each
/// convolution. Because the sums wrap, their order does not matter: every implementation,
/// thread count and platform gives the same bits.
public struct SynthesisNetwork: Sendable {
    /// The model whose synthesis layers this runs.
    public let model: CodecModel
    /// The kernels' instruction set: `KernelPath.best` unless a caller chooses (tests run
    /// every path the machine supports; all give the same bits).
    public let path: KernelPath
    package let steps: [Step]

    package enum Step: Sendable {
        case relu
        /// A convolution, with the ReLU that follows it, if any, folded in.
        case convolution(PackedInt16Convolution)
        case blockTransposed(BlockTransposedConvolution)
    }

    /// Prepares the model's synthesis layers for the kernels of `path`, or of the best path this
    /// CPU supports when `path` is faster.
    public init(_ model: CodecModel, path: KernelPath = .best) {
        self.model = model
        self.path = min(path, .best)
        steps = Layer.fused(model.synthesis).flatMap { layer -> [Step] in
            switch layer {
            case .relu: [.relu]
            // The block path writes outputs without a ReLU of its own.
            case .convolution(let c, let relu) where BlockTransposedConvolution.accepts(c):
                relu ? [.blockTransposed(BlockTransposedConvolution(c)), .relu] : [.blockTransposed(BlockTransposedConvolution(c))]
            case .convolution(let c, let relu): [.convolution(PackedInt16Convolution(c, relu: relu))]
            }
        }
    }

    /// The output size for a latent of `height` × `width`, or nil when a layer's output is empty
    /// or too large (spec §15.4.3).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
        var size = (height: height, width: width)
        for case .convolution(let c) in model.synthesis {
            guard let next = c.outputSize(height: size.height, width: size.width),
                  next.height <= 1 << 20, next.width <= 1 << 20 else { return nil }
            size = next
        }
        return size
    }

    /// The most values any tensor of the synthesis holds for a latent of `height` × `width`
    /// (spec §15.4.3), or nil when the sizes are undefined.
    public func largestTensor(height: Int, width: Int) -> Int? {
        var size = (height: height, width: width)
        var largest = model.latentChannels * height * width
        for case .convolution(let c) in model.synthesis {
            guard let next = c.outputSize(height: size.height, width: size.width),
                  next.height <= 1 << 20, next.width <= 1 << 20 else { return nil }
            size = next
            largest = max(largest, c.outChannels * next.height * next.width)
        }
        return largest
    }

    /// The input stage (spec §15.4.1): each latent value times its channel's gain, rounded,
    /// shifted and saturated to int16, rearranged height × width × channels.
    public static func input(_ latent: LatentTensor, step: LatentStep) -> Activation {
        let planes = inputPlanes(latent, step: step)
        let (c, plane) = (latent.channels, latent.plane)
        var out = [Int16](repeating: 0, count: planes.count)
        for k in 0..<c {
            for p in 0..<plane { out[p * c + k] = planes[k * plane + p] }
        }
        return Activation(channels: c, height: latent.height, width: latent.width, values: out)
    }

    /// The input stage (§15.4.1) as channel planes (C × H × W), the order a block transposed
    /// convolution reads; `x0` of channel k is at `values[k · H · W + p]`.
    static func inputPlanes(_ latent: LatentTensor, step: LatentStep) -> [Int16] {
        var out = [Int16](repeating: 0, count: latent.values.count)
        latent.values.withUnsafeBufferPointer { y in
            out.withUnsafeMutableBufferPointer { o in
                for k in 0..<latent.channels {
                    let gain = Int64(step.gain(k))
                    // Most values are 0, which every gain keeps 0: the array is zeros already.
                    for p in (k * latent.plane)..<((k + 1) * latent.plane) where y[p] != 0 { o[p] = step.scaled(y[p], gain: gain) }
                }
            }
        }
        return out
    }

    /// A convolution's output value from its accumulator (spec §15.4.2): round_shift then sat16.
    /// In 32 bits ⌊(a + 2^(s−1)) / 2^s⌋ is (a >> s) plus bit s − 1 of a, which cannot overflow.
    @inlinable @inline(__always)
    package static func layerOutput(_ accumulator: Int32, shift: Int) -> Int16 {
        let s = Int32(truncatingIfNeeded: shift), bit: Int32 = s == 0 ? 0 : 1
        return Int16(clamping: (accumulator &>> s) &+ ((accumulator &>> (s &- bit)) & bit))
    }

    /// A sample from a value of the last layer's output (spec §15.4.4). F_out ≤ 15, so
    /// `value + 2^(F_out − 1)` fits 32 bits and the loops over samples vectorize.
    @inlinable @inline(__always)
    package static func sample(_ value: Int16, fractionBits: Int, maximum: Int32) -> UInt16 {
        let shift = Int32(truncatingIfNeeded: fractionBits)
        let half: Int32 = shift == 0 ? 0 : 1 &<< (shift &- 1)
        return UInt16(truncatingIfNeeded: min(max((Int32(value) &+ half) &>> shift, 0), maximum))
    }

    /// The output stage (spec §15.4.4): the top-left `height` × `width` of the last layer's
    /// output, each value rounded to an integer sample and clamped to the bit depth.
    public func samples(_ y: Activation, height: Int, width: Int) -> [UInt16] {
        let maximum = Int32((1 << model.bitDepth) - 1)
        let c = y.channels
        var out = [UInt16](repeating: 0, count: height * width * c)
        y.values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                let fractionBits = model.outputFractionBits
                for row in 0..<height {
                    let source = UnsafeBufferPointer(rebasing: v[(row * y.width * c)...].prefix(width * c))
                    let target = UnsafeMutableBufferPointer(rebasing: o[(row * width * c)...].prefix(width * c))
                    for t in 0..<target.count { target[t] = Self.sample(source[t], fractionBits: fractionBits, maximum: maximum) }
                }
            }
        }
        return out
    }

    /// The whole synthesis of a decoded latent: the input stage (spec §15.4.1) and every layer
    /// (§15.4.2).
    public func run(_ latent: LatentTensor, step: LatentStep, threads: Int = 1) -> Activation {
        guard case .blockTransposed(let layer) = steps.first else {
            return run(Self.input(latent, step: step), threads: threads)
        }
        let first = layer.run(planes: Self.inputPlanes(latent, step: step), height: latent.height, width: latent.width, threads: threads)
        return run(first, from: 1, threads: threads)
    }

    /// Runs every layer on the input stage's output (spec §15.4.2).
    public func run(_ input: Activation, threads: Int = 1) -> Activation {
        run(input, from: 0, threads: threads)
    }

    private func run(_ input: Activation, from start: Int, threads: Int) -> Activation {
        var x = input
        for step in steps.dropFirst(start) {
            switch step {
            case .relu:
                x.values.withUnsafeMutableBufferPointer { v in
                    for i in v.indices where v[i] < 0 { v[i] = 0 }
                }
            case .convolution(let layer):
                x = layer.run(x, threads: threads, path: path)
            case .blockTransposed(let layer):
                x = layer.run(planes: Self.planes(x), height: x.height, width: x.width, threads: threads)
            }
        }
        return x
    }

    /// An activation's values channel by channel.
    static func planes(_ x: Activation) -> [Int16] {
        var out = [Int16](repeating: 0, count: x.values.count)
        let plane = x.height * x.width
        for p in 0..<plane {
            for k in 0..<x.channels { out[k * plane + p] = x.values[p * x.channels + k] }
        }
        return out
    }
}
