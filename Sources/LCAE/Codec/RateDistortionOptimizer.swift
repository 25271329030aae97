import Foundation

/// Inference-based rate-distortion optimised quantization (seed 002 §3.2), an encoder tool:
/// the decoder's own integer synthesis is in the loop, each value that is not its channel's
/// most probable value is tried at ±1, a move is kept when it lowers D + λR, and a few passes
/// run over the latent. D is the squared error of the decoded samples against the original
/// (8-bit units); R is the context model's cost in bits, including the cost change of the
/// neighbours whose contexts the value takes part in (right, below, next coded channel).
///
/// Updates stay within the value's receptive field. This implementation handles models whose
/// synthesis is one transposed convolution with kernel = stride (a block transform, like the
/// default model): there the receptive field is one block, and a move's distortion change is
/// computed exactly from that block's accumulators.
public struct RateDistortionOptimizer: Sendable {
    /// Squared 8-bit sample error per bit.
    public var lambda: Double
    public var passes: Int

    public init(lambda: Double, passes: Int = 3) {
        self.lambda = lambda
        self.passes = passes
    }

    public struct Report: Sendable {
        /// Values moved in each pass.
        public var moves: [Int]
        /// Squared error before and after.
        public var distortion: (before: Int, after: Int)
        /// The context model's estimate of the latent's bits before and after.
        public var bits: (before: Double, after: Double)
    }

    func optimize(_ latent: inout LatentTensor, image: Image, synthesis: SynthesisNetwork, step: LatentStep, tables: ContextTables,
                  progress: (String) -> Void) throws -> Report {
        guard synthesis.steps.count == 1, case .blockTransposed(let layer) = synthesis.steps[0] else {
            throw CodecError(.unsupportedModel, "RDOQ handles block-transform models (one transposed convolution with kernel = stride); this model's receptive field is wider")
        }
        var blocks = BlockReconstruction(layer: layer, model: synthesis.model, image: image, latent: latent, step: step)
        let rate = RateModel(tables, latent: latent)
        let distortionBefore = blocks.totalDistortion
        let bitsBefore = rate.bits(latent)
        var moves: [Int] = []
        let (c, h, w) = (latent.channels, latent.height, latent.width)
        let plane = h * w
        for pass in 0..<passes {
            var moved = 0
            for by in 0..<h {
                for bx in 0..<w {
                    for k in rate.order {
                        let index = k * plane + by * w + bx
                        let v = latent.values[index]
                        if v == rate.mostProbable[k] { continue }
                        var best: (delta: Int32, cost: Double, distortion: Int) = (0, 0, 0)
                        for delta: Int32 in [-1, 1] {
                            let (candidate, overflow) = v.addingReportingOverflow(delta)
                            if overflow { continue }
                            let bits = rate.delta(latent, channel: k, row: by, column: bx, from: v, to: candidate)
                            let distortion = blocks.distortionChange(row: by, column: bx, channel: k, from: v, to: candidate)
                            let cost = Double(distortion) + lambda * bits
                            if cost < best.cost { best = (delta, cost, distortion) }
                        }
                        if best.delta != 0 {
                            blocks.apply(row: by, column: bx, channel: k, from: v, to: v &+ best.delta)
                            latent.values[index] = v &+ best.delta
                            moved += 1
                        }
                    }
                }
            }
            moves.append(moved)
            progress("RDOQ pass \(pass + 1)/\(passes): \(moved) of \(c * plane) values moved")
            if moved == 0 { break }
        }
        return Report(moves: moves, distortion: (distortionBefore, blocks.totalDistortion), bits: (bitsBefore, rate.bits(latent)))
    }
}

/// The accumulators of every block of a block-transform synthesis, and each block's squared
/// error against the original, kept in step with the latent as RDOQ moves values.
struct BlockReconstruction {
    /// `[in][ky][kx][out]`, each input channel's row `weightStride` long.
    let weights: [Int16]
    let weightStride: Int
    let blockSize: Int
    let kernel: (Int, Int)
    let shift: Int
    let outputShift: Int
    let maximum: Int32
    let gains: [Int64]
    let step: LatentStep
    let width: Int
    /// Per block: accumulators, then the original samples in the same order (−1 outside the image).
    var accumulators: [Int32]
    let originals: [Int32]
    var distortions: [Int]

