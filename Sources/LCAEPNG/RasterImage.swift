/// A raster image in the form the codec works on: grey or RGB, 8 or 16 bits per sample.
///
/// Samples are stored row-major and interleaved: the sample of channel `c` at
/// column `x`, row `y` is `samples[(y * width + x) * channels + c]`. Every
/// sample is at most `maxValue`; the initializers check this, so code that
/// reads a `RasterImage` can rely on it.
public struct RasterImage: Equatable, Sendable {
    /// Width in pixels, at least 1.
    public let width: Int
    /// Height in pixels, at least 1.
    public let height: Int
    /// 1 (grey) or 3 (RGB).
    public let channels: Int
    /// 8 or 16.
    public let bitDepth: Int
    /// `height * width * channels` samples in (y, x, channel) order.
    public private(set) var samples: [UInt16]

    /// Checks the sizes (each at least 1, product without overflow) and that every sample fits `bitDepth`.
    public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16]) throws(PNGError) {
        let count = try Self.sampleCount(width: width, height: height, channels: channels, bitDepth: bitDepth)
        guard samples.count == count else {
            throw PNGError(.badImage, at: 0, "\(samples.count) samples for \(width)x\(height)x\(channels), expected \(count)")
        }
        let maxValue: UInt16 = bitDepth == 16 ? .max : 255
        if let index = samples.firstIndex(where: { $0 > maxValue }) {
            throw PNGError(.badImage, at: 0, "sample \(index) is \(samples[index]), above \(maxValue) for \(bitDepth)-bit samples")
        }
        self.init(unchecked: width, height: height, channels: channels, bitDepth: bitDepth, samples: samples)
    }

    /// For samples the caller has produced within range, with `sampleCount`'s sizes.
    package init(unchecked width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.samples = samples
    }

    /// The number of samples of an image of these sizes, after checking them.
    static func sampleCount(width: Int, height: Int, channels: Int, bitDepth: Int) throws(PNGError) -> Int {
        guard width >= 1, height >= 1 else {
            throw PNGError(.badImage, at: 0, "image is \(width)x\(height); both sizes must be at least 1")
        }
        guard channels == 1 || channels == 3 else {
            throw PNGError(.badImage, at: 0, "\(channels) channels; an image has 1 (grey) or 3 (RGB)")
        }
        guard bitDepth == 8 || bitDepth == 16 else {
            throw PNGError(.badImage, at: 0, "bit depth \(bitDepth); an image has 8 or 16")
        }
        let (pixels, o1) = width.multipliedReportingOverflow(by: height)
        let (count, o2) = pixels.multipliedReportingOverflow(by: channels)
        guard !o1, !o2 else {
            throw PNGError(.badImage, at: 0, "\(width)x\(height)x\(channels) samples overflow")
        }
        return count
    }

    /// The largest sample value: 255 or 65535.
    public var maxValue: UInt16 { bitDepth == 16 ? .max : 255 }

    /// The sample of `channel` at column `x`, row `y`; traps on indices out of range or a value above `maxValue`.
    public subscript(x x: Int, y y: Int, channel channel: Int) -> UInt16 {
        get { samples[index(x: x, y: y, channel: channel)] }
        set {
            precondition(newValue <= maxValue, "sample \(newValue) above \(maxValue)")
            samples[index(x: x, y: y, channel: channel)] = newValue
        }
    }

    private func index(x: Int, y: Int, channel: Int) -> Int {
        precondition((0..<width).contains(x) && (0..<height).contains(y) && (0..<channels).contains(channel),
                     "(\(x), \(y), \(channel)) outside a \(width)x\(height)x\(channels) image")
        return (y * width + x) * channels + channel
    }

    /// The same image at another bit depth: 8 → 16 multiplies by 257 (exact), 16 → 8 rounds `v * 255 / 65535` to nearest.
    public func converted(toBitDepth target: Int) -> RasterImage {
        precondition(target == 8 || target == 16, "bit depth \(target); an image has 8 or 16")
        guard target != bitDepth else { return self }
        let converted: [UInt16] = target == 16
            ? samples.map { $0 &* 257 }
            : samples.map { UInt16((UInt32($0) * 255 + 32767) / 65535) }
        return RasterImage(unchecked: width, height: height, channels: channels, bitDepth: target, samples: converted)
    }

    /// Samples as floats in [0, 1] (divided by `maxValue`), planar: channel by channel, each row-major
    /// (the (channel, y, x) layout networks take).
    public func planarFloats() -> [Float] {
        let plane = width * height
        let maxValue = Float(maxValue)
        var out = [Float](repeating: 0, count: samples.count)
        samples.withUnsafeBufferPointer { samples in
            out.withUnsafeMutableBufferPointer { out in
                for pixel in 0..<plane {
                    for channel in 0..<channels {
                        out[channel * plane + pixel] = Float(samples[pixel * channels + channel]) / maxValue
                    }
                }
            }
        }
        return out
    }

    /// An image from planar floats in (channel, y, x) order: each value is clamped to [0, 1], scaled by
    /// the maximum sample value of `bitDepth` and rounded to nearest (NaN becomes 0).
    public init(planarFloats values: [Float], width: Int, height: Int, channels: Int, bitDepth: Int) throws(PNGError) {
        let count = try Self.sampleCount(width: width, height: height, channels: channels, bitDepth: bitDepth)
        guard values.count == count else {
            throw PNGError(.badImage, at: 0, "\(values.count) values for \(width)x\(height)x\(channels), expected \(count)")
        }
        let plane = width * height
        let maxValue = Float(bitDepth == 16 ? UInt16.max : 255)
        var samples = [UInt16](repeating: 0, count: count)
        values.withUnsafeBufferPointer { values in
            samples.withUnsafeMutableBufferPointer { samples in
                for pixel in 0..<plane {
                    for channel in 0..<channels {
                        let value = values[channel * plane + pixel]
                        // Comparisons with NaN are false, so NaN takes the 0 branch.
                        let clamped: Float = value > 0 ? (value < 1 ? value : 1) : 0
                        samples[pixel * channels + channel] = UInt16((clamped * maxValue).rounded())
                    }
                }
            }
        }
        self.init(unchecked: width, height: height, channels: channels, bitDepth: bitDepth, samples: samples)
    }
}
