import Foundation
import LCAE
import LCAEContainer
import LCAEContext
import LCAEEntropy
import LCAEInspect
import LCAEModel
import LCAEPNG
import LCAESupport
import LCAETools

// The C interface declared in include/lcae.h: thin wrappers over the library that turn every
// error into the JSON object the header describes and every output into malloc'ed memory.

/// An error of any layer as the header's JSON object.
private func errorJSON(_ error: Error) -> String {
    let (code, offset, message): (String, Int, String)
    switch error {
    case let e as ContainerError: (code, offset, message) = (e.code.rawValue, e.offset, e.message)
    case let e as CodecError: (code, offset, message) = (e.code.rawValue, -1, e.message)
    case let e as EntropyError: (code, offset, message) = (e.code.rawValue, -1, e.message)
    case let e as PNGError: (code, offset, message) = (e.code.rawValue, -1, e.message)
    case let e as InterfaceError: (code, offset, message) = ("badOption", -1, e.message)
    default: (code, offset, message) = ("internalError", -1, "\(error)")
    }
    return JSONValue.object([("code", .string(code)), ("offset", .int(offset)),
                             ("clause", ConformanceRun.clause(message).map { .string($0) } ?? .null),
                             ("message", .string(message))]).serialized()
}

private struct InterfaceError: Error {
    package var message: String
}

/// A copy of `values` in malloc'ed memory, as the header promises.
private func handOut<T>(_ values: [T]) throws -> UnsafeMutablePointer<T> {
    guard let raw = malloc(max(1, values.count * MemoryLayout<T>.stride)) else {
        throw InterfaceError(message: "out of memory for \(values.count) values")
    }
    let pointer = raw.bindMemory(to: T.self, capacity: max(1, values.count))
    values.withUnsafeBufferPointer { source in
        if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
    }
    return pointer
}

private func handOut(_ string: String) -> UnsafeMutablePointer<CChar>? {
    strdup(string)
}

/// Runs `body`; on an error sets *error (when given) and returns 1.
private func guarded(_ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return 0
    } catch let failure {
        error?.pointee = handOut(errorJSON(failure))
        return 1
    }
}

private func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) throws -> [UInt8] {
    guard size >= 0 else { throw InterfaceError(message: "a negative size") }
    guard size > 0 else { return [] }
    guard let data else { throw InterfaceError(message: "a null data pointer with a nonzero size") }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

private func strings(_ list: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int32) throws -> [String] {
    guard count >= 0 else { throw InterfaceError(message: "a negative count") }
    guard count > 0 else { return [] }
    guard let list else { throw InterfaceError(message: "a null list with a nonzero count") }
    return try (0..<Int(count)).map { i in
        guard let s = list[i] else { throw InterfaceError(message: "a null path in a list") }
        return String(cString: s)
    }
}

/// Models read from files, kept while the file's size and modification time stay the same: a
/// caller that decodes many streams pays for reading, hashing and parsing a model once.
private final class ModelCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (size: Int, modified: Date, model: CodecModel)] = [:]

    func model(at path: String) throws -> CodecModel {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
        let modified = attributes?[.modificationDate] as? Date ?? .distantPast
        if let entry = lock.withLock({ entries[path] }), entry.size == size, entry.modified == modified, size >= 0 {
            return entry.model
        }
        let model = try CodecModel.read(contentsOf: path)
        lock.withLock { entries[path] = (size, modified, model) }
        return model
    }
}

private let models = ModelCache()

private func readModels(_ list: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int32) throws -> [CodecModel] {
    try strings(list, count).map { try models.model(at: $0) }
}

private func threadCount(_ threads: Int32) -> Int {
    threads > 0 ? Int(threads) : ProcessInfo.processInfo.activeProcessorCount
}

@_cdecl("lcae_version")
public func lcaeVersion() -> UnsafePointer<CChar> {
    // A string literal's UTF-8 is static and NUL-terminated.
    ("1.0" as StaticString).utf8Start.withMemoryRebound(to: CChar.self, capacity: 4) { $0 }
}

@_cdecl("lcae_free")
public func lcaeFree(_ pointer: UnsafeMutableRawPointer?) {
    free(pointer)
}

@_cdecl("lcae_inspect")
public func lcaeInspect(_ data: UnsafePointer<UInt8>?, _ size: Int, _ verbose: Int32,
                        _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                        _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var valid = false
    let status = guarded(error) {
        guard let json else { throw InterfaceError(message: "no place for the report") }
        let inspection = Inspection(path: "<memory>", bytes: try bytes(data, size))
        valid = inspection.isValid
        json.pointee = handOut(inspection.json(verbose: verbose != 0).serialized())
    }
    return status != 0 ? status : (valid ? 0 : 1)
}

