import ArgumentParser
import Foundation
import LCAE
import LCAEContainer
import LCAEInspect
import LCAEModel
import LCAEPNG
import LCAESupport
import LCAETools

enum EntropyArgument: String, ExpressibleByArgument, CaseIterable {
    case contexts, factorized
    var kind: CodecModel.TableSet.Kind { self == .contexts ? .contexts : .factorized }
}

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode a PNG (8-bit grey or RGB; 16-bit is reduced to 8) into an .lcae stream.",
        discussion: """
            Uses the default model for the image's colour format unless --model is given. \
            --quality (1 to 100, default 75) or --lambda sets the latent step; --rdoq runs \
            inference-based RDOQ (§3.2 of "Entropy Coding Improvement for Low-complexity \
            Compressive Auto-encoders") with λ from the same setting. Prints bits per pixel, \
            PSNR and time (the PSNR of what every decoder reconstructs).
            """)

    @Argument(help: "Input PNG.") var input: String
    @Option(name: .shortAndLong, help: "Output .lcae.") var output: String
    @Option(help: "1 (smallest) to 100 (best).") var quality: Int?
    @Option(help: "Rate-distortion multiplier: squared 8-bit error per bit; sets the step as well.") var lambda: Double?
    @Flag(help: "Rate-distortion optimised quantization.") var rdoq = false
    @Option(name: [.customLong("rdoq-passes"), .customLong("passes")], help: "RDOQ passes.") var passes = 3
    @Option(name: .customLong("rdoq-effort"), help: """
        RDOQ effort for convolutional models: 1 tries each value one step towards its channel's most probable value, \
        2 also one step away, 3 also measures the error over a wider window (slower, usually smaller).
        """) var effort = 1
    @Option(help: "contexts (context-switching tables) or factorized (one CDF per channel).") var entropy: EntropyArgument = .contexts
    @Option(help: "A model file instead of the default model.") var model: String?
    @Option(help: "Interleaved rANS lanes: 1, 2, 4 or 8.") var lanes = 4
    @Option(help: "Independently decodable substreams.") var substreams = 1
    @Option(help: "Threads (default: every core; the output is the same for any count).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print a JSON object instead of text.") var json = false

    func validate() throws {
        if quality != nil && lambda != nil { throw ValidationError("give --quality or --lambda, not both") }
        if let quality, !(1...100).contains(quality) { throw ValidationError("--quality is 1 to 100") }
        if let lambda, !(lambda > 0 && lambda.isFinite) { throw ValidationError("--lambda must be positive") }
        if passes < 1 { throw ValidationError("--rdoq-passes must be at least 1") }
        if !(1...3).contains(effort) { throw ValidationError("--rdoq-effort is 1, 2 or 3") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let start = Date()
        let decoded = try PNGReader().read(contentsOf: input)
        var image = decoded.image
        if decoded.droppedAlpha { printError("note: the alpha channel of \(input) is not coded") }
        if image.bitDepth == 16 {
            printError("note: \(input) has 16-bit samples; the model codes 8-bit, so they are rounded to 8 bits")
            image = image.converted(toBitDepth: 8)
        }
        let colour: StreamHeader.ColourFormat = image.channels == 1 ? .grey : .rgb
        let model = try model.map { try CodecModel.read(contentsOf: $0) } ?? DefaultModel.load(colour)
        let step = lambda.map { Quality.step(lambda: $0, model: model) } ?? Quality.step(quality ?? 75)
        let lambdaValue = lambda ?? Quality.lambda(step: step, model: model)
        let encoder = ImageEncoder(model: model, step: step, entropy: entropy.kind,
                                   rdoq: rdoq ? RateDistortionOptimizer(lambda: lambdaValue, passes: passes, effort: effort) : nil,
                                   lanes: lanes, substreams: substreams, threads: threads)
        let encoded = try encoder.encode(image, progress: { printError($0) })
        let bytes = encoded.container.bytes()
        try AtomicFile.write(bytes, to: output)
        let seconds = Date().timeIntervalSince(start)
        let bpp = Double(8 * bytes.count) / Double(image.width * image.height)
        let psnr = encoded.reconstruction.psnr(image)
        if json {
            let object: JSONValue = .object([
                ("output", .string(output)), ("width", .int(image.width)), ("height", .int(image.height)),
                ("channels", .int(image.channels)), ("bytes", .int(bytes.count)), ("bits_per_pixel", .double(bpp)),
                ("psnr", .double(psnr)), ("step", .double(encoded.latentStep.step(0, model: model))), ("lambda", .double(lambdaValue)),
                ("rdoq", .bool(rdoq)), ("entropy", .string(entropy.rawValue)), ("seconds", .double(seconds)),
            ])
            print(object.serialized())
        } else {
            print(String(format: "%@: %d×%d %@, %d bytes, %.4f bits per pixel, PSNR %.2f dB, step %.2f%@, %.3f s", output,
                         image.width, image.height, colour == .grey ? "grey" : "RGB", bytes.count, bpp, psnr,
                         encoded.latentStep.step(0, model: model), rdoq ? String(format: ", RDOQ λ %.1f", lambdaValue) : "", seconds))
        }
    }
}

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode an .lcae image stream to PNG, integer-exact, checking the latent and image hashes.",
        discussion: """
            The stream names its model by SHA-256; the default models are always available, --model adds others. \
            An output ending in .npy gets the samples as a NumPy array (height, width, channels), u1 or <u2, \
            as the external-decoder contract of spec §13.4 says; errors print `error: CODE at byte N: ...`.
            """)

    @Argument(help: "Input .lcae.") var input: String
    @Option(name: .shortAndLong, help: "Output PNG, or .npy.") var output: String
    @Option(help: "Model files the stream may be bound to.") var model: [String] = []
    @Option(help: "Table files a CREF chunk may name.") var tables: [String] = []
    @Option(help: "Threads (default: every core; the output is the same for any count).") var threads = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        let start = Date()
        let given = try model.map { try CodecModel.read(contentsOf: $0) }
        let extra = try tables.map { try TableFile.read(contentsOf: $0) }
        let decoded: ImageDecoder.Decoded
        do {
            let container = try ContainerReader().read(contentsOf: input)
            // The default model the stream binds, if it binds one (only that one is read).
            var models = given
            if let hash = container.header.modelHash, let bound = try DefaultModel.model(sha256: hash) { models.append(bound) }
            decoded = try ImageDecoder(models: models, tables: extra, threads: threads).decode(container)
        } catch {
            printError("error: \(error)")
            throw error.code == .ioError ? ExitStatus.internalError : ExitStatus.nonConformant
        }
        if output.hasSuffix(".npy") {
            try decoded.image.npy.write(to: output)
        } else {
            try PNGWriter().write(decoded.image, to: output)
        }
        let checks = [decoded.latent.hashChecked ? "latent hash" : nil, decoded.imageHashChecked ? "image hash" : nil].compactMap { $0 }
        print(String(format: "%@: %d×%d, %@, %.3f s", output, decoded.image.width, decoded.image.height,
                     checks.isEmpty ? "no hashes to check" : checks.joined(separator: " and ") + " match", Date().timeIntervalSince(start)))
    }
}

