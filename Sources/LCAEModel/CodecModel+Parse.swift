import LCAEContainer
import LCAEContext
import LCAESupport

extension CodecModel {
    /// Reads a model file (spec §15.1–§15.3), checking every field before it is used.
    public static func parse(_ bytes: [UInt8]) throws(ContainerError) -> CodecModel {
        guard bytes.count <= maxFileSize else {
            throw ContainerError(.limitExceeded, at: 0, "a model file is at most \(maxFileSize) bytes; this one has \(bytes.count) (spec §15.5)")
        }
        try Signature.check(bytes, against: signature, "a model file (spec §15.1)")
        guard bytes.count >= 12 else {
            throw ContainerError(.truncated, at: bytes.count, "a model file of \(bytes.count) bytes ends inside its header (spec §15.1)")
        }
        var r = ByteReader(bytes[signature.count...], fileOffset: signature.count)
        let size = Int(try r.u32("body_size"))
        guard size + 4 == r.remaining else {
            throw ContainerError(.badChunkLength, at: 8, "body_size \(size) does not match the \(r.remaining)-byte rest of the file (spec §15.1)")
        }
        let body = try r.bytes(size, "body")
        guard try r.u32("crc") == CRC32.checksum(body) else {
            throw ContainerError(.crcMismatch, at: 12 + size, "the model body's CRC does not match (spec §15.1)")
        }
        var b = ByteReader(body, fileOffset: 12)
        return try parseBody(&b, bytes)
    }

    /// Reads and parses the model file at `path` (spec §15.1–§15.3).
    ///
    /// A file above 2^28 bytes is refused with `limitExceeded` before it is read
    /// (spec §15.5); otherwise throws `ioError` when the file cannot be read, and
    /// the errors of `parse`.
    public static func read(contentsOf path: String) throws(ContainerError) -> CodecModel {
        var limits = Level.highest
        limits.maxPayloadBytes = maxFileSize
        limits.maxChunks = 0
        return try parse(ContainerReader.load(path, limits: limits))
    }

    private static func parseBody(_ r: inout ByteReader, _ bytes: [UInt8]) throws(ContainerError) -> CodecModel {
        var at = r.offset
        guard try r.u16("model_version") == version else {
            throw ContainerError(.unsupportedVersion, at: at, "model_version must be \(version) (spec §15.2)")
        }
        at = r.offset
        guard let colour = StreamHeader.ColourFormat(rawValue: try r.u8("colour_format")), colour != .none else {
            throw ContainerError(.badField, at: at, "colour_format must be 1 (grey) or 3 (RGB) (spec §15.2)")
        }
        at = r.offset
        let bitDepth = Int(try r.u8("bit_depth"))
        guard bitDepth == 8 || bitDepth == 16 else {
            throw ContainerError(.badField, at: at, "bit_depth must be 8 or 16 (spec §15.2)")
        }
        at = r.offset
        let latentChannels = Int(try r.u16("latent_channels"))
        guard (1...maxChannels).contains(latentChannels) else {
            throw ContainerError(.badField, at: at, "latent_channels must be 1…\(maxChannels) (spec §15.2)")
        }
        at = r.offset
        let inputBits = Int(try r.u8("input_fraction_bits"))
        let outputBits = Int(try r.u8("output_fraction_bits"))
        guard inputBits <= 15, outputBits <= 15 else {
            throw ContainerError(.badField, at: at, "fraction bits must be ≤ 15 (spec §15.2)")
        }
        at = r.offset
        let synthesis = try layers(&r, "synthesis")
        try checkChain(synthesis, from: latentChannels, to: colour.channels, at: at, "synthesis", required: true)
        at = r.offset
        let analysis = try layers(&r, "analysis")
        try checkChain(analysis, from: colour.channels, to: latentChannels, at: at, "analysis", required: false)
        at = r.offset
        let setCount = Int(try r.u16("table_set_count"))
        guard setCount <= maxTableSets else {
            throw ContainerError(.limitExceeded, at: at, "at most \(maxTableSets) table sets (spec §15.5)")
        }
        var sets: [TableSet] = []
        for _ in 0..<setCount {
            sets.append(try tableSet(&r, latentChannels: latentChannels))
        }
        guard r.isAtEnd else {
            throw ContainerError(.trailingData, at: r.offset, "\(r.remaining) bytes after the last table set (spec §15.2)")
        }
        return CodecModel(parsed: bytes, colourFormat: colour, bitDepth: bitDepth, latentChannels: latentChannels, inputFractionBits: inputBits,
                     outputFractionBits: outputBits, synthesis: synthesis, analysis: analysis, tableSets: sets)
    }

    private static func layers(_ r: inout ByteReader, _ what: String) throws(ContainerError) -> [Layer] {
        let at = r.offset
        let count = Int(try r.u8("\(what)_layer_count"))
        guard count <= maxLayers else {
            throw ContainerError(.limitExceeded, at: at, "at most \(maxLayers) \(what) layers (spec §15.5)")
        }
        var layers: [Layer] = []
        for _ in 0..<count { layers.append(try layer(&r)) }
        return layers
    }

