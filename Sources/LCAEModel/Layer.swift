/// One layer of a model's network (spec §15.3).
public enum Layer: Equatable, Sendable {
    case convolution(Convolution)
    /// max(0, x), element-wise.
    case relu

    /// A 2-D convolution or transposed convolution with int16 weights, int32 biases and a
    /// power-of-two output quantizer (spec §15.3).
    public struct Convolution: Equatable, Sendable {
        /// True for a transposed convolution (layer kind 2), false for a convolution (kind 1) (spec §15.3).
        public var transposed: Bool
        /// in_channels, 1 to 4096 (spec §15.3).
        public var inChannels: Int
        /// out_channels, 1 to 4096 (spec §15.3).
        public var outChannels: Int
        /// kernel_h, 1 to 64 (spec §15.3).
        public var kernelHeight: Int
        /// kernel_w, 1 to 64 (spec §15.3).
        public var kernelWidth: Int
        /// stride_y, 1 to 64 (spec §15.3).
        public var strideY: Int
        /// stride_x, 1 to 64 (spec §15.3).
        public var strideX: Int
        /// pad_y, below kernel_h (spec §15.3).
        public var padY: Int
        /// pad_x, below kernel_w (spec §15.3).
        public var padX: Int
        /// Extra rows and columns at the bottom and right of a transposed convolution's output
        /// (PyTorch's `output_padding`); 0 for a convolution.
        public var outputPadY: Int
        /// output_pad_x: extra columns at the right of a transposed convolution's output; 0 for a convolution (spec §15.3).
        public var outputPadX: Int
        /// The accumulator is rounded and shifted right by this many bits (spec §15.4.2).
        public var shift: Int
        /// PyTorch's layouts: `[out][in][kh][kw]` for a convolution, `[in][out][kh][kw]` for a
        /// transposed convolution.
        public var weights: [Int16]
        /// One bias per output channel (spec §15.3).
        public var bias: [Int32]

        /// A layer from its fields, unchecked (the model reader checks spec §15.3).
        public init(transposed: Bool, inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int),
                    padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), shift: Int,
                    weights: [Int16], bias: [Int32]) {
            self.transposed = transposed
            self.inChannels = inChannels
            self.outChannels = outChannels
            (kernelHeight, kernelWidth) = kernel
            (strideY, strideX) = stride
            (padY, padX) = padding
            (outputPadY, outputPadX) = outputPadding
            self.shift = shift
            self.weights = weights
            self.bias = bias
        }

        /// kernel_h × kernel_w.
        public var kernelSize: Int { kernelHeight * kernelWidth }

        /// The output height and width for an input of `height` × `width` (spec §15.4.2), or nil
        /// when the output would be empty.
        public func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
            let h: Int, w: Int
            if transposed {
                h = (height - 1) * strideY - 2 * padY + kernelHeight + outputPadY
                w = (width - 1) * strideX - 2 * padX + kernelWidth + outputPadX
            } else {
                let spanY = height + 2 * padY - kernelHeight, spanX = width + 2 * padX - kernelWidth
                guard spanY >= 0, spanX >= 0 else { return nil }
                h = spanY / strideY + 1
                w = spanX / strideX + 1
            }
            return h >= 1 && w >= 1 ? (h, w) : nil
        }

        /// The weight of input channel `i` for output channel `o` at kernel position (`ky`, `kx`).
        func weight(input i: Int, output o: Int, _ ky: Int, _ kx: Int) -> Int16 {
            let outer = transposed ? i * outChannels + o : o * inChannels + i
            return weights[(outer * kernelHeight + ky) * kernelWidth + kx]
        }
    }
}

extension Layer {
    /// A layer as the kernels run it: a convolution with the ReLU that follows it, if any,
    /// folded in (max(sat16(x), 0) is the ReLU of the layer's output), or a ReLU that follows
    /// no convolution.
    enum Fused: Sendable {
        case relu
        case convolution(Convolution, relu: Bool)
    }

    static func fused(_ layers: [Layer]) -> [Fused] {
        var out: [Fused] = []
        var rest = layers[...]
        while let layer = rest.popFirst() {
            switch layer {
            case .relu:
                out.append(.relu)
            case .convolution(let c):
                let relu = rest.first == .relu
                if relu { rest.removeFirst() }
                out.append(.convolution(c, relu: relu))
            }
        }
        return out
    }
}
