import LCAESupport

/// The HEAD chunk: what the stream holds and what a decoder needs to decode it (spec §7.1).
public struct StreamHeader: Equatable, Sendable {
    /// Colour format of the decoded image (spec §7.1, table 7-2).
    public enum ColourFormat: UInt8, Sendable, CaseIterable {
        /// The stream holds latents only; there is no image.
        case none = 0
        case grey = 1
        case rgb = 3

        /// Image channels of the format (spec Table 7-2).
        public var channels: Int {
            switch self {
            case .none: 0
            case .grey: 1
            case .rgb: 3
            }
        }
    }

    /// How a latent tensor is coded (spec §7.1, table 7-3).
    public enum LatentKind: UInt16, Sendable, CaseIterable {
        /// Integer latent ŷ, entropy-coded with rANS and context tables.
        case integer = 1
        /// Continuous latent ẑ, coded by relative entropy coding.
        case continuous = 2
    }

    /// The entropy coder (spec §7.1, table 7-4).
    public enum Coder: UInt8, Sendable, CaseIterable {
        case none = 0
        /// rANS with a 64-bit state and 32-bit words, constriction-compatible (spec chapter 10).
        case rans64 = 1
    }

    /// The shape of one latent tensor, channels × height × width.
    public struct LatentShape: Equatable, Sendable {
        /// The latent's kind (spec Table 7-3).
        public var kind: LatentKind
        /// Channels C (spec §7.1.4).
        public var channels: Int
        /// Rows H (spec §7.1.4).
        public var height: Int
        /// Columns W (spec §7.1.4).
        public var width: Int

        /// A latent shape, unchecked (HEAD parsing checks it, spec §7.1.4).
        public init(kind: LatentKind, channels: Int, height: Int, width: Int) {
            self.kind = kind
            self.channels = channels
            self.height = height
            self.width = width
        }

        /// channels × height × width, or nil on overflow.
        public var count: Int? {
            let (ch, o1) = channels.multipliedReportingOverflow(by: height)
            let (n, o2) = ch.multipliedReportingOverflow(by: width)
            return o1 || o2 ? nil : n
        }
    }

    /// The Main profile, the only one of version 1.0 (spec §8.1).
    public static let mainProfile: UInt8 = 1
    /// The most latents a HEAD may declare (spec Table 7-1).
    public static let maxLatents = 4
    /// HEAD's payload bytes before the latent entries (spec Table 7-1).
    public static let fixedSize = 52
    /// Bytes per latent entry in HEAD (spec Table 7-1).
    public static let latentEntrySize = 12
    /// The file offset of HEAD's model_sha256 field: HEAD is the first chunk, after the
    /// signature and its length and type, and the field is 20 bytes into it (spec Table 7-1).
    package static let modelHashOffset = Signature.bytes.count + 8 + 20
    /// The file offset of HEAD's first latent entry (spec Table 7-1).
    package static let latentEntriesOffset = Signature.bytes.count + 8 + fixedSize

    /// The format version, HEAD's first two fields (spec §4).
    public var version: FormatVersion
    /// Image width in samples, 0 without an image (spec §7.1.1).
    public var width: Int
    /// Image height in samples, 0 without an image (spec §7.1.1).
    public var height: Int
    /// Bits per sample, 8 or 16, or 0 without an image (spec §7.1.1).
    public var bitDepth: Int
    /// The image's colour format (spec Table 7-2).
    public var colourFormat: ColourFormat
    /// The profile; 1 (Main) in version 1.0 (spec §8.1).
    public var profile: UInt8
    /// The declared level, 1 to 3 (spec §8.2, Table 8-1).
    public var level: UInt8
    /// The entropy coder (spec Table 7-4, §7.1.2).
    public var coder: Coder
    /// Probability precision P in bits (12...24 with rANS, 0 without a coder).
    public var precision: Int
    /// SHA-256 of the model file the stream is decoded with (spec §7.1.3), or nil when unbound.
    public var modelHash: [UInt8]?
    /// The latent tensors, in HEAD order (spec §7.1.4).
    public var latents: [LatentShape]

    /// A header from its fields, unchecked; the defaults describe a latent-only rANS stream
    /// at level 1 and precision 24.
    public init(
        version: FormatVersion = .current, width: Int = 0, height: Int = 0, bitDepth: Int = 0, colourFormat: ColourFormat = .none,
        profile: UInt8 = StreamHeader.mainProfile, level: UInt8 = 1, coder: Coder = .rans64, precision: Int = 24,
        modelHash: [UInt8]? = nil, latents: [LatentShape] = []
    ) {
        self.version = version
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.colourFormat = colourFormat
        self.profile = profile
        self.level = level
        self.coder = coder
        self.precision = precision
        self.modelHash = modelHash
        self.latents = latents
    }