    private static func layer(_ r: inout ByteReader) throws(ContainerError) -> Layer {
        let at = r.offset
        let kind = try r.u8("layer_kind")
        switch kind {
        case 3:
            return .relu
        case 1, 2:
            let transposed = kind == 2
            var at = r.offset
            let inChannels = Int(try r.u16("in_channels")), outChannels = Int(try r.u16("out_channels"))
            guard (1...maxChannels).contains(inChannels), (1...maxChannels).contains(outChannels) else {
                throw ContainerError(.badField, at: at, "channel counts must be 1…\(maxChannels) (spec §15.3)")
            }
            at = r.offset
            var v: [Int] = []
            for name in ["kernel_h", "kernel_w", "stride_y", "stride_x", "pad_y", "pad_x", "output_pad_y", "output_pad_x", "shift"] {
                v.append(Int(try r.u8(name)))
            }
            let (kh, kw, sy, sx, py, px, opy, opx, shift) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8])
            guard (1...maxKernel).contains(kh), (1...maxKernel).contains(kw), (1...maxKernel).contains(sy), (1...maxKernel).contains(sx),
                  py < kh, px < kw, transposed ? (opy < sy && opx < sx) : (opy == 0 && opx == 0), shift <= 31 else {
                throw ContainerError(.badField, at: at, "kernel, stride, padding or shift out of range (spec §15.3)")
            }
            // At most 4096 × 4096 × 64 × 64 = 2^36 weights: no overflow in Int, and the byte count is
            // checked against what is left before anything is allocated.
            let count = inChannels * outChannels * kh * kw
            guard count * 2 + outChannels * 4 <= r.remaining else {
                throw ContainerError(.truncated, at: r.offset, "the layer's \(count) weights and \(outChannels) biases need more bytes than are left")
            }
            // The bytes are there (checked above): take them in one slice rather than field by field.
            let raw = try r.bytes(2 * count, "weights")
            var weights = [Int16](repeating: 0, count: count)
            raw.withUnsafeBufferPointer { raw in
                for i in 0..<count { weights[i] = Int16(bitPattern: UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8) }
            }
            var bias = [Int32](repeating: 0, count: outChannels)
            for i in 0..<outChannels { bias[i] = Int32(bitPattern: try r.u32("bias")) }
            return .convolution(Layer.Convolution(transposed: transposed, inChannels: inChannels, outChannels: outChannels,
                                                  kernel: (kh, kw), stride: (sy, sx), padding: (py, px),
                                                  outputPadding: (opy, opx), shift: shift, weights: weights, bias: bias))
        default:
            throw ContainerError(.badField, at: at, "layer_kind \(kind) is not 1 (convolution), 2 (transposed convolution) or 3 (ReLU) (spec §15.3)")
        }
    }

    /// Channel counts must chain from the network's input to its output (spec §15.3).
    private static func checkChain(_ layers: [Layer], from input: Int, to output: Int, at: Int, _ what: String, required: Bool) throws(ContainerError) {
        if layers.isEmpty && !required { return }
        var channels = input
        var convolutions = 0
        for case .convolution(let c) in layers {
            guard c.inChannels == channels else {
                throw ContainerError(.badField, at: at, "\(what) layer \(convolutions) takes \(c.inChannels) channels, but gets \(channels) (spec §15.3)")
            }
            channels = c.outChannels
            convolutions += 1
        }
        guard convolutions > 0, channels == output else {
            throw ContainerError(.badField, at: at, "the \(what) network must map \(input) channels to \(output) with at least one convolution (spec §15.3)")
        }
    }

    private static func tableSet(_ r: inout ByteReader, latentChannels: Int) throws(ContainerError) -> TableSet {
        var at = r.offset
        let step = try r.u32("step_q16")
        guard step > 0 else { throw ContainerError(.badField, at: at, "step_q16 must be ≥ 1 (spec §15.2)") }
        at = r.offset
        guard let kind = TableSet.Kind(rawValue: try r.u8("kind")) else {
            throw ContainerError(.badField, at: at, "table set kind must be 0 or 1 (spec §15.2)")
        }
        at = r.offset
        let compression = try r.u8("compression")
        guard compression <= 1 else { throw ContainerError(.badField, at: at, "compression must be 0 or 1 (spec §15.2)") }
        let hash = Array(try r.bytes(32, "table_sha256"))
        at = r.offset
        let bodySize = Int(try r.u32("body_size"))
        try ContextTables.checkBodySize(bodySize, limits: Level.highest, at: at, "spec §15.2")
        let dataSize = Int(try r.u32("data_size"))
        guard compression == 1 || dataSize == bodySize else {
            throw ContainerError(.badField, at: at, "data_size must equal body_size without compression (spec §15.2)")
        }
        let dataAt = r.offset
        let data = Array(try r.bytes(dataSize, "table data"))
        return TableSet(stepQ16: step, kind: kind, sha256: hash, bodySize: bodySize, data: data, compressed: compression == 1, dataOffset: dataAt)
    }
}
