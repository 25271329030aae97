import LCAESupport

/// A transposed convolution whose kernel equals its stride, without padding or output padding
/// (spec §15.4.2): each input position writes a block of the output of its own, so the layer's
/// accumulators for a block are the bias plus the nonzero inputs times their channel's kernel.
///
/// Latents are sparse (at quality 90 a block has about 110 nonzero values among 768), so the
/// kernel walks, per block, a list of its nonzero inputs taken two at a time: the two channels'
/// int16 weights are interleaved and multiplied by the two values as 16 × 16 → 32-bit products
/// summed in pairs, which SSE2 does eight at a time (`pmaddwd`). The pair sum is exact modulo
/// 2^32 (it overflows only for −32768 · −32768 twice, which wraps to the same residue), and sums
/// modulo 2^32 do not depend on their order, so the result is the spec's bit for bit.
package struct BlockTransposedConvolution: Sendable {
    package let layer: Layer.Convolution
    /// Values a block's kernel writes: kernel height × kernel width × output channels.
    package let blockSize: Int
    /// `blockSize` rounded up to whole tiles; the padding weights and biases are zero.
    package let stride: Int
    /// `[input channel][ky][kx][output channel]`, each channel's row `stride` long.
    package let weights: [Int16]
    /// The bias of every value of a block, in the order of a weight row.
    package let biases: [Int32]

    /// Accumulators a tile keeps in registers: eight SSE vectors of four.
    static let tile = 32

    static func accepts(_ c: Layer.Convolution) -> Bool {
        c.transposed && c.kernelHeight == c.strideY && c.kernelWidth == c.strideX && c.padY == 0 && c.padX == 0
            && c.outputPadY == 0 && c.outputPadX == 0
    }

    init(_ c: Layer.Convolution) {
        layer = c
        blockSize = c.kernelHeight * c.kernelWidth * c.outChannels
        let stride = (blockSize + Self.tile - 1) / Self.tile * Self.tile
        self.stride = stride
        var weights = [Int16](repeating: 0, count: c.inChannels * stride)
        var biases = [Int32](repeating: 0, count: stride)
        for t in 0..<blockSize { biases[t] = c.bias[t % c.outChannels] }
        // A transposed convolution's weights are stored [in][out][ky][kx] (spec §15.3): read them
        // in that order.
        let taps = c.kernelHeight * c.kernelWidth
        c.weights.withUnsafeBufferPointer { source in
            weights.withUnsafeMutableBufferPointer { target in
                var n = 0
                for i in 0..<c.inChannels {
                    for o in 0..<c.outChannels {
                        for tap in 0..<taps {
                            target[i * stride + tap * c.outChannels + o] = source[n]
                            n += 1
                        }
                    }
                }
            }
        }
        self.weights = weights
        self.biases = biases
    }

    /// Two nonzero inputs of a block: their weight rows and their values. A model file is at
    /// most 2^28 bytes (spec §15.5), so a row's offset, in int16 weights, fits 32 bits.
    struct Pair {
        var first: Int32
        var second: Int32
        var values: SIMD8<Int16>
    }

    /// The layer's output for `planes`, the input channel by channel (C × H × W), so that one
    /// channel's values along a row of blocks are contiguous.
    func run(planes x: [Int16], height: Int, width: Int, threads: Int) -> Activation {
        let c = layer
        let (kh, kw, cin, cout) = (c.kernelHeight, c.kernelWidth, c.inChannels, c.outChannels)
        let plane = height * width
        let (outH, outW) = (height * kh, width * kw)
        var out = [Int16](repeating: 0, count: outH * outW * cout)
        // Where a block's value t lands, from the block's top-left output value.
        let placement = (0..<blockSize).map { t in (t / (kw * cout)) * outW * cout + t % (kw * cout) }
        let capacity = cin / 2 + 1
        out.withUnsafeMutableBufferPointer { o in
            weights.withUnsafeBufferPointer { w in
                biases.withUnsafeBufferPointer { bias in
                    x.withUnsafeBufferPointer { input in
                        placement.withUnsafeBufferPointer { placement in
                            Parallel.forEach(height, threads: threads) { by in
                                var pairs = [Pair](repeating: Pair(first: 0, second: 0, values: .zero), count: width * capacity)
                                var counts = [Int](repeating: 0, count: width)
                                var pending = [Int](repeating: -1, count: width)
                                pairs.withUnsafeMutableBufferPointer { pairs in
                                    // Channel by channel, so each block's list is in channel order.
                                    for i in 0..<cin {
                                        let row = i * plane + by * width
                                        for bx in 0..<width {
                                            let v = input[row + bx]
                                            if v == 0 { continue }
                                            let p = pending[bx]
                                            if p < 0 {
                                                pending[bx] = i
                                            } else {
                                                let u = input[p * plane + by * width + bx]
                                                pairs[bx * capacity + counts[bx]] = Pair(first: Int32(p * stride), second: Int32(i * stride),
                                                                                         values: SIMD8(u, v, u, v, u, v, u, v))
                                                counts[bx] += 1
                                                pending[bx] = -1
                                            }
                                        }
                                    }
                                    // A last odd input goes with a zero: its pair's second product is 0.
                                    for bx in 0..<width where pending[bx] >= 0 {
                                        let p = pending[bx]
                                        let u = input[p * plane + by * width + bx]
                                        pairs[bx * capacity + counts[bx]] = Pair(first: Int32(p * stride), second: Int32(p * stride),
                                                                                 values: SIMD8(u, 0, u, 0, u, 0, u, 0))
                                        counts[bx] += 1
                                    }
                                    // Tile by tile, then block by block: a tile's weights for every channel
                                    // (64 bytes each) stay in the first-level cache across the row.
                                    for tile in Swift.stride(from: 0, to: blockSize, by: Self.tile) {
                                        for bx in 0..<width {
                                            let list = UnsafeBufferPointer(rebasing: pairs[(bx * capacity)..<(bx * capacity + counts[bx])])
                                            let acc = Self.accumulate(list, weights: w.baseAddress.unsafelyUnwrapped + tile,
                                                                      bias: bias.baseAddress.unsafelyUnwrapped + tile)
                                            let base = (by * kh * outW + bx * kw) * cout
                                            withUnsafeBytes(of: Self.output(acc, shift: c.shift)) { values in
                                                let values = values.bindMemory(to: Int16.self)
                                                for t in tile..<min(tile + Self.tile, blockSize) { o[base + placement[t]] = values[t - tile] }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Activation(channels: cout, height: outH, width: outW, values: out)
    }

    /// A tile's 32 accumulators: its biases plus every pair's two weights times their values.
    @inline(__always)
    static func accumulate(_ list: UnsafeBufferPointer<Pair>, weights: UnsafePointer<Int16>, bias: UnsafePointer<Int32>)
        -> (SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>) {
        let b = UnsafeRawPointer(bias)
        var a0 = b.loadUnaligned(fromByteOffset: 0, as: SIMD4<Int32>.self)
        var a1 = b.loadUnaligned(fromByteOffset: 16, as: SIMD4<Int32>.self)
        var a2 = b.loadUnaligned(fromByteOffset: 32, as: SIMD4<Int32>.self)
        var a3 = b.loadUnaligned(fromByteOffset: 48, as: SIMD4<Int32>.self)
        var a4 = b.loadUnaligned(fromByteOffset: 64, as: SIMD4<Int32>.self)
        var a5 = b.loadUnaligned(fromByteOffset: 80, as: SIMD4<Int32>.self)
        var a6 = b.loadUnaligned(fromByteOffset: 96, as: SIMD4<Int32>.self)
        var a7 = b.loadUnaligned(fromByteOffset: 112, as: SIMD4<Int32>.self)
        for pair in list {
            let r = UnsafeRawPointer(weights + Int(pair.first)), s = UnsafeRawPointer(weights + Int(pair.second))
            let v = pair.values
            for g in 0..<4 {
                let p = r.loadUnaligned(fromByteOffset: 16 * g, as: SIMD8<Int16>.self)
                let q = s.loadUnaligned(fromByteOffset: 16 * g, as: SIMD8<Int16>.self)
                let low = multiplyAddPairs(SIMD8(p[0], q[0], p[1], q[1], p[2], q[2], p[3], q[3]), v)
                let high = multiplyAddPairs(SIMD8(p[4], q[4], p[5], q[5], p[6], q[6], p[7], q[7]), v)
                switch g {
                case 0: a0 &+= low; a1 &+= high
                case 1: a2 &+= low; a3 &+= high
                case 2: a4 &+= low; a5 &+= high
                default: a6 &+= low; a7 &+= high
                }
            }
        }
        return (a0, a1, a2, a3, a4, a5, a6, a7)
    }

    /// A tile's outputs (spec §15.4.2): round_shift, then sat16. In 32 bits ⌊(a + 2^(s−1)) / 2^s⌋
    /// is (a >> s) plus bit s − 1 of a, which cannot overflow; the clamp packs as `packssdw`.
    @inline(__always)
    static func output(_ a: (SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>),
                       shift: Int) -> (SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>) {
        let s = Int32(shift), half = shift == 0 ? 0 : Int32(1)
        @inline(__always) func round(_ x: SIMD4<Int32>) -> SIMD4<Int32> {
            (x &>> s) &+ ((x &>> (s &- half)) & half)
        }
        @inline(__always) func pack(_ x: SIMD4<Int32>, _ y: SIMD4<Int32>) -> SIMD8<Int16> {
            let low = SIMD4<Int32>(repeating: -32768), high = SIMD4<Int32>(repeating: 32767)
            let x = round(x).clamped(lowerBound: low, upperBound: high), y = round(y).clamped(lowerBound: low, upperBound: high)
            return SIMD8(truncatingIfNeeded: SIMD8(lowHalf: x, highHalf: y))
        }
        return (pack(a.0, a.1), pack(a.2, a.3), pack(a.4, a.5), pack(a.6, a.7))
    }

    /// `x[2j]·v[2j] + x[2j+1]·v[2j+1]` in 32 bits, wrapping: the pattern LLVM lowers to `pmaddwd`.
    /// The lanes are widened one by one because the generic SIMD conversion is not always
    /// inlined, and a call per vector would cost more than the multiply.
    @inline(__always)
    static func multiplyAddPairs(_ x: SIMD8<Int16>, _ v: SIMD8<Int16>) -> SIMD4<Int32> {
        @inline(__always) func widen(_ x: SIMD8<Int16>) -> SIMD8<Int32> {
            SIMD8(Int32(x[0]), Int32(x[1]), Int32(x[2]), Int32(x[3]), Int32(x[4]), Int32(x[5]), Int32(x[6]), Int32(x[7]))
        }
        let p = widen(x) &* widen(v)
        return p.evenHalf &+ p.oddHalf
    }
}
