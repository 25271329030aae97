import Crypto
import LCAEContainer
import LCAEContext
import LCAESupport

/// A model file (spec chapter 15): the integer synthesis network a decoder runs, the analysis
/// network an encoder runs, and the context tables the model was fitted with.
///
/// Its identity is the SHA-256 of the whole file (spec §7.1.3); HEAD binds a stream to it.
public struct CodecModel: Equatable, Sendable {
    /// A set of context tables the model carries (spec §15.2), kept deflated until it is used:
    /// a model holds a few dozen sets and a stream uses one.
    public struct TableSet: Equatable, Sendable {
        /// What the table set holds: the `kind` field of a table set (spec §15.2); informative.
        public enum Kind: UInt8, Sendable, CaseIterable {
            /// Context-switching tables (“Entropy Coding Improvement for Low-complexity Compressive Auto-encoders” §3.1).
            case contexts = 0
            /// One CDF per channel (`contexts = false` in the fitter): the paper's "Base".
            case factorized = 1
        }

        /// The latent step the tables were fitted at, in units of 2^-16.
        public let stepQ16: UInt32
        /// Whether the tables use contexts or one CDF per channel (spec §15.2).
        public let kind: Kind
        /// SHA-256 of the table body: what a CREF chunk names (spec §12.5.2).
        public let sha256: [UInt8]
        let bodySize: Int
        /// The body, deflated (compression 1) or as it is (compression 0).
        let data: [UInt8]
        let compressed: Bool
        /// Offset of `data` in the model file, for error reports.
        let dataOffset: Int

        /// A table set holding `tables`, deflated (compression 1), fitted at `stepQ16` / 2^16.
        public init(stepQ16: UInt32, kind: Kind, tables: ContextTables) {
            let body = tables.body()
            self.stepQ16 = stepQ16
            self.kind = kind
            sha256 = tables.sha256
            bodySize = body.count
            data = Deflate.compress(body)
            compressed = true
            dataOffset = 0
        }

        init(stepQ16: UInt32, kind: Kind, sha256: [UInt8], bodySize: Int, data: [UInt8], compressed: Bool, dataOffset: Int) {
            self.stepQ16 = stepQ16
            self.kind = kind
            self.sha256 = sha256
            self.bodySize = bodySize
            self.data = data
            self.compressed = compressed
            self.dataOffset = dataOffset
        }

        /// The latent step the tables were fitted at, `stepQ16` / 2^16.
        public var step: Double { Double(stepQ16) / 65536 }

        /// Inflates and checks the tables (spec §15.2): body_size within the bound of §12.5.1
        /// under `limits` (checked before inflating), the body must satisfy §12.2 under
        /// `limits`, hash to `sha256` and have the model's channel count.
        public func tables(channels: Int, limits: ReaderLimits = Level.highest) throws(ContainerError) -> ContextTables {
            try ContextTables.checkBodySize(bodySize, limits: limits, at: dataOffset, "spec §15.2")
            let body: [UInt8]
            if compressed {
                guard let inflated = Deflate.decompress(data[...], size: bodySize) else {
                    throw ContainerError(.badCompression, at: dataOffset, "table data does not inflate to exactly \(bodySize) bytes (spec §15.2)")
                }
                body = inflated
            } else {
                body = data
            }
            guard Array(SHA256.hash(data: body)) == sha256 else {
                throw ContainerError(.badTable, at: dataOffset, "the table body does not hash to the set's table_sha256 (spec §15.2)")
            }
            let tables = try ContextTables.parse(body[...], fileOffset: compressed ? 0 : dataOffset, limits: limits)
            guard tables.channelCount == channels else {
                throw ContainerError(.badTable, at: dataOffset, "\(tables.channelCount)-channel tables in a \(channels)-channel model (spec §15.2)")
            }
            return tables
        }
    }