    init(layer block: BlockTransposedConvolution, model: Model, image: Image, latent: LatentTensor, step: LatentStep) {
        let layer = block.layer
        weights = block.weights
        weightStride = block.stride
        kernel = (layer.kernelHeight, layer.kernelWidth)
        blockSize = block.blockSize
        shift = layer.shift
        outputShift = model.outputFractionBits
        maximum = Int32((1 << model.bitDepth) - 1)
        gains = (0..<latent.channels).map { Int64(step.gain($0)) }
        self.step = step
        width = latent.width
        let blocks = latent.height * latent.width
        let cout = layer.outChannels
        var accumulators = [Int32](repeating: 0, count: blocks * blockSize)
        var originals = [Int32](repeating: -1, count: blocks * blockSize)
        let input = SynthesisNetwork.input(latent, step: step)
        for b in 0..<blocks {
            let (by, bx) = (b / latent.width, b % latent.width)
            for t in 0..<blockSize { accumulators[b * blockSize + t] = block.biases[t] }
            for i in 0..<latent.channels {
                let v = Int32(input.values[b * latent.channels + i])
                if v == 0 { continue }
                for t in 0..<blockSize { accumulators[b * blockSize + t] &+= v &* Int32(weights[i * weightStride + t]) }
            }
            for ky in 0..<kernel.0 {
                for kx in 0..<kernel.1 {
                    let (y, x) = (by * kernel.0 + ky, bx * kernel.1 + kx)
                    guard y < image.height, x < image.width else { continue }
                    for o in 0..<cout {
                        originals[b * blockSize + (ky * kernel.1 + kx) * cout + o] = Int32(image.samples[(y * image.width + x) * cout + o])
                    }
                }
            }
        }
        self.accumulators = accumulators
        self.originals = originals
        distortions = []
        distortions = (0..<blocks).map { b in error(block: b, channel: nil, delta: 0) }
    }

    var totalDistortion: Int { distortions.reduce(0, +) }

    /// The synthesis input of one latent value (spec §15.4.1).
    @inline(__always)
    func input(_ v: Int32, channel: Int) -> Int32 {
        Int32(step.scaled(v, gain: gains[channel]))
    }

    /// The block's squared error if input `channel` changed by `delta` (none when nil).
    func error(block b: Int, channel: Int?, delta: Int32) -> Int {
        let base = b * blockSize
        // No channel is channel 0 changed by 0.
        let (row, delta) = channel.map { ($0 * weightStride, delta) } ?? (0, 0)
        let (blockSize, shift, outputShift, maximum) = (blockSize, shift, outputShift, maximum)
        var sum: UInt64 = 0
        accumulators.withUnsafeBufferPointer { acc in
            originals.withUnsafeBufferPointer { original in
                weights.withUnsafeBufferPointer { w in
                    let acc = UnsafeBufferPointer(rebasing: acc[base..<(base + blockSize)])
                    let original = UnsafeBufferPointer(rebasing: original[base..<(base + blockSize)])
                    let w = UnsafeBufferPointer(rebasing: w[row..<(row + blockSize)])
                    // Branch-free: samples outside the image (target −1) count 0. A sample and its
                    // target are below 2^16, so the square fits 32 bits unsigned.
                    for t in 0..<blockSize {
                        let a = acc[t] &+ delta &* Int32(w[t])
                        let sample = SynthesisNetwork.sample(SynthesisNetwork.layerOutput(a, shift: shift), fractionBits: outputShift, maximum: maximum)
                        let e = original[t] < 0 ? 0 : Int32(sample) &- original[t]
                        sum &+= UInt64(UInt32(bitPattern: e &* e))
                    }
                }
            }
        }
        return Int(sum)
    }

    func distortionChange(row: Int, column: Int, channel: Int, from: Int32, to: Int32) -> Int {
        let delta = input(to, channel: channel) &- input(from, channel: channel)
        if delta == 0 { return 0 }
        let b = row * width + column
        return error(block: b, channel: channel, delta: delta) - distortions[b]
    }

