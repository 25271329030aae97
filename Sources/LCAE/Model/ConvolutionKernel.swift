import CConvolution

/// The instruction set the convolution kernels use (the CConvolution target). Every path
/// computes the synthesis's sums modulo 2^32 (spec §15.4.2), so all give the same bits; the
/// float analysis may differ in the last bits between paths (it is not normative, §15.6).
public enum KernelPath: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case scalar = 0, sse2, avx2, avx512

    /// The fastest path this CPU supports (cpuid, once).
    public static let best = KernelPath(rawValue: Int(lcae_convolution_best_path())) ?? .scalar

    /// Every path this CPU can run, slowest first.
    public static var supported: [KernelPath] { allCases.filter { $0 <= best } }

    public static func < (a: KernelPath, b: KernelPath) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .scalar: "scalar"
        case .sse2: "sse2"
        case .avx2: "avx2"
        case .avx512: "avx512-vnni"
        }
    }
}

/// How one (transposed) convolution walks an input of a given size: the input is copied into a
/// zero-padded buffer large enough that every tap reads inside it, and each output row is one or
/// more runs of positions that share their taps (spec §15.4.2's index rules, precomputed). A
/// convolution's row is one run; a transposed convolution's row has one run per column phase
/// (output column mod stride), since only those positions share which kernel columns reach them.
struct ConvolutionPlan {
    let layer: Layer.Convolution
    let inputHeight: Int, inputWidth: Int
    let outputHeight: Int, outputWidth: Int
    /// Channels per position in the padded input (int16 kernels read input channels in pairs).
    let channelStride: Int
    let padTop: Int, padLeft: Int
    let paddedHeight: Int, paddedWidth: Int

    struct Run {
        /// Kernel positions `ky · kernel_w + kx`, and where each reads relative to `inputStart`,
        /// in elements of the padded input.
        var taps: [Int32]
        var offsets: [Int]
        var inputStart: Int
        var inputStep: Int
        var count: Int
        /// Output position (row-major) of the run's first value, and the step between its positions.
        var outputStart: Int
        var outputStep: Int
    }

    /// Nil when the output is empty (spec §15.4.3).
    init?(_ c: Layer.Convolution, height: Int, width: Int, channelStride: Int) {
        guard let (outH, outW) = c.outputSize(height: height, width: width) else { return nil }
        layer = c
        (inputHeight, inputWidth, outputHeight, outputWidth) = (height, width, outH, outW)
        self.channelStride = channelStride
        if c.transposed {
            // Input rows (columns) that any output row (column) reads, padding included.
            func span(_ outSize: Int, _ k: Int, _ s: Int, _ p: Int, _ size: Int) -> (before: Int, after: Int) {
                var (low, high) = (0, size - 1)
                for o in 0..<min(outSize, s) {
                    for kk in 0..<k where (o + p - kk) % s == 0 {
                        let first = (o + p - kk) / s
                        let last = first + (outSize - 1 - o) / s
                        (low, high) = (min(low, first), max(high, last))
                    }
                }
                return (-low, high - (size - 1))
            }
            let rows = span(outH, c.kernelHeight, c.strideY, c.padY, height)
            let columns = span(outW, c.kernelWidth, c.strideX, c.padX, width)
            (padTop, padLeft) = (rows.before, columns.before)
            (paddedHeight, paddedWidth) = (height + rows.before + rows.after, width + columns.before + columns.after)
        } else {
            (padTop, padLeft) = (c.padY, c.padX)
            (paddedHeight, paddedWidth) = (height + 2 * c.padY, width + 2 * c.padX)
        }
    }