@_cdecl("lcae_decode_image")
public func lcaeDecodeImage(_ data: UnsafePointer<UInt8>?, _ size: Int, _ modelPaths: UnsafePointer<UnsafePointer<CChar>?>?,
                            _ modelCount: Int32, _ tablePaths: UnsafePointer<UnsafePointer<CChar>?>?, _ tableCount: Int32,
                            _ threads: Int32, _ samples: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
                            _ width: UnsafeMutablePointer<Int32>?, _ height: UnsafeMutablePointer<Int32>?,
                            _ channels: UnsafeMutablePointer<Int32>?, _ bitDepth: UnsafeMutablePointer<Int32>?,
                            _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) {
        guard let samples, let width, let height, let channels, let bitDepth else { throw InterfaceError(message: "a null output pointer") }
        let given = try readModels(modelPaths, modelCount)
        let tables = try strings(tablePaths, tableCount).map { try TableFile.read(contentsOf: $0) }
        let container = try ContainerReader().read(try bytes(data, size))
        let image = try ImageDecoder(models: given, tables: tables, threads: threadCount(threads)).decode(container).image
        // Written straight into the buffer handed out: one pass over the samples.
        let bytesPerSample = image.bitDepth == 8 ? 1 : 2
        guard let raw = malloc(max(1, image.samples.count * bytesPerSample)) else {
            throw InterfaceError(message: "out of memory for \(image.samples.count) samples")
        }
        let out = raw.bindMemory(to: UInt8.self, capacity: max(1, image.samples.count * bytesPerSample))
        image.samples.withUnsafeBufferPointer { source in
            if bytesPerSample == 1 {
                for i in source.indices { out[i] = UInt8(truncatingIfNeeded: source[i]) }
            } else {
                for i in source.indices {
                    out[2 * i] = UInt8(truncatingIfNeeded: source[i])
                    out[2 * i + 1] = UInt8(truncatingIfNeeded: source[i] >> 8)
                }
            }
        }
        samples.pointee = out
        (width.pointee, height.pointee) = (Int32(image.width), Int32(image.height))
        (channels.pointee, bitDepth.pointee) = (Int32(image.channels), Int32(image.bitDepth))
    }
}

@_cdecl("lcae_encode_image")
public func lcaeEncodeImage(_ samples: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32, _ channels: Int32, _ quality: Int32,
                            _ lambda: Double, _ rdoq: Int32, _ effort: Int32, _ passes: Int32, _ modelPath: UnsafePointer<CChar>?,
                            _ threads: Int32, _ stream: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
                            _ streamSize: UnsafeMutablePointer<Int>?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) {
        guard let stream, let streamSize else { throw InterfaceError(message: "a null output pointer") }
        guard let modelPath else { throw InterfaceError(message: "no model path") }
        guard width > 0, height > 0, channels == 1 || channels == 3 else {
            throw CodecError(.unsupportedImage, "an image of \(width)×\(height) with \(channels) channels; 1 or 3 channels, at least 1×1")
        }
        let (count, overflow) = Int(width).multipliedReportingOverflow(by: Int(height) * Int(channels))
        guard !overflow else { throw CodecError(.unsupportedImage, "an image too large to address") }
        let values = try bytes(samples, count).map { UInt16($0) }
        let image = try RasterImage(width: Int(width), height: Int(height), channels: Int(channels), bitDepth: 8, samples: values)
        guard lambda > 0 || (1...100).contains(quality) else { throw CodecError(.badOption, "quality is 1 to 100, or give a positive lambda") }
        guard (1...3).contains(effort), passes >= 1 else { throw CodecError(.badOption, "RDOQ effort is 1 to 3 and passes at least 1") }
        let model = try models.model(at: String(cString: modelPath))
        let step = lambda > 0 ? Quality.step(lambda: lambda, model: model) : Quality.step(Int(quality))
        let encoder = ImageEncoder(model: model, step: step,
                                   rdoq: rdoq != 0 ? RateDistortionOptimizer(lambda: lambda > 0 ? lambda : Quality.lambda(step: step, model: model),
                                                                             passes: Int(passes), effort: Int(effort)) : nil,
                                   threads: threadCount(threads))
        let out = try encoder.encode(image).container.bytes()
        stream.pointee = try handOut(out)
        streamSize.pointee = out.count
    }
}

