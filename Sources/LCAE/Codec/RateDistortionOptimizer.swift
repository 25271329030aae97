import Foundation
import LCAEContext
import LCAEModel
import LCAEPNG
import LCAESupport

/// Inference-based rate-distortion optimised quantization (“Entropy Coding Improvement for Low-complexity Compressive Auto-encoders” §3.2), an encoder tool:
/// the decoder's own integer synthesis is in the loop, each value that is not its channel's
/// most probable value is tried at ±1, a move is kept when it lowers D + λR, and a few passes
/// run over the latent. D is the squared error of the decoded samples against the original
/// (8-bit units); R is the context model's cost in bits, including the cost change of the
/// neighbours whose contexts the value takes part in (right, below, next coded channel).
///
/// When the synthesis is one transposed convolution with kernel = stride (a block transform)
/// the receptive field is one block, and a move's distortion change is computed exactly from
/// that block's accumulators. For any other model, D is the squared error over a window of the
/// image around the value: the pixels of its own latent position, and `window` positions
/// further on each side, from the decoder's integer synthesis run on just what that window
/// reads (`WindowedSynthesis`). The latent is cut into tiles wider than what a window reads;
/// each pass visits the tiles in four phases of a 2 × 2 pattern, the tiles of a phase in
/// parallel, so the moves and the stream are the same for any number of threads.
public struct RateDistortionOptimizer: Sendable {
    /// Squared 8-bit sample error per bit.
    public var lambda: Double
    /// Passes over the latent.
    public var passes: Int
    /// Models other than block transforms: 1 tries each value one step towards its channel's
    /// most probable value; 2 also one step away; 3 also widens the distortion window by one
    /// latent position on each side. Higher is slower and usually smaller.
    public var effort: Int

    /// An optimizer with the given λ, passes and effort.
    public init(lambda: Double, passes: Int = 3, effort: Int = 1) {
        self.lambda = lambda
        self.passes = passes
        self.effort = effort
    }

    /// What the optimization changed.
    public struct Report: Sendable {
        /// Values moved in each pass.
        public var moves: [Int]
        /// Squared error before and after.
        public var distortion: (before: Int, after: Int)
        /// The context model's estimate of the latent's bits before and after.
        public var bits: (before: Double, after: Double)
    }

