import LCAEContainer
import LCAEContext
import LCAEREC
import LCAESupport

/// What `lcae inspect` reports about a file (spec §5 to §8; JSON schema in spec §11).
///
/// Built from a `ContainerScan`, so a broken file shows everything read
/// before the error, then the error.
public struct Inspection: Sendable {
    /// Version of the JSON layout; bumped whenever a key changes meaning or disappears.
    public static let schema = "lcae-inspect/1"

    /// The path given, reported as `file` (spec §11.1).
    public var path: String
    /// The file's size in bytes, reported as `file_size` (spec §11.1).
    public var fileSize: Int
    /// What the container walk found (the first pass of spec §9).
    public var scan: ContainerScan
    private var bytes: [UInt8]

    /// Inspects the file `bytes` read from `path`, walking its container under `limits`.
    public init(path: String, bytes: [UInt8], limits: ReaderLimits = Level.highest) {
        self.path = path
        self.bytes = bytes
        self.fileSize = bytes.count
        self.scan = ContainerReader(limits: limits).scan(bytes)
    }

    /// True when the container has no error: the `valid` key (spec §11.1).
    public var isValid: Bool { scan.error == nil }

    /// "major.minor" as HEAD's first fields say, also when a later HEAD field is refused (spec §4).
    public var formatVersion: String? {
        let value = { (name: String) in scan.headerFields.first { $0.name == name }?.value }
        guard let major = value("major_version"), let minor = value("minor_version") else { return nil }
        return "\(major).\(minor)"
    }

    /// The fields of one chunk with their file offsets: framing, then payload fields.
    public func fields(of record: ChunkRecord) -> [Field] {
        var fields = [Field(name: "length", offset: record.offset, size: 4, value: String(record.length)),
                      Field(name: "type", offset: record.offset + 4, size: 4, value: record.type.description)]
        let payloadRange = record.payloadOffset..<(record.payloadOffset + record.length)
        switch record.type {
        case .head:
            fields += scan.headerFields
        case .text:
            if let text = try? TextChunk.parse(bytes[payloadRange], fileOffset: record.payloadOffset) {
                fields.append(Field(name: "keyword", offset: record.payloadOffset, size: text.keyword.utf8.count, value: text.keyword))
                fields.append(Field(name: "value", offset: record.payloadOffset + text.keyword.utf8.count + 1, size: text.value.utf8.count, value: text.value))
            }
        case .tables, .tableReference, .activation, .latentPayload, .latentHash:
            fields += Self.latentFields(record.type, bytes[payloadRange], at: record.payloadOffset)
        case .latentStep, .imageHash:
            fields += Self.imageFields(record.type, bytes[payloadRange], at: record.payloadOffset)
        case .recLatent:
            fields += Self.recFields(bytes[payloadRange], at: record.offset, header: scan.header)
        default:
            break
        }
        fields.append(Field(name: "crc", offset: payloadRange.upperBound, size: 4, value: "0x" + String(record.storedCRC, radix: 16)))
        return fields
    }

    /// The fields of the chapter-12 chunks, as far as they parse (a broken payload shows what precedes the damage).
    static func latentFields(_ type: ChunkType, _ payload: ArraySlice<UInt8>, at offset: Int) -> [Field] {
        var r = FieldReader(payload, fileOffset: offset)
        do {
            _ = try r.u8("latent_index")
            switch type {
            case .tableReference, .latentHash:
                _ = try r.bytes(32, "sha256")
            case .tables:
                let compression = try r.u8("compression")
                r.describeLast(compression == 1 ? "1 (deflate)" : "\(compression)")
                let size = Int(try r.u32("body_size"))
                let dataAt = r.offset
                let data = try r.bytes(r.remaining, "data")
                let body = compression == 1 ? Deflate.decompress(data, size: size) : Array(data)
                if let body, let tables = try? ContextTables.parse(body[...]) {
                    r.describeLast("\(data.count) bytes: \(tables.channelCount) channels, \(tables.tableCount) tables, precision \(tables.precision), measure \(tables.measure), sha256 \(tables.sha256.map(hex2).joined())")
                } else {
                    r.describeLast("\(data.count) bytes that do not inflate to valid tables (at \(dataAt))")
                }
            default:
                _ = try r.u8("lanes")
                let count = Int(try r.u32("substream_count"))
                for j in 0..<min(count, 64) {
                    _ = try r.u32("substream[\(j)].value_count")
                    _ = try r.u32("substream[\(j)].word_count")
                }
                if count > 64 {
                    _ = try r.bytes(8 * (count - 64), "substream[64...].counts")
                }
                _ = try r.bytes(r.remaining, "words")
            }
        } catch {}
        return r.fields
    }

    /// The fields of the chapter-16 chunks, as far as they parse.
    static func imageFields(_ type: ChunkType, _ payload: ArraySlice<UInt8>, at offset: Int) -> [Field] {
        var r = FieldReader(payload, fileOffset: offset)
        do {
            if type == .imageHash {
                _ = try r.bytes(32, "sha256")
                return r.fields
            }
            _ = try r.u8("latent_index")
            let shift = Int(try r.u8("shift"))
            let count = Int(try r.u16("gain_count"))
            for j in 0..<min(count, 16) {
                let gain = try r.u32("gain[\(j)]")
                if shift <= 31 { r.describeLast("\(gain) (× 2^-\(shift) = \(Double(gain) / Double(UInt64(1) << shift)))") }
            }
            if count > 16 { _ = try r.bytes(4 * (count - 16), "gain[16...]") }
        } catch {}
        return r.fields
    }