    /// The model file's 8 signature bytes, `8C 4C 43 4D 0D 0A 1A 0A` (spec §15.1).
    public static let signature: [UInt8] = [0x8C, 0x4C, 0x43, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The model_version this library reads and writes (spec §15.2).
    public static let version: UInt16 = 1
    /// Bounds a reader applies before allocating (spec §15.5).
    public static let maxFileSize = 1 << 28
    /// The most layers per network (spec §15.2, §15.5).
    public static let maxLayers = 64
    /// The most channels of a latent or a layer's input or output (spec §15.2, §15.3).
    public static let maxChannels = 4096
    /// The largest kernel height, width or stride (spec §15.3).
    public static let maxKernel = 64
    /// The most table sets in a model (spec §15.2).
    public static let maxTableSets = 256

    /// The decoded image's colour format: grey or RGB (spec §15.2).
    public let colourFormat: StreamHeader.ColourFormat
    /// Bits per decoded sample, 8 or 16 (spec §15.2).
    public let bitDepth: Int
    /// C, the channels of the latent the synthesis takes (spec §15.2).
    public let latentChannels: Int
    /// Fractional bits of the synthesis input at latent step 1 (spec §15.4.1); encoders derive
    /// the STEP gains from it.
    public let inputFractionBits: Int
    /// Fractional bits of the last layer's output (spec §15.4.4).
    public let outputFractionBits: Int
    /// The synthesis layers, latent to image (spec §15.3, §15.4).
    public let synthesis: [Layer]
    /// Empty in a decode-only model.
    public let analysis: [Layer]
    /// The table sets a CREF may name (spec §15.2, §12.5.2).
    public let tableSets: [TableSet]
    /// The model file (spec §15.1): as read, or as written for a model made in memory.
    public let bytes: [UInt8]
    /// The model's identity (spec §7.1.3): the SHA-256 of `bytes`.
    public let sha256: [UInt8]

    /// A model from its fields, serialized to a model file (spec §15.1) to give `bytes` and
    /// `sha256`; the fields are not checked here.
    public init(colourFormat: StreamHeader.ColourFormat, bitDepth: Int = 8, latentChannels: Int, inputFractionBits: Int,
                outputFractionBits: Int, synthesis: [Layer], analysis: [Layer] = [], tableSets: [TableSet] = []) {
        let body = Self.body(colourFormat, bitDepth, latentChannels, inputFractionBits, outputFractionBits, synthesis, analysis, tableSets)
        var w = ByteWriter()
        w.append(contentsOf: Self.signature)
        w.u32(UInt32(body.count))
        w.append(contentsOf: body)
        w.u32(CRC32.checksum(body[...]))
        self.init(parsed: w.bytes, colourFormat: colourFormat, bitDepth: bitDepth, latentChannels: latentChannels,
                  inputFractionBits: inputFractionBits, outputFractionBits: outputFractionBits, synthesis: synthesis,
                  analysis: analysis, tableSets: tableSets)
    }

    /// A model with its file's `bytes`: read from them by the parser, or written from the fields.
    init(parsed bytes: [UInt8], colourFormat: StreamHeader.ColourFormat, bitDepth: Int, latentChannels: Int, inputFractionBits: Int,
         outputFractionBits: Int, synthesis: [Layer], analysis: [Layer], tableSets: [TableSet]) {
        self.colourFormat = colourFormat
        self.bitDepth = bitDepth
        self.latentChannels = latentChannels
        self.inputFractionBits = inputFractionBits
        self.outputFractionBits = outputFractionBits
        self.synthesis = synthesis
        self.analysis = analysis
        self.tableSets = tableSets
        self.bytes = bytes
        sha256 = Array(SHA256.hash(data: bytes))
    }

    /// The same network with other table sets.
    public func with(tableSets: [TableSet]) -> CodecModel {
        CodecModel(colourFormat: colourFormat, bitDepth: bitDepth, latentChannels: latentChannels, inputFractionBits: inputFractionBits,
              outputFractionBits: outputFractionBits, synthesis: synthesis, analysis: analysis, tableSets: tableSets)
    }

    /// The table set a CREF names (spec §15.2), checked under a stream's effective `limits`.
    public func tables(named hash: [UInt8], limits: ReaderLimits = Level.highest) throws(ContainerError) -> ContextTables? {
        try tableSets.first { $0.sha256 == hash }?.tables(channels: latentChannels, limits: limits)
    }

    /// Models are equal when their files are.
    public static func == (a: CodecModel, b: CodecModel) -> Bool { a.bytes == b.bytes }

    private static func body(_ colourFormat: StreamHeader.ColourFormat, _ bitDepth: Int, _ latentChannels: Int, _ inputFractionBits: Int,
                             _ outputFractionBits: Int, _ synthesis: [Layer], _ analysis: [Layer], _ tableSets: [TableSet]) -> [UInt8] {
        var w = ByteWriter()
        w.u16(Self.version)
        w.u8(colourFormat.rawValue)
        w.u8(UInt8(bitDepth))
        w.u16(UInt16(latentChannels))
        w.u8(UInt8(inputFractionBits))
        w.u8(UInt8(outputFractionBits))
        for network in [synthesis, analysis] {
            w.u8(UInt8(network.count))
            for layer in network { Self.write(layer, to: &w) }
        }
        w.u16(UInt16(tableSets.count))
        for set in tableSets {
            w.u32(set.stepQ16)
            w.u8(set.kind.rawValue)
            w.u8(set.compressed ? 1 : 0)
            w.append(contentsOf: set.sha256)
            w.u32(UInt32(set.bodySize))
            w.u32(UInt32(set.data.count))
            w.append(contentsOf: set.data)
        }
        return w.bytes
    }

    private static func write(_ layer: Layer, to w: inout ByteWriter) {
        switch layer {
        case .relu:
            w.u8(3)
        case .convolution(let c):
            w.u8(c.transposed ? 2 : 1)
            w.u16(UInt16(c.inChannels))
            w.u16(UInt16(c.outChannels))
            for v in [c.kernelHeight, c.kernelWidth, c.strideY, c.strideX, c.padY, c.padX, c.outputPadY, c.outputPadX, c.shift] {
                w.u8(UInt8(v))
            }
            for v in c.weights { w.u16(UInt16(bitPattern: v)) }
            for v in c.bias { w.u32(UInt32(bitPattern: v)) }
        }
    }
}