    /// The sizes this header declares, as limits: the writer picks the lowest level admitting them.
    public var requiredLimits: ReaderLimits {
        // Saturate instead of trapping: an absurd header simply fits no level.
        let latentValues = latents.reduce(0) { total, latent in
            let (sum, overflow) = total.addingReportingOverflow(latent.count ?? Int.max)
            return overflow ? Int.max : sum
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        return ReaderLimits(
            maxWidth: width, maxHeight: height, maxPixels: overflow ? Int.max : pixels,
            maxChannels: latents.map(\.channels).max() ?? 0, maxLatentValues: latentValues,
            maxTables: 0, maxSymbolsPerTable: 0, maxPayloadBytes: 0, maxRecBlocks: 0, maxLog2Candidates: 0,
            maxChunks: 0)
    }
}

extension StreamHeader {
    /// Parses and validates a HEAD payload (spec §7.1). `limits` are the reader's own;
    /// the declared level's limits are applied on top before any size is accepted.
    /// `fields` receives every field read, also when parsing fails part way.
    static func parse(
        _ payload: ArraySlice<UInt8>, fileOffset: Int, limits: ReaderLimits, fields: inout [Field]
    ) throws(ContainerError) -> StreamHeader {
        var r = FieldReader(payload, fileOffset: fileOffset)
        defer { fields = r.fields }
        return try parseFields(&r, payloadSize: payload.count, limits: limits)
    }