struct TrainModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-model",
        abstract: "Train a block-transform model (PCA of b×b blocks) from 8-bit PNGs, with table sets at the quality ladder's steps.",
        discussion: """
            A linear auto-encoder in closed form (spec §15.8): the package's default models
            before the trained ones, and a baseline for trained models. For example
              lcae train-model samples/images/*.png --colour rgb -o pca-rgb.lcaem
              lcae encode photo.png --model pca-rgb.lcaem -o photo.lcae
            """)

    @Argument(help: "Training PNGs (converted to the colour format).") var images: [String]
    @Option(help: "rgb or grey.") var colour: String = "rgb"
    @Option(help: "Block size b: the latent has b × b × colours channels.") var block = 16
    @Option(help: "Threads (default: every core; the output is the same for any count).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .shortAndLong, help: "Output model file.") var output: String

    func run() throws {
        guard colour == "rgb" || colour == "grey" else { throw ValidationError("--colour is rgb or grey") }
        let start = Date()
        let inputs = try images.map { try PNGReader().read(contentsOf: $0).image }
        let trainer = BlockTransformTrainer(blockSize: block, threads: threads)
        let (model, report) = try trainer.train(inputs, colour: colour == "rgb" ? .rgb : .grey, progress: { printError($0) })
        try AtomicFile.write(model.bytes, to: output)
        let total = report.variances.reduce(0, +)
        let top = report.variances.prefix(8).map { String(format: "%.0f", $0) }.joined(separator: " ")
        print(String(format: "%@: %d latent channels from %d blocks, %d table sets, %.1f s", output, model.latentChannels, report.blocks,
                     model.tableSets.count, Date().timeIntervalSince(start)))
        print("largest variances: \(top) (of \(String(format: "%.0f", total)) in all)")
        print("sha256 \(model.sha256.map(hex2).joined())")
    }
}