    mutating func apply(row: Int, column: Int, channel: Int, from: Int32, to: Int32) {
        let delta = input(to, channel: channel) &- input(from, channel: channel)
        let b = row * width + column
        let (base, wrow) = (b * blockSize, channel * weightStride)
        for t in 0..<blockSize { accumulators[base + t] &+= delta &* Int32(weights[wrow + t]) }
        distortions[b] = error(block: b, channel: nil, delta: 0)
    }
}

/// The context model's cost of values in bits (spec §12.3, §10.4), for RDOQ's rate term.
struct RateModel {
    let order: [Int]
    let mostProbable: [Int32]
    let previous: [Int?]
    let next: [Int?]
    let reach: [ContextTables.Reach]
    let offsets: [Int32]
    let symbolCounts: [Int]
    /// costs[k][context][symbol], bits.
    let costs: [[[Double]]]
    let precision: Int

    init(_ tables: ContextTables, latent: LatentTensor) {
        order = tables.order
        mostProbable = tables.channels.map(\.mostProbable)
        var previous = [Int?](repeating: nil, count: tables.channelCount)
        var next = [Int?](repeating: nil, count: tables.channelCount)
        for p in 1..<max(1, order.count) {
            previous[order[p]] = order[p - 1]
            next[order[p - 1]] = order[p]
        }
        self.previous = previous
        self.next = next
        reach = tables.channels.map(tables.reach)
        offsets = tables.channels.map(\.offset)
        symbolCounts = tables.channels.map(\.symbolCount)
        precision = tables.precision
        costs = tables.channels.map { channel in
            channel.models.map { model in
                (0..<model.symbolCount).map { Double(tables.precision) - log2(Double(model.frequency($0))) }
            }
        }
    }

    func context(_ latent: LatentTensor, channel k: Int, row r: Int, column c: Int) -> Int {
        var n = 0
        if c > 0, reach[k].reaches(latent[k, r, c - 1]) { n += 1 }
        if r > 0, reach[k].reaches(latent[k, r - 1, c]) { n += 1 }
        if let p = previous[k], reach[p].reaches(latent[p, r, c]) { n += 1 }
        return n
    }

    /// Bits of value v in channel k under a context: its symbol, or the escape symbol and the
    /// escape's raw bits (spec §10.4).
    func cost(_ v: Int32, channel k: Int, context: Int) -> Double {
        let escape = symbolCounts[k] - 1
        let s = Int64(v) - Int64(offsets[k])
        if s >= 0 && s < Int64(escape) { return costs[k][context][Int(s)] }
        let high = Int64(offsets[k]) + Int64(escape)
        let z = v >= high ? 2 * (Int64(v) - high) : 2 * (Int64(offsets[k]) - 1 - Int64(v)) + 1
        let length = Int64.bitWidth - (z + 1).leadingZeroBitCount - 1
        return costs[k][context][escape] + 6 + Double(length)
    }

    func bits(_ latent: LatentTensor) -> Double {
        var total = 0.0
        for k in order {
            for r in 0..<latent.height {
                for c in 0..<latent.width {
                    total += cost(latent[k, r, c], channel: k, context: context(latent, channel: k, row: r, column: c))
                }
            }
        }
        return total
    }

    /// The change in bits when v(k, r, c) goes from `from` to `to`: its own cost, and the costs of
    /// the values whose context it takes part in, where it flips between reaching and not.
    func delta(_ latent: LatentTensor, channel k: Int, row r: Int, column c: Int, from: Int32, to: Int32) -> Double {
        let own = context(latent, channel: k, row: r, column: c)
        var bits = cost(to, channel: k, context: own) - cost(from, channel: k, context: own)
        let flip = reach[k].reaches(from) != reach[k].reaches(to)
        guard flip else { return bits }
        let step = reach[k].reaches(to) ? 1 : -1
        func neighbour(_ channel: Int, _ row: Int, _ column: Int) {
            let v = latent[channel, row, column]
            let context = self.context(latent, channel: channel, row: row, column: column)
            bits += cost(v, channel: channel, context: context + step) - cost(v, channel: channel, context: context)
        }
        if c + 1 < latent.width { neighbour(k, r, c + 1) }
        if r + 1 < latent.height { neighbour(k, r + 1, c) }
        if let n = next[k] { neighbour(n, r, c) }
        return bits
    }
}
