import CConvolution
import LCAESupport

/// The instruction set the convolution kernels use (the CConvolution target). Every path
/// computes the synthesis's sums modulo 2^32 (spec §15.4.2), so all give the same bits; the
/// float analysis may differ in the last bits between paths (it is not normative, §15.6).
public enum KernelPath: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case scalar = 0, sse2, avx2, avx512

    /// The fastest path this CPU supports (cpuid, once).
    public static let best = KernelPath(rawValue: Int(lcae_convolution_best_path())) ?? .scalar

    /// Every path this CPU can run, slowest first.
    public static var supported: [KernelPath] { allCases.filter { $0 <= best } }

    /// Orders paths from the slowest (scalar) to the fastest.
    public static func < (a: KernelPath, b: KernelPath) -> Bool { a.rawValue < b.rawValue }

    /// The path's name, as the tools print it.
    public var description: String {
        switch self {
        case .scalar: "scalar"
        case .sse2: "sse2"
        case .avx2: "avx2"
        case .avx512: "avx512-vnni"
        }
    }
}

/// A rectangle of a tensor's positions: its top-left corner in the whole tensor, and its size.
package struct Window: Equatable, Sendable {
    package var y: Int, x: Int, height: Int, width: Int

    package init(y: Int, x: Int, height: Int, width: Int) {
        (self.y, self.x, self.height, self.width) = (y, x, height, width)
    }

    static func whole(height: Int, width: Int) -> Window { Window(y: 0, x: 0, height: height, width: width) }
}

/// How one (transposed) convolution computes a window of its output from a window of its
/// input, the input being zero outside its window (spec §15.4.2's index rules, precomputed).
/// The input window is copied into a zero-padded buffer large enough that every tap reads
/// inside it, and each output row is one or more runs of positions that share their taps: a
/// convolution's row is one run; a transposed convolution's row has one run per column phase
/// (output column mod stride), since only those positions share which kernel columns reach
/// them. With whole windows this is the layer itself; RDOQ uses smaller ones.
struct ConvolutionPlan {
    let layer: Layer.Convolution
    let input: Window
    let output: Window
    /// Channels per position in the padded input (int16 kernels read input channels in pairs).
    let channelStride: Int
    let padTop: Int, padLeft: Int
    let paddedHeight: Int, paddedWidth: Int

    struct Run {
        /// Kernel positions `ky · kernel_w + kx`, and where each reads in the padded input.
        var taps: [Int32]
        var offsets: [Int]
        var inputStep: Int
        var count: Int
        /// Position in the output window (row-major) of the run's first value, and the step
        /// between its positions.
        var outputStart: Int
        var outputStep: Int
    }

    /// The input row (or column) that kernel position `k` connects to output `o`, if any
    /// (spec §15.4.2): `o·s + k − p` for a convolution; `(o + p − k) / s` when it divides
    /// exactly, for a transposed convolution. It may lie outside the input.
    static func source(_ o: Int, _ k: Int, stride: Int, pad: Int, transposed: Bool) -> Int? {
        guard transposed else { return o * stride + k - pad }
        let t = o + pad - k
        return t % stride == 0 ? t / stride : nil
    }

    /// The whole layer on an input of `height` × `width`; nil when the output is empty (§15.4.3).
    init?(_ c: Layer.Convolution, height: Int, width: Int, channelStride: Int) {
        guard let (outH, outW) = c.outputSize(height: height, width: width) else { return nil }
        self.init(c, input: .whole(height: height, width: width), output: .whole(height: outH, width: outW), channelStride: channelStride)
    }

    init(_ c: Layer.Convolution, input: Window, output: Window, channelStride: Int) {
        layer = c
        (self.input, self.output, self.channelStride) = (input, output, channelStride)
        // The input rows (columns) any output row (column) of the window reads, relative to the
        // input window: the padding is what lies outside it.
        func span(_ first: Int, _ count: Int, _ k: Int, _ s: Int, _ p: Int, _ origin: Int, _ size: Int) -> (before: Int, after: Int) {
            var (low, high) = (0, size - 1)
            for o in first..<(first + count) {
                for kk in 0..<k {
                    guard let i = Self.source(o, kk, stride: s, pad: p, transposed: c.transposed) else { continue }
                    (low, high) = (min(low, i - origin), max(high, i - origin))
                }
            }
            return (-low, high - (size - 1))
        }
        let rows = span(output.y, output.height, c.kernelHeight, c.strideY, c.padY, input.y, input.height)
        let columns = span(output.x, output.width, c.kernelWidth, c.strideX, c.padX, input.x, input.width)
        (padTop, padLeft) = (rows.before, columns.before)
        (paddedHeight, paddedWidth) = (input.height + rows.before + rows.after, input.width + columns.before + columns.after)
    }

