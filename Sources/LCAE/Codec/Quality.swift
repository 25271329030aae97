import Foundation
import LCAEModel

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

    /// λ for coding with `model` at `step`: `lambda(step:)`, or a third of it for a grey model
    /// whose synthesis is a network (more than one convolution). The grey networks that
    /// `tools/train_cae.py` and `tools/export_model.py` make keep the RGB networks' latent units,
    /// a grey sample's error counted three times (spec §15.7 item 2): RDOQ, which counts it
    /// once, keeps their trade-off with a third of λ. A block transform (spec §15.8) is
    /// orthonormal on the grey samples themselves and keeps λ.
    public static func lambda(step: Double, model: CodecModel) -> Double {
        lambda(step: step) * unitScale(model)
    }

    /// The step at which `lambda(step:model:)` is λ.
    public static func step(lambda: Double, model: CodecModel) -> Double {
        step(lambda: lambda / unitScale(model))
    }

    private static func unitScale(_ model: CodecModel) -> Double {
        let convolutions = model.synthesis.count { if case .convolution = $0 { true } else { false } }
        return model.colourFormat == .grey && convolutions > 1 ? 1.0 / 3 : 1
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