    private static func parseFields(
        _ r: inout FieldReader, payloadSize: Int, limits readerLimits: ReaderLimits
    ) throws(ContainerError) -> StreamHeader {
        // The version comes first and is checked first: a later major version may lay HEAD out differently.
        let majorAt = r.offset
        let chunkAt = majorAt - 8
        guard payloadSize >= 4 else {
            throw ContainerError(.badChunkLength, at: chunkAt, "HEAD payload is \(payloadSize) bytes, at least \(fixedSize) required (spec §7.1)")
        }
        let major = try r.u16("major_version")
        let minor = try r.u16("minor_version")
        guard major == FormatVersion.current.major else {
            throw ContainerError(
                .unsupportedVersion, at: majorAt,
                "format version \(major).\(minor); this reader decodes major version \(FormatVersion.current.major) (spec §4)")
        }
        guard payloadSize >= fixedSize else {
            throw ContainerError(.badChunkLength, at: chunkAt, "HEAD payload is \(payloadSize) bytes, at least \(fixedSize) required (spec §7.1)")
        }
        let widthAt = r.offset
        let width = Int(try r.u32("width"))
        let heightAt = r.offset
        let height = Int(try r.u32("height"))
        let depthAt = r.offset
        let bitDepth = Int(try r.u8("bit_depth"))
        let colourAt = r.offset
        guard let colour = ColourFormat(rawValue: try r.u8("colour_format")) else {
            throw ContainerError(.badField, at: colourAt, "colour_format must be 0, 1 or 3 (spec §7.1, table 7-2)")
        }
        r.describeLast("\(colour)")
        let profileAt = r.offset
        let profile = try r.u8("profile")
        guard profile == mainProfile else {
            throw ContainerError(.badField, at: profileAt, "profile \(profile) is not defined; version 1 has profile 1 (Main) only (spec §8.1)")
        }
        let levelAt = r.offset
        let level = try r.u8("level")
        guard let levelLimits = Level.limits(level) else {
            throw ContainerError(.badField, at: levelAt, "level \(level) is not defined; version 1 has levels 1 to 3 (spec §8, table 8-1)")
        }
        let limits = readerLimits.intersection(levelLimits)
        let coderAt = r.offset
        guard let coder = Coder(rawValue: try r.u8("coder")) else {
            throw ContainerError(.badField, at: coderAt, "coder must be 0 or 1 (spec §7.1, table 7-4)")
        }
        r.describeLast("\(coder)")
        let precisionAt = r.offset
        let precision = Int(try r.u8("precision"))
        switch coder {
        case .none where precision != 0:
            throw ContainerError(.badField, at: precisionAt, "precision must be 0 when coder is 0 (spec §7.1.2)")
        case .rans64 where !(12...24).contains(precision):
            throw ContainerError(.badField, at: precisionAt, "precision \(precision) is outside 12...24 (spec §7.1.2)")
        default: break
        }
        let flagsAt = r.offset
        let flags = try r.u8("flags")
        guard flags & ~1 == 0 else {
            throw ContainerError(.badField, at: flagsAt, "flags bits 1 to 7 are reserved and must be 0 (spec §7.1)")
        }
        let countAt = r.offset
        let latentCount = Int(try r.u8("latent_count"))
        guard latentCount <= maxLatents else {
            throw ContainerError(.badField, at: countAt, "latent_count \(latentCount) is above \(maxLatents) (spec §7.1)")
        }
        let hashAt = r.offset
        let hash = Array(try r.bytes(32, "model_sha256"))
        let bound = flags & 1 == 1
        if !bound && hash.contains(where: { $0 != 0 }) {
            throw ContainerError(.badField, at: hashAt, "model_sha256 must be zero when the model_bound flag is clear (spec §7.1.3)")
        }
        let expected = fixedSize + latentCount * latentEntrySize
        guard payloadSize == expected else {
            throw ContainerError(.badChunkLength, at: chunkAt, "HEAD payload is \(payloadSize) bytes; \(latentCount) latents need exactly \(expected) (spec §7.1)")
        }

        // Image fields (spec §7.1.1), checked against the level before anything is sized from them.
        if colour == .none {
            for (value, at, name) in [(width, widthAt, "width"), (height, heightAt, "height"), (bitDepth, depthAt, "bit_depth")] where value != 0 {
                throw ContainerError(.badField, at: at, "\(name) must be 0 when colour_format is 0 (spec §7.1.1)")
            }
        } else {
            guard width >= 1 else { throw ContainerError(.badField, at: widthAt, "width must be at least 1 (spec §7.1.1)") }
            guard height >= 1 else { throw ContainerError(.badField, at: heightAt, "height must be at least 1 (spec §7.1.1)") }
            guard bitDepth == 8 || bitDepth == 16 else {
                throw ContainerError(.badField, at: depthAt, "bit_depth \(bitDepth) must be 8 or 16 (spec §7.1.1)")
            }
            guard bound else {
                throw ContainerError(.badField, at: flagsAt, "a stream with an image must bind its model (spec §7.1.3)")
            }
            guard width <= limits.maxWidth else {
                throw ContainerError(.limitExceeded, at: widthAt, "width \(width) is above \(limits.maxWidth) (level \(level), spec §8)")
            }
            guard height <= limits.maxHeight else {
                throw ContainerError(.limitExceeded, at: heightAt, "height \(height) is above \(limits.maxHeight) (level \(level), spec §8)")
            }
            guard width * height <= limits.maxPixels else {
                throw ContainerError(.limitExceeded, at: widthAt, "width × height = \(width * height) is above \(limits.maxPixels) (level \(level), spec §8)")
            }
        }

        var latents: [LatentShape] = []
        var total = 0
        for index in 0..<latentCount {
            let entryAt = r.offset
            let kindRaw = try r.u16("latent[\(index)].kind")
            guard let kind = LatentKind(rawValue: kindRaw) else {
                throw ContainerError(.badField, at: entryAt, "latent kind \(kindRaw) must be 1 or 2 (spec §7.1, table 7-3)")
            }
            r.describeLast("\(kind)")
            let channelsAt = r.offset
            let channels = Int(try r.u16("latent[\(index)].channels"))
            let h = Int(try r.u32("latent[\(index)].height"))
            let w = Int(try r.u32("latent[\(index)].width"))
            for (value, at, name) in [(channels, channelsAt, "channels"), (h, channelsAt + 2, "height"), (w, channelsAt + 6, "width")] where value == 0 {
                throw ContainerError(.badField, at: at, "latent \(index) has \(name) 0 (spec §7.1.4)")
            }
            guard channels <= limits.maxChannels else {
                throw ContainerError(.limitExceeded, at: channelsAt, "latent \(index) has \(channels) channels, above \(limits.maxChannels) (level \(level), spec §8)")
            }
            let shape = LatentShape(kind: kind, channels: channels, height: h, width: w)
            // Each factor is below 2^32, so a 64-bit product of channels (< 2^16) and h × w is checked below.
            guard let count = shape.count, count <= limits.maxLatentValues - total else {
                throw ContainerError(.limitExceeded, at: channelsAt, "latents hold more than \(limits.maxLatentValues) values (level \(level), spec §8)")
            }
            total += count
            if kind == .integer && coder == .none {
                throw ContainerError(.badField, at: entryAt, "an integer latent needs coder 1 (spec §7.1.4)")
            }
            latents.append(shape)
        }
        return StreamHeader(
            version: FormatVersion(major: major, minor: minor), width: width, height: height, bitDepth: bitDepth, colourFormat: colour, profile: profile, level: level,
            coder: coder, precision: precision, modelHash: bound ? hash : nil, latents: latents)
    }

    /// The HEAD payload (spec §7.1).
    public func payload() -> [UInt8] {
        var w = ByteWriter()
        w.u16(version.major)
        w.u16(version.minor)
        w.u32(UInt32(truncatingIfNeeded: width))
        w.u32(UInt32(truncatingIfNeeded: height))
        w.u8(UInt8(truncatingIfNeeded: bitDepth))
        w.u8(colourFormat.rawValue)
        w.u8(profile)
        w.u8(level)
        w.u8(coder.rawValue)
        w.u8(UInt8(truncatingIfNeeded: precision))
        w.u8(modelHash == nil ? 0 : 1)
        w.u8(UInt8(truncatingIfNeeded: latents.count))
        w.append(contentsOf: modelHash ?? [UInt8](repeating: 0, count: 32))
        for latent in latents {
            w.u16(latent.kind.rawValue)
            w.u16(UInt16(truncatingIfNeeded: latent.channels))
            w.u32(UInt32(truncatingIfNeeded: latent.height))
            w.u32(UInt32(truncatingIfNeeded: latent.width))
        }
        return w.bytes
    }
}