    /// The runs of row `r` of the output window.
    func runs(row r: Int) -> [Run] {
        let c = layer
        let (pw, cs) = (paddedWidth, channelStride)
        let y = output.y + r
        // A convolution's positions all share their taps; a transposed convolution's share
        // them when their columns have the same phase.
        let phases = c.transposed ? min(c.strideX, output.width) : 1
        var runs: [Run] = []
        for phase in 0..<phases {
            let first = output.x + phase
            var taps: [Int32] = [], offsets: [Int] = []
            for ky in 0..<c.kernelHeight {
                guard let iy = Self.source(y, ky, stride: c.strideY, pad: c.padY, transposed: c.transposed) else { continue }
                for kx in 0..<c.kernelWidth {
                    guard let ix = Self.source(first, kx, stride: c.strideX, pad: c.padX, transposed: c.transposed) else { continue }
                    taps.append(Int32(ky * c.kernelWidth + kx))
                    offsets.append(((iy - input.y + padTop) * pw + ix - input.x + padLeft) * cs)
                }
            }
            runs.append(Run(taps: taps, offsets: offsets, inputStep: (c.transposed ? 1 : c.strideX) * cs,
                            count: (output.width - 1 - phase) / phases + 1,
                            outputStart: r * output.width + phase, outputStep: phases))
        }
        return runs
    }