    /// The fields of a RECC chunk (spec §14.8), as far as they parse; the latent's size comes from HEAD.
    static func recFields(_ payload: ArraySlice<UInt8>, at chunkOffset: Int, header: StreamHeader?) -> [Field] {
        var r = FieldReader(payload, fileOffset: chunkOffset + 8)
        let index = payload.first.map(Int.init)
        let dimensions = index.flatMap { i in header.flatMap { i < $0.latents.count ? $0.latents[i].count : nil } } ?? 0
        _ = try? RECChunk.parse(&r, at: chunkOffset, dimensions: dimensions, limits: Level.highest)
        return r.fields
    }

    // MARK: JSON

    /// The `lcae-inspect/1` JSON object (spec §11.1); `verbose` adds every chunk's `fields`.
    public func json(verbose: Bool) -> JSONValue {
        let chunks: [JSONValue] = scan.chunks.map { record in
            var members: [(String, JSONValue)] = [
                ("type", .string(record.type.description)),
                ("offset", .int(record.offset)),
                ("length", .int(record.length)),
                ("critical", .bool(record.isCritical)),
                ("known", .bool(record.known)),
                ("crc_ok", .bool(record.crcOK)),
            ]
            if verbose {
                members.append(("fields", .array(fields(of: record).map(Inspection.json))))
            }
            return .object(members)
        }
        return .object([
            ("schema", .string(Inspection.schema)),
            ("file", .string(path)),
            ("file_size", .int(fileSize)),
            ("format_version", formatVersion.map { .string($0) } ?? .null),
            ("valid", .bool(isValid)),
            ("chunks", .array(chunks)),
            ("header", scan.header.map(Inspection.json) ?? .null),
            ("warnings", .array(scan.warnings.map(Inspection.json))),
            ("error", scan.error.map(Inspection.json) ?? .null),
        ])
    }

    package static func json(_ field: Field) -> JSONValue {
        .object([("name", .string(field.name)), ("offset", .int(field.offset)), ("size", .int(field.size)), ("value", .string(field.value))])
    }

    package static func json(_ error: ContainerError) -> JSONValue {
        .object([("code", .string(error.code.rawValue)), ("offset", .int(error.offset)), ("message", .string(error.message))])
    }

    package static func json(_ header: StreamHeader) -> JSONValue {
        .object([
            ("format_version", .string(header.version.description)),
            ("width", .int(header.width)),
            ("height", .int(header.height)),
            ("bit_depth", .int(header.bitDepth)),
            ("colour_format", .string("\(header.colourFormat)")),
            ("profile", .int(Int(header.profile))),
            ("level", .int(Int(header.level))),
            ("coder", .string("\(header.coder)")),
            ("precision", .int(header.precision)),
            ("model_sha256", header.modelHash.map { .string($0.map(hex2).joined()) } ?? .null),
            ("latents", .array(header.latents.map { latent in
                .object([("kind", .string("\(latent.kind)")), ("channels", .int(latent.channels)),
                         ("height", .int(latent.height)), ("width", .int(latent.width))])
            })),
        ])
    }

    // MARK: Text

    /// A human-readable report: the chunk table, the header and any warnings and error;
    /// `verbose` lists every field with its offset.
    public func text(verbose: Bool) -> String {
        var lines = ["\(path): \(fileSize) bytes" + (formatVersion.map { ", LCAE format \($0)" } ?? "")]
        if !scan.chunks.isEmpty {
            lines.append("  offset     length  type  critical  crc")
            for record in scan.chunks {
                let known = record.known ? "" : "  (unknown, skipped)"
                lines.append(pad(record.offset, 8) + " " + pad(record.length, 10) + "  \(record.type)  "
                             + (record.isCritical ? "yes     " : "no      ") + "  " + (record.crcOK ? "ok" : "BAD") + known)
                if verbose {
                    for field in fields(of: record) {
                        lines.append("      @" + pad(field.offset, 8) + "  \(field.name) = \(field.value)")
                    }
                }
            }
        }
        if let header = scan.header {
            lines.append("header:")
            lines.append(header.colourFormat == .none
                         ? "  image        none (latents only)"
                         : "  image        \(header.width) x \(header.height), \(header.colourFormat), \(header.bitDepth)-bit")
            lines.append("  profile      \(header.profile) (Main), level \(header.level)")
            lines.append("  coder        \(header.coder), precision \(header.precision)")
            lines.append("  model        " + (header.modelHash.map { "sha256 " + $0.map(hex2).joined() } ?? "none"))
            for (i, latent) in header.latents.enumerated() {
                lines.append("  latent[\(i)]    \(latent.kind), \(latent.channels) x \(latent.height) x \(latent.width)")
            }
        }
        for warning in scan.warnings {
            lines.append("warning: \(warning)")
        }
        if let error = scan.error {
            lines.append("error: \(error)")
        } else {
            lines.append("valid")
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