    func optimize(_ latent: inout LatentTensor, image: RasterImage, synthesis: SynthesisNetwork, step: LatentStep, tables: ContextTables,
                  threads: Int = 1, progress: (String) -> Void) throws -> Report {
        guard synthesis.steps.count == 1, case .blockTransposed(let layer) = synthesis.steps[0] else {
            return try optimizeWindowed(&latent, image: image, synthesis: synthesis, step: step, tables: tables, threads: threads,
                                        progress: progress)
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

    /// RDOQ for any model, D over windows (see the type's comment).
    private func optimizeWindowed(_ latent: inout LatentTensor, image: RasterImage, synthesis: SynthesisNetwork, step: LatentStep,
                                  tables: ContextTables, threads: Int, progress: (String) -> Void) throws(CodecError) -> Report {
        let model = synthesis.model
        let (c, h, w) = (latent.channels, latent.height, latent.width)
        guard let full = synthesis.outputSize(height: h, width: w) else {
            throw CodecError(.unsupportedModel, "the synthesis output of a \(w)×\(h) latent is undefined")
        }
        // The image pixels of a latent position: the synthesis's scale, at least one.
        let (scaleY, scaleX) = (max(1, full.height / h), max(1, full.width / w))
        let radius = effort >= 3 ? 1 : 0
        let windowed = WindowedSynthesis(synthesis)
        func pixels(_ r: Int, _ col: Int) -> Window {
            let (y0, x0) = (max(0, (r - radius) * scaleY), max(0, (col - radius) * scaleX))
            let (y1, x1) = (min(image.height, (r + 1 + radius) * scaleY), min(image.width, (col + 1 + radius) * scaleX))
            return Window(y: y0, x: x0, height: max(0, y1 - y0), width: max(0, x1 - x0))
        }
        // How far a window's reads reach from its position, in latent positions: tiles are wider,
        // so tiles of one phase never read what another writes.
        var reach = 2  // the rate model reads neighbours of neighbours
        for (r, col) in [(h / 2, w / 2), (0, 0), (h - 1, w - 1)] {
            let area = pixels(r, col)
            guard area.height > 0, area.width > 0, let windows = windowed.windows(for: area, height: h, width: w) else { continue }
            let l = windows.latent
            reach = max(reach, r - l.y, l.y + l.height - 1 - r, col - l.x, l.x + l.width - 1 - col)
        }
        let tile = reach + 1
        let (tilesY, tilesX) = ((h + tile - 1) / tile, (w + tile - 1) / tile)

        let rate = RateModel(tables, latent: latent)
        let maximum = Int32((1 << model.bitDepth) - 1)
        let before = synthesis.run(latent, step: step, threads: threads)
        let distortionBefore = Self.distortion(synthesis.samples(before, height: image.height, width: image.width), image)
        let bitsBefore = rate.bits(latent)
        var moves: [Int] = []
        let candidates: [Int32] = effort >= 2 ? [-1, 1] : []
        latent.values.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedLatent(values: buffer, channels: c, height: h, width: w)
            // The squared error over `area`, with the synthesis reading `shared` except at one value.
            func error(_ area: Window, _ windows: (latent: Window, layers: [(input: Window, output: Window)]),
                       changing: (k: Int, r: Int, c: Int, v: Int32)?) -> Int {
                let out = windowed.run(windows, step: step, channels: c) { k, r, col in
                    if let changing, changing.k == k, changing.r == r, changing.c == col { return changing.v }
                    return shared[k, r, col]
                }
                var sum = 0
                for y in 0..<area.height {
                    for x in 0..<area.width {
                        for ch in 0..<image.channels {
                            let sample = SynthesisNetwork.sample(out.values[(y * area.width + x) * out.channels + ch],
                                                                 fractionBits: model.outputFractionBits, maximum: maximum)
                            let e = Int(sample) - Int(image.samples[((area.y + y) * image.width + area.x + x) * image.channels + ch])
                            sum += e * e
                        }
                    }
                }
                return sum
            }
            for pass in 0..<passes {
                var total = 0
                for phase in 0..<4 {
                    let tiles = (0..<(tilesY * tilesX)).filter { t in (t / tilesX) % 2 == phase / 2 && (t % tilesX) % 2 == phase % 2 }
                    // Tiles of one phase are further apart than a window reaches, so each
                    // thread reads and writes values that no other thread of the phase writes.
                    let counts = Parallel.map(tiles.count, threads: threads) { j in
                        var count = 0
                        let t = tiles[j]
                        let (ty, tx) = (t / tilesX, t % tilesX)
                        for r in (ty * tile)..<min(h, (ty + 1) * tile) {
                            for col in (tx * tile)..<min(w, (tx + 1) * tile) {
                                let area = pixels(r, col)
                                guard area.height > 0, area.width > 0, let windows = windowed.windows(for: area, height: h, width: w) else {
                                    continue
                                }
                                // The window's error as the latent stands; a move at this
                                // position makes the candidate's error the current one.
                                var current: Int?
                                for k in rate.order {
                                    let v = shared[k, r, col]
                                    let mode = rate.mostProbable[k]
                                    if v == mode { continue }
                                    let tries = candidates.isEmpty ? [v < mode ? 1 : -1] : candidates
                                    var best: (delta: Int32, cost: Double, error: Int) = (0, 0, 0)
                                    for delta in tries {
                                        let (candidate, overflow) = v.addingReportingOverflow(delta)
                                        if overflow { continue }
                                        let bits = rate.delta(shared, channel: k, row: r, column: col, from: v, to: candidate)
                                        let base = current ?? error(area, windows, changing: nil)
                                        current = base
                                        let candidateError = error(area, windows, changing: (k, r, col, candidate))
                                        let cost = Double(candidateError - base) + lambda * bits
                                        if cost < best.cost { best = (delta, cost, candidateError) }
                                    }
                                    if best.delta != 0 {
                                        shared[k, r, col] = v &+ best.delta
                                        current = best.error
                                        count += 1
                                    }
                                }
                            }
                        }
                        return count
                    }
                    total += counts.reduce(0, +)
                }
                moves.append(total)
                progress("RDOQ pass \(pass + 1)/\(passes): \(total) of \(c * h * w) values moved")
                if total == 0 { break }
            }
        }
        let after = synthesis.run(latent, step: step, threads: threads)
        let distortionAfter = Self.distortion(synthesis.samples(after, height: image.height, width: image.width), image)
        return Report(moves: moves, distortion: (distortionBefore, distortionAfter), bits: (bitsBefore, rate.bits(latent)))
    }

    static func distortion(_ samples: [UInt16], _ image: RasterImage) -> Int {
        zip(samples, image.samples).reduce(0) { sum, pair in
            let e = Int(pair.0) - Int(pair.1)
            return sum + e * e
        }
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

    init(layer block: BlockTransposedConvolution, model: CodecModel, image: RasterImage, latent: LatentTensor, step: LatentStep) {
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

    func context(_ latent: some LatentValues, channel k: Int, row r: Int, column c: Int) -> Int {
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
    func delta(_ latent: some LatentValues, channel k: Int, row r: Int, column c: Int, from: Int32, to: Int32) -> Double {
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

/// Read access to a latent's values for the rate model: a tensor, or a buffer that RDOQ's
/// tiles share.
protocol LatentValues {
    var height: Int { get }
    var width: Int { get }
    subscript(channel: Int, row: Int, column: Int) -> Int32 { get }
}

extension LatentTensor: LatentValues {}

/// A latent's values in a buffer that RDOQ's threads share, each writing only its own tiles.
struct SharedLatent: LatentValues {
    let values: UnsafeMutableBufferPointer<Int32>
    let channels: Int, height: Int, width: Int

    subscript(channel: Int, row: Int, column: Int) -> Int32 {
        get { values[(channel * height + row) * width + column] }
        nonmutating set { values[(channel * height + row) * width + column] = newValue }
    }
}