    /// The runs of output row `y`.
    func runs(row y: Int) -> [Run] {
        let c = layer
        let (pw, cs) = (paddedWidth, channelStride)
        if !c.transposed {
            var taps: [Int32] = [], offsets: [Int] = []
            for ky in 0..<c.kernelHeight {
                for kx in 0..<c.kernelWidth {
                    taps.append(Int32(ky * c.kernelWidth + kx))
                    offsets.append(((y * c.strideY + ky) * pw + kx) * cs)
                }
            }
            return [Run(taps: taps, offsets: offsets, inputStart: 0, inputStep: c.strideX * cs, count: outputWidth,
                        outputStart: y * outputWidth, outputStep: 1)]
        }
        var runs: [Run] = []
        for phase in 0..<min(c.strideX, outputWidth) {
            var taps: [Int32] = [], offsets: [Int] = []
            for ky in 0..<c.kernelHeight where (y + c.padY - ky) % c.strideY == 0 {
                let iy = (y + c.padY - ky) / c.strideY + padTop
                for kx in 0..<c.kernelWidth where (phase + c.padX - kx) % c.strideX == 0 {
                    let ix = (phase + c.padX - kx) / c.strideX + padLeft
                    taps.append(Int32(ky * c.kernelWidth + kx))
                    offsets.append((iy * pw + ix) * cs)
                }
            }
            runs.append(Run(taps: taps, offsets: offsets, inputStart: 0, inputStep: cs,
                            count: (outputWidth - 1 - phase) / c.strideX + 1,
                            outputStart: y * outputWidth + phase, outputStep: c.strideX))
        }
        return runs
    }

    /// The input (height × width × `channels`) in the padded layout, zeros around it and in the
    /// channels past `channels`.
    func padded<T: Numeric>(_ values: [T], channels: Int) -> [T] {
        var out = [T](repeating: 0, count: paddedHeight * paddedWidth * channelStride)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<inputHeight {
                    for x in 0..<inputWidth {
                        let s = (y * inputWidth + x) * channels
                        let t = ((y + padTop) * paddedWidth + x + padLeft) * channelStride
                        for k in 0..<channels { target[t + k] = source[s + k] }
                    }
                }
            }
        }
        return out
    }

    /// Calls `body` for every run of every output row, rows split over `threads` threads.
    func forEachRun(threads: Int, _ body: (Run) -> Void) {
        parallel(outputHeight, threads: threads) { y in
            for run in runs(row: y) { body(run) }
        }
    }
}

/// A convolution's int16 weights packed for the kernels: by kernel position, then input
/// channel pair, then output channel, the pair's two weights side by side.
struct PackedInt16Convolution: Sendable {
    let layer: Layer.Convolution
    let relu: Bool
    let weights: [Int16]
    let bias: [Int32]
    let inputPairs: Int
    let paddedOutputs: Int

    init(_ c: Layer.Convolution, relu: Bool) {
        layer = c
        self.relu = relu
        inputPairs = (c.inChannels + 1) / 2
        paddedOutputs = (c.outChannels + 15) / 16 * 16
        var weights = [Int16](repeating: 0, count: c.kernelSize * inputPairs * paddedOutputs * 2)
        for ky in 0..<c.kernelHeight {
            for kx in 0..<c.kernelWidth {
                let tap = ky * c.kernelWidth + kx
                for i in 0..<c.inChannels {
                    for o in 0..<c.outChannels {
                        weights[((tap * inputPairs + i / 2) * paddedOutputs + o) * 2 + i % 2] = c.weight(input: i, output: o, ky, kx)
                    }
                }
            }
        }
        self.weights = weights
        bias = c.bias + [Int32](repeating: 0, count: paddedOutputs - c.outChannels)
    }

