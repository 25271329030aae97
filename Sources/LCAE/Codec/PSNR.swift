import Foundation
import LCAEPNG

extension RasterImage {
    /// Peak signal-to-noise ratio against `other` in dB, over every sample of every channel,
    /// with the bit depth's maximum as the peak; infinite for identical images.
    public func psnr(_ other: RasterImage) -> Double {
        precondition(width == other.width && height == other.height && channels == other.channels, "PSNR of images of different sizes")
        var sum = 0.0
        for (a, b) in zip(samples, other.samples) {
            let e = Double(a) - Double(b)
            sum += e * e
        }
        let mse = sum / Double(samples.count)
        let peak = Double(maxValue)
        return mse == 0 ? .infinity : 10 * log10(peak * peak / mse)
    }
}