struct RoundTripCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "round-trip",
        abstract: "Encode a PNG with the default model, decode the stream as a separate decoder would, and print what it cost.",
        discussion: "Prints bits per pixel, PSNR and the encode and decode times; with -o, also writes the stream and the decoded PNG.")

    @Argument(help: "Input PNG.") var input: String = "samples/images/chelsea.png"
    @Option(help: "1 (smallest) to 100 (best).") var quality = 75
    @Flag(help: "Rate-distortion optimised quantization.") var rdoq = false
    @Option(name: .shortAndLong, help: "Write OUT.lcae and OUT.png.") var output: String?
    @Option(help: "Threads (default: every core; the output is the same for any count).") var threads = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        guard (1...100).contains(quality) else { throw ValidationError("--quality is 1 to 100") }
        var image = try PNGReader().read(contentsOf: input).image
        if image.bitDepth == 16 { image = image.converted(toBitDepth: 8) }
        let colour: StreamHeader.ColourFormat = image.channels == 1 ? .grey : .rgb
        let model = try DefaultModel.load(colour)
        let step = Quality.step(quality)
        let encoder = ImageEncoder(model: model, step: step, rdoq: rdoq ? RateDistortionOptimizer(lambda: Quality.lambda(step: step, model: model)) : nil,
                                   threads: threads)
        let start = Date()
        let bytes = try encoder.encode(image).container.bytes()
        let encoded = Date()
        let decoded = try ImageDecoder(models: [model], threads: threads).decode(ContainerReader().read(bytes))
        let done = Date()
        let bpp = Double(8 * bytes.count) / Double(image.width * image.height)
        print(String(format: "%@: %d×%d %@, quality %d%@", input, image.width, image.height, colour == .grey ? "grey" : "RGB", quality, rdoq ? " with RDOQ" : ""))
        print(String(format: "  %d bytes, %.4f bits per pixel, PSNR %.2f dB", bytes.count, bpp, decoded.image.psnr(image)))
        print(String(format: "  encode %.0f ms, decode %.0f ms (model %@…, latent and image hashes %@)", encoded.timeIntervalSince(start) * 1000,
                     done.timeIntervalSince(encoded) * 1000, model.sha256.prefix(4).map(hex2).joined(),
                     decoded.latent.hashChecked && decoded.imageHashChecked ? "checked" : "absent"))
        if let output {
            try AtomicFile.write(bytes, to: output + ".lcae")
            try PNGWriter().write(decoded.image, to: output + ".png")
            print("  wrote \(output).lcae and \(output).png")
        }
    }
}