    /// The layer on `x` (spec §15.4.2), followed by a ReLU when `relu`.
    func run(_ x: Activation, threads: Int, path: KernelPath) -> Activation {
        let c = layer
        guard let plan = ConvolutionPlan(c, height: x.height, width: x.width, channelStride: 2 * inputPairs) else {
            return Activation(channels: c.outChannels, height: 0, width: 0, values: [])
        }
        let input = plan.padded(x.values, channels: c.inChannels)
        let cout = c.outChannels
        var out = [Int16](repeating: 0, count: plan.outputHeight * plan.outputWidth * cout)
        out.withUnsafeMutableBufferPointer { o in
            nonisolated(unsafe) let o = o
            weights.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    input.withUnsafeBufferPointer { input in
                        let kernel = lcae_int16_layer(weights: w.baseAddress, bias: b.baseAddress, cin_pairs: Int32(inputPairs),
                                                      cout: Int32(cout), cout_padded: Int32(paddedOutputs), shift: Int32(c.shift),
                                                      relu: relu ? 1 : 0)
                        plan.forEachRun(threads: threads) { run in
                            run.taps.withUnsafeBufferPointer { taps in
                                run.offsets.withUnsafeBufferPointer { offsets in
                                    withUnsafePointer(to: kernel) { kernel in
                                        lcae_int16_convolve(kernel, Int32(taps.count), taps.baseAddress, offsets.baseAddress,
                                                          input.baseAddress.map { $0 + run.inputStart }, run.inputStep, Int32(run.count),
                                                          o.baseAddress.map { $0 + run.outputStart * cout }, run.outputStep * cout,
                                                          Int32(path.rawValue))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Activation(channels: cout, height: plan.outputHeight, width: plan.outputWidth, values: out)
    }
}

/// A convolution's weights as floats divided by 2^shift (the analysis, spec §15.6), packed
/// by kernel position, then input channel, then output channel.
struct PackedFloatConvolution: Sendable {
    let layer: Layer.Convolution
    let relu: Bool
    let weights: [Float]
    let bias: [Float]
    let paddedOutputs: Int

    init(_ c: Layer.Convolution, relu: Bool) {
        layer = c
        self.relu = relu
        paddedOutputs = (c.outChannels + 15) / 16 * 16
        let scale = 1 / Float(1 << c.shift)
        var weights = [Float](repeating: 0, count: c.kernelSize * c.inChannels * paddedOutputs)
        for ky in 0..<c.kernelHeight {
            for kx in 0..<c.kernelWidth {
                let tap = ky * c.kernelWidth + kx
                for i in 0..<c.inChannels {
                    for o in 0..<c.outChannels {
                        weights[(tap * c.inChannels + i) * paddedOutputs + o] = Float(c.weight(input: i, output: o, ky, kx)) * scale
                    }
                }
            }
        }
        self.weights = weights
        bias = c.bias.map { Float($0) * scale } + [Float](repeating: 0, count: paddedOutputs - c.outChannels)
    }

    /// `(bias + Σ weight × input) / 2^shift`, then a ReLU when `relu`.
    func run(_ x: AnalysisNetwork.Tensor, threads: Int, path: KernelPath) -> AnalysisNetwork.Tensor {
        let c = layer
        guard let plan = ConvolutionPlan(c, height: x.height, width: x.width, channelStride: c.inChannels) else {
            return AnalysisNetwork.Tensor(channels: c.outChannels, height: 0, width: 0, values: [])
        }
        let input = plan.padded(x.values, channels: c.inChannels)
        let cout = c.outChannels
        var out = [Float](repeating: 0, count: plan.outputHeight * plan.outputWidth * cout)
        out.withUnsafeMutableBufferPointer { o in
            nonisolated(unsafe) let o = o
            weights.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    input.withUnsafeBufferPointer { input in
                        let kernel = lcae_float_layer(weights: w.baseAddress, bias: b.baseAddress, cin: Int32(c.inChannels),
                                                      cout: Int32(cout), cout_padded: Int32(paddedOutputs), relu: relu ? 1 : 0)
                        plan.forEachRun(threads: threads) { run in
                            run.taps.withUnsafeBufferPointer { taps in
                                run.offsets.withUnsafeBufferPointer { offsets in
                                    withUnsafePointer(to: kernel) { kernel in
                                        lcae_float_convolve(kernel, Int32(taps.count), taps.baseAddress, offsets.baseAddress,
                                                          input.baseAddress.map { $0 + run.inputStart }, run.inputStep, Int32(run.count),
                                                          o.baseAddress.map { $0 + run.outputStart * cout }, run.outputStep * cout,
                                                          Int32(path.rawValue))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return AnalysisNetwork.Tensor(channels: cout, height: plan.outputHeight, width: plan.outputWidth, values: out)
    }
}
