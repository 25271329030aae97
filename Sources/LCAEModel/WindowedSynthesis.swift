/// The integer synthesis (spec §15.4) restricted to a window of its output, for encoders that
/// try changes of one latent value (RDOQ): each layer computes only the window of its output
/// that the next layer's window reads, from the window of its input that reaches it. The
/// result is bit for bit the matching part of the whole synthesis, since every value of the
/// output window sees all of its taps.
package struct WindowedSynthesis: Sendable {
    enum Step: Sendable {
        case relu
        case convolution(PackedInt16Convolution)
    }

    let model: CodecModel
    let steps: [Step]
    let path: KernelPath

    /// The layers of `synthesis`, whose packed convolutions it reuses; a block transform's
    /// layer is packed as any other convolution, since windows cut across its blocks.
    package init(_ synthesis: SynthesisNetwork) {
        model = synthesis.model
        path = synthesis.path
        steps = synthesis.steps.map { step in
            switch step {
            case .relu: .relu
            case .convolution(let packed): .convolution(packed)
            case .blockTransposed(let block): .convolution(PackedInt16Convolution(block.layer, relu: false))
            }
        }
    }

    /// For an `output` window of the last layer and a latent of `height` × `width`: the latent
    /// window the synthesis reads, and each convolution's input and output windows, first
    /// layer first. Nil when a layer's size is undefined (§15.4.3).
    package func windows(for output: Window, height: Int, width: Int) -> (latent: Window, layers: [(input: Window, output: Window)])? {
        var sizes = [(height, width)]
        for case .convolution(let p) in steps {
            guard let last = sizes.last, let next = p.layer.outputSize(height: last.0, width: last.1) else { return nil }
            sizes.append(next)
        }
        var needed = output
        var layers: [(input: Window, output: Window)] = []
        var index = sizes.count - 1
        for case .convolution(let p) in steps.reversed() {
            let c = p.layer
            index -= 1
            let (h, w) = sizes[index]
            // The bounding box of the input positions the window's taps read, within the input.
            func range(_ first: Int, _ count: Int, _ k: Int, _ s: Int, _ pad: Int, _ size: Int) -> (Int, Int) {
                var (low, high) = (Int.max, Int.min)
                for o in first..<(first + count) {
                    for kk in 0..<k {
                        guard let i = ConvolutionPlan.source(o, kk, stride: s, pad: pad, transposed: c.transposed), i >= 0, i < size else { continue }
                        (low, high) = (min(low, i), max(high, i))
                    }
                }
                return low > high ? (0, 0) : (low, high - low + 1)
            }
            let rows = range(needed.y, needed.height, c.kernelHeight, c.strideY, c.padY, h)
            let columns = range(needed.x, needed.width, c.kernelWidth, c.strideX, c.padX, w)
            let input = Window(y: rows.0, x: columns.0, height: rows.1, width: columns.1)
            layers.append((input, needed))
            needed = input
        }
        return (needed, layers.reversed())
    }

    /// The last layer's output over the windows `windows(for:)` gave, for `latent` (read
    /// through `value`) at `step`.
    package func run(_ windows: (latent: Window, layers: [(input: Window, output: Window)]), step: LatentStep, channels: Int,
             value: (_ channel: Int, _ row: Int, _ column: Int) -> Int32) -> Activation {
        let w = windows.latent
        var input = [Int16](repeating: 0, count: w.height * w.width * channels)
        for k in 0..<channels {
            let gain = Int64(step.gain(k))
            for r in 0..<w.height {
                for c in 0..<w.width {
                    let v = value(k, w.y + r, w.x + c)
                    if v != 0 { input[(r * w.width + c) * channels + k] = step.scaled(v, gain: gain) }
                }
            }
        }
        var x = Activation(channels: channels, height: w.height, width: w.width, values: input)
        var layer = 0
        for step in steps {
            switch step {
            case .relu:
                for i in x.values.indices where x.values[i] < 0 { x.values[i] = 0 }
            case .convolution(let p):
                let (inputWindow, outputWindow) = windows.layers[layer]
                x = p.run(x, input: inputWindow, output: outputWindow, path: path)
                layer += 1
            }
        }
        return x
    }
}