@_cdecl("lcae_encode_latents")
public func lcaeEncodeLatents(_ values: UnsafePointer<Int32>?, _ channels: Int32, _ height: Int32, _ width: Int32,
                              _ tablesPath: UnsafePointer<CChar>?, _ placement: Int32, _ lanes: Int32, _ substreams: Int32,
                              _ threads: Int32, _ stream: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
                              _ streamSize: UnsafeMutablePointer<Int>?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) {
        guard let stream, let streamSize else { throw InterfaceError(message: "a null output pointer") }
        guard channels > 0, height > 0, width > 0 else { throw CodecError(.badOption, "a latent needs at least one value in each dimension") }
        let (count, overflow) = Int(channels).multipliedReportingOverflow(by: Int(height) * Int(width))
        guard !overflow, count <= Int(Int32.max) else { throw CodecError(.badOption, "a latent too large to address") }
        guard count == 0 || values != nil, let values else { throw InterfaceError(message: "a null latent") }
        guard [1, 2, 4, 8].contains(lanes), substreams >= 1, (0...2).contains(placement) else {
            throw CodecError(.badOption, "lanes are 1, 2, 4 or 8, substreams at least 1, placement 0, 1 or 2")
        }
        let tensor = LatentTensor(channels: Int(channels), height: Int(height), width: Int(width),
                                  values: Array(UnsafeBufferPointer(start: values, count: count)))
        let encoder = LatentEncoder(lanes: Int(lanes), substreams: Int(substreams), threads: threadCount(threads))
        let container: ContainerStream
        if let tablesPath {
            let given = try TableFile.read(contentsOf: String(cString: tablesPath))
            switch placement {
            case 0: container = try encoder.automatic(tensor, given: given, fitter: ContextFitter()).0
            case 1: container = try encoder.container(tensor, tables: given, placement: .inBand)
            default: container = try encoder.container(tensor, tables: given, placement: .referenced)
            }
        } else {
            guard placement != 2 else { throw CodecError(.badOption, "referenced placement needs tables") }
            let (own, _) = try ContextFitter().fit([tensor])
            container = try encoder.container(tensor, tables: own, placement: .inBand)
        }
        let out = container.bytes()
        stream.pointee = try handOut(out)
        streamSize.pointee = out.count
    }
}

@_cdecl("lcae_decode_latents")
public func lcaeDecodeLatents(_ data: UnsafePointer<UInt8>?, _ size: Int, _ tablePaths: UnsafePointer<UnsafePointer<CChar>?>?,
                              _ tableCount: Int32, _ modelPaths: UnsafePointer<UnsafePointer<CChar>?>?, _ modelCount: Int32,
                              _ threads: Int32, _ values: UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>?,
                              _ channels: UnsafeMutablePointer<Int32>?, _ height: UnsafeMutablePointer<Int32>?,
                              _ width: UnsafeMutablePointer<Int32>?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) {
        guard let values, let channels, let height, let width else { throw InterfaceError(message: "a null output pointer") }
        let container = try ContainerReader().read(try bytes(data, size))
        var available = try strings(tablePaths, tableCount).map { try TableFile.read(contentsOf: $0) }
        // A CREF may name a table set of the bound model (spec §15.2).
        let given = try readModels(modelPaths, modelCount)
        if let hash = container.header.modelHash, let bound = given.first(where: { $0.sha256 == hash }) {
            for chunk in container.chunks where chunk.type == .tableReference && chunk.payload.count == 33 {
                if let found = try bound.tables(named: Array(chunk.payload.dropFirst())) { available.append(found) }
            }
        }
        let all = try LatentDecoder(threads: threadCount(threads), available: available).decodeAll(container)
        guard let first = all.integer.first else { throw CodecError(.badOption, "the stream holds no integer latent") }
        let tensor = first.tensor
        values.pointee = try handOut(tensor.values)
        (channels.pointee, height.pointee, width.pointee) = (Int32(tensor.channels), Int32(tensor.height), Int32(tensor.width))
    }
}

@_cdecl("lcae_check")
public func lcaeCheck(_ data: UnsafePointer<UInt8>?, _ size: Int, _ modelPaths: UnsafePointer<UnsafePointer<CChar>?>?, _ modelCount: Int32,
                      _ tablePaths: UnsafePointer<UnsafePointer<CChar>?>?, _ tableCount: Int32,
                      _ report: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                      _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) {
        guard let report else { throw InterfaceError(message: "no place for the report") }
        let given = try readModels(modelPaths, modelCount)
        let tables = try strings(tablePaths, tableCount).map { try TableFile.read(contentsOf: $0) }
        let outcome = StreamCheck(tables: tables, models: given).run(try bytes(data, size))
        let failure = outcome.error
        report.pointee = handOut(JSONValue.object([
            ("valid", .bool(failure == nil)),
            ("code", failure.map { .string($0.code.rawValue) } ?? .null),
            ("offset", failure.map { .int($0.offset) } ?? .null),
            ("clause", outcome.clause.map { .string($0) } ?? .null),
            ("message", failure.map { .string($0.message) } ?? .null),
            ("latent_sha256", .array(outcome.latentSHA256.map { .string($0) })),
            ("image_sha256", outcome.imageSHA256.map { .string($0) } ?? .null),
        ]).serialized())
    }
}
