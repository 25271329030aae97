import Foundation

/// The map from the friendly `--quality` scale and from `--lambda` to the latent step and the
/// rate-distortion multiplier (informative: any step gives a valid stream).
public enum Quality {
    /// Quality 100 codes at step 10 (about 2 bits per pixel on photographs with the default
    /// model); every 18 points down doubles the step.
    public static func step(_ quality: Int) -> Double {
        10 * pow2(Double(100 - quality) / 18)
    }

    /// The steps the default model's tables are fitted at: half an octave apart, from quality
    /// 100 down to below quality 1.
    public static let ladder: [Double] = (0..<12).map { 10 * pow2(Double($0) / 2) }

    /// λ in squared 8-bit sample units per bit, for D + λR over the whole image: the slope of a
    /// uniform quantizer at high rate, D ≈ Δ²/12 per coefficient falling by a factor 4 per
    /// extra bit, so −dD/dR = (ln 2 / 6) Δ².
    public static func lambda(step: Double) -> Double {
        0.1155 * step * step
    }

    /// The step whose high-rate slope is λ: the inverse of `lambda(step:)`.
    public static func step(lambda: Double) -> Double {
        (lambda / 0.1155).squareRoot()
    }

    /// The encoder's choice only: the STEP chunk records the step it used exactly.
    private static func pow2(_ x: Double) -> Double {
        Foundation.pow(2, x)
    }
}
