import CConvolution
import Foundation
import LCAE
import LCAEContainer
import LCAEModel
import LCAEPNG

/// Times the image codec in process, stage by stage (release mode; medians over repeats), so
/// that file I/O and model loading stay out of the figures.
package struct CodecBenchmark: Sendable {
    package var repeats: Int
    package var threads: Int

    package init(repeats: Int = 7, threads: Int = 1) {
        self.repeats = repeats
        self.threads = threads
    }

    package struct Record: Sendable {
        package var stage: String
        package var milliseconds: Double
    }

    package func run(_ image: RasterImage, encoder: ImageEncoder, models: [CodecModel]) throws -> [Record] {
        var encoder = encoder
        encoder.threads = threads
        var times: [String: [Double]] = [:]
        func time<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try body()
            times[stage, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            return result
        }
        let decoder = ImageDecoder(models: models, threads: threads)
        for _ in 0..<repeats {
            let encoded = try time("encode (analysis to bytes)") {
                let encoded = try encoder.encode(image)
                return (encoded, encoded.container.bytes())
            }
            let container = try time("decode: read container") { try ContainerReader().read(encoded.1) }
            let decoded = try time("decode (bytes to pixels)") { try decoder.decode(container) }
            guard decoded.image == encoded.0.reconstruction else {
                throw CodecError(.unsupportedModel, "the decoder's image differs from the encoder's reconstruction")
            }
            // The decoder's stages one by one, to see where its time goes.
            let model = encoder.model
            let tables = [try time("  model's table set (inflate, hash, parse)") { try model.tables(named: encoded.0.tables.sha256) }]
                .compactMap { $0 }
            let latent = try time("  latent: tables and values") { try LatentDecoder(threads: threads, available: tables).decode(container) }
            let synthesis = SynthesisNetwork(model)
            let output = time("  synthesis network") { synthesis.run(latent[0].tensor, step: decoded.step, threads: threads) }
            let samples = time("  output samples") { synthesis.samples(output, height: image.height, width: image.width) }
            _ = time("  hashes (latent, image)") { (LatentChunk.hash(latent[0].tensor), ImageChunk.hash(decoded.image)) }
            guard samples == decoded.image.samples else {
                throw CodecError(.unsupportedModel, "the staged decode differs from the decoder's")
            }
        }
        let order = ["encode (analysis to bytes)", "decode: read container", "decode (bytes to pixels)",
                     "  model's table set (inflate, hash, parse)", "  latent: tables and values",
                     "  synthesis network", "  output samples", "  hashes (latent, image)"]
        return order.compactMap { stage in
            times[stage].map { Record(stage: stage, milliseconds: $0.sorted()[$0.count / 2]) }
        }
    }

    /// One network on one kernel path: median time and billions of multiply-adds per second.
    package struct NetworkRecord: Sendable {
        package var network: String
        package var path: KernelPath
        package var milliseconds: Double
        package var multiplyAdds: Int
        package var gigaMultiplyAddsPerSecond: Double { Double(multiplyAdds) / milliseconds / 1e6 }
    }

    /// A path's int16 multiply-add peak on one core, in billions per second: the median of
    /// `repeats` runs of register-only multiply-adds (vpdpwssd, or pmaddwd + paddd).
    package static func int16Peak(_ path: KernelPath, repeats: Int = 5) -> Double {
        var rates: [Double] = []
        var sink: Int32 = 0
        for r in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let work = lcae_int16_peak(Int32(path.rawValue), 20_000_000, Int32(r + 1), &sink)
            rates.append(Double(work) / Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        return rates.sorted()[rates.count / 2]
    }

    /// Times the synthesis (on the image's latent at the encoder's step) and the analysis on
    /// every kernel path this CPU supports. Block transforms have a path of their own, which
    /// the kernel path does not change.
    package func runNetworks(_ image: RasterImage, encoder: ImageEncoder) throws -> [NetworkRecord] {
        let encoded = try encoder.encode(image)
        let latent = encoded.latent
        var records: [NetworkRecord] = []
        func median(_ body: () -> Void) -> Double {
            var times: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            return times.sorted()[times.count / 2]
        }
        let model = encoder.model
        let synthesisWork = Self.multiplyAdds(model.synthesis, channels: latent.channels, height: latent.height, width: latent.width)
        let analysis = try ImageAnalysis(model)
        let size = try analysis.latentSize(height: image.height, width: image.width)
        let padded = SynthesisNetwork(model).outputSize(height: size.height, width: size.width) ?? (0, 0)
        let analysisWork = Self.multiplyAdds(model.analysis, channels: image.channels, height: padded.height, width: padded.width)
        for path in KernelPath.supported where path != .scalar {
            let synthesis = SynthesisNetwork(model, path: path)
            let ms = median { _ = synthesis.run(latent, step: encoded.latentStep, threads: threads) }
            records.append(NetworkRecord(network: "synthesis", path: path, milliseconds: ms, multiplyAdds: synthesisWork))
            let network = try ImageAnalysis(model, path: path)
            let msA = median { _ = try? network.latent(image, threads: threads) }
            records.append(NetworkRecord(network: "analysis", path: path, milliseconds: msA, multiplyAdds: analysisWork))
        }
        return records
    }

    /// The multiply-adds of a network's convolutions on an input of that size: every
    /// (output position, tap, input channel, output channel) of a convolution, every (input
    /// position, tap, input channel, output channel) of a transposed one.
    package static func multiplyAdds(_ layers: [Layer], channels: Int, height: Int, width: Int) -> Int {
        var (h, w, total) = (height, width, 0)
        for case .convolution(let c) in layers {
            guard let (oh, ow) = c.outputSize(height: h, width: w) else { return total }
            total += (c.transposed ? h * w : oh * ow) * c.kernelSize * c.inChannels * c.outChannels
            (h, w) = (oh, ow)
        }
        return total
    }
}