    /// The input window's values (height × width × `channels`) in the padded layout, zeros
    /// around them and in the channels past `channels`.
    func padded<T: Numeric>(_ values: [T], channels: Int) -> [T] {
        var out = [T](repeating: 0, count: paddedHeight * paddedWidth * channelStride)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<input.height {
                    for x in 0..<input.width {
                        let s = (y * input.width + x) * channels
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
        Parallel.forEach(output.height, threads: threads) { r in
            for run in runs(row: r) { body(run) }
        }
    }
}

/// A convolution's int16 weights packed for the kernels: by kernel position, then input
/// channel pair, then output channel, the pair's two weights side by side.
///
/// A transposed convolution with few output channels (the last layer of an image synthesis
/// has three) would fill a vector's lanes poorly, so it runs as its phase-merged form: the
/// stride-1 convolution over the same input whose outputs at position (by, bx) are the
/// stride_y × stride_x output positions (by · stride_y + py, bx · stride_x + px), each with the
/// taps that reach it and zero weights elsewhere. Every output is the same sum, so the bits
/// are the same (spec §15.4.2).
package struct PackedInt16Convolution: Sendable {
    /// The layer as the model gives it.
    let layer: Layer.Convolution
    let relu: Bool
    /// What the kernels run: `layer`, or its phase-merged form.
    let kernelLayer: Layer.Convolution
    let merged: Bool
    let weights: [Int16]
    let bias: [Int32]
    let inputPairs: Int
    let paddedOutputs: Int

    init(_ c: Layer.Convolution, relu: Bool) {
        layer = c
        self.relu = relu
        let merge = Self.phaseMerged(c)
        kernelLayer = merge ?? c
        merged = merge != nil
        let k = kernelLayer
        inputPairs = (k.inChannels + 1) / 2
        paddedOutputs = (k.outChannels + 15) / 16 * 16
        var weights = [Int16](repeating: 0, count: k.kernelSize * inputPairs * paddedOutputs * 2)
        for ky in 0..<k.kernelHeight {
            for kx in 0..<k.kernelWidth {
                let tap = ky * k.kernelWidth + kx
                for i in 0..<k.inChannels {
                    for o in 0..<k.outChannels {
                        weights[((tap * inputPairs + i / 2) * paddedOutputs + o) * 2 + i % 2] = k.weight(input: i, output: o, ky, kx)
                    }
                }
            }
        }
        self.weights = weights
        bias = k.bias + [Int32](repeating: 0, count: paddedOutputs - k.outChannels)
    }

    /// The phase-merged form of a transposed convolution whose stride_y × stride_x × output
    /// channels fit one 16-lane vector, or nil. Output (by · sy + py, bx · sx + px) is reached by
    /// kernel row ky from input row by + dy where ky = py + pad_y − sy · dy (§15.4.2), so the
    /// merged layer has a tap for each dy (and dx) that occurs, and output channel
    /// (py · sx + px) · C + o.
    static func phaseMerged(_ c: Layer.Convolution) -> Layer.Convolution? {
        let (sy, sx, cout) = (c.strideY, c.strideX, c.outChannels)
        guard c.transposed, sy * sx > 1, sy * sx * cout <= 16 else { return nil }
        func offsets(_ s: Int, _ pad: Int, _ k: Int) -> ClosedRange<Int>? {
            var all: [Int] = []
            for p in 0..<s {
                for kk in 0..<k where (p + pad - kk) % s == 0 { all.append((p + pad - kk) / s) }
            }
            guard let low = all.min(), let high = all.max(), low <= 0 else { return nil }
            return low...high
        }
        guard let dys = offsets(sy, c.padY, c.kernelHeight), let dxs = offsets(sx, c.padX, c.kernelWidth) else { return nil }
        let (kh, kw, cin, mergedOut) = (dys.count, dxs.count, c.inChannels, sy * sx * cout)
        var weights = [Int16](repeating: 0, count: mergedOut * cin * kh * kw)
        var bias = [Int32](repeating: 0, count: mergedOut)
        for py in 0..<sy {
            for px in 0..<sx {
                for o in 0..<cout {
                    let out = (py * sx + px) * cout + o
                    bias[out] = c.bias[o]
                    for (ty, dy) in dys.enumerated() {
                        let ky = py + c.padY - sy * dy
                        guard ky >= 0, ky < c.kernelHeight else { continue }
                        for (tx, dx) in dxs.enumerated() {
                            let kx = px + c.padX - sx * dx
                            guard kx >= 0, kx < c.kernelWidth else { continue }
                            for i in 0..<cin { weights[((out * cin + i) * kh + ty) * kw + tx] = c.weight(input: i, output: o, ky, kx) }
                        }
                    }
                }
            }
        }
        return Layer.Convolution(transposed: false, inChannels: cin, outChannels: mergedOut, kernel: (kh, kw), stride: (1, 1),
                                 padding: (-dys.lowerBound, -dxs.lowerBound), shift: c.shift, weights: weights, bias: bias)
    }

    /// The layer on `x` (spec §15.4.2), followed by a ReLU when `relu`.
    func run(_ x: Activation, threads: Int, path: KernelPath) -> Activation {
        guard let (h, w) = layer.outputSize(height: x.height, width: x.width) else {
            return Activation(channels: layer.outChannels, height: 0, width: 0, values: [])
        }
        return run(x, input: .whole(height: x.height, width: x.width), output: .whole(height: h, width: w), threads: threads, path: path)
    }

    /// The `output` window of the layer when `x` is the `input` window of its input, the rest
    /// of which counts as zero.
    func run(_ x: Activation, input: Window, output: Window, threads: Int = 1, path: KernelPath) -> Activation {
        guard merged else {
            return run(x, plan: ConvolutionPlan(layer, input: input, output: output, channelStride: 2 * inputPairs), threads: threads, path: path)
        }
        // The blocks of phases that cover the window, then each output where it belongs.
        let (sy, sx, cout) = (layer.strideY, layer.strideX, layer.outChannels)
        let blocks = Window(y: output.y / sy, x: output.x / sx, height: (output.y + output.height + sy - 1) / sy - output.y / sy,
                            width: (output.x + output.width + sx - 1) / sx - output.x / sx)
        let phases = run(x, plan: ConvolutionPlan(kernelLayer, input: input, output: blocks, channelStride: 2 * inputPairs),
                         threads: threads, path: path)
        var out = [Int16](repeating: 0, count: output.height * output.width * cout)
        for r in 0..<output.height {
            let y = output.y + r
            let (by, py) = (y / sy - blocks.y, y % sy)
            for col in 0..<output.width {
                let x = output.x + col
                let (bx, px) = (x / sx - blocks.x, x % sx)
                let source = (by * blocks.width + bx) * phases.channels + (py * sx + px) * cout
                let target = (r * output.width + col) * cout
                for o in 0..<cout { out[target + o] = phases.values[source + o] }
            }
        }
        return Activation(channels: cout, height: output.height, width: output.width, values: out)
    }

    private func run(_ x: Activation, plan: ConvolutionPlan, threads: Int, path: KernelPath) -> Activation {
        let c = plan.layer
        let input = plan.padded(x.values, channels: c.inChannels)
        let cout = c.outChannels
        var out = [Int16](repeating: 0, count: plan.output.height * plan.output.width * cout)
        out.withUnsafeMutableBufferPointer { o in
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
                                                          input.baseAddress, run.inputStep, Int32(run.count),
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
        return Activation(channels: cout, height: plan.output.height, width: plan.output.width, values: out)
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
        var out = [Float](repeating: 0, count: plan.output.height * plan.output.width * cout)
        out.withUnsafeMutableBufferPointer { o in
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
                                                          input.baseAddress, run.inputStep, Int32(run.count),
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
        return AnalysisNetwork.Tensor(channels: cout, height: plan.output.height, width: plan.output.width, values: out)
    }
}
