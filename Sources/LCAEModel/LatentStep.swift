/// The latent step of an image stream (spec §16.2, the STEP chunk): how the decoded integer
/// latent is scaled into the synthesis network's input, `sat16((ŷ × gain + 2^(shift−1)) >> shift)`.
public struct LatentStep: Equatable, Sendable {
    /// The STEP shift s, 0 to 31 (spec §16.2).
    public var shift: Int
    /// One gain for every channel, or one per channel.
    public var gains: [UInt32]

    /// A step from its STEP fields, unchecked (the STEP parser checks spec §16.2).
    public init(shift: Int, gains: [UInt32]) {
        self.shift = shift
        self.gains = gains
    }

    /// The step a stream without a STEP chunk uses: 2^F_in, the model's step 1 (spec §16.2).
    public static func unit(_ model: CodecModel) -> LatentStep {
        LatentStep(shift: 0, gains: [1 << UInt32(model.inputFractionBits)])
    }

    /// The gains that make the network see `step` × ŷ (spec §16.2: the reference encoder's choice).
    public static func approximating(_ step: Double, model: CodecModel) -> LatentStep {
        let scaled = step * Double(1 << model.inputFractionBits)
        var shift = 0
        while shift < 31 && scaled * Double(1 << (shift + 1)) < Double(1 << 24) { shift += 1 }
        let gain = max(1, min(UInt32(1) << 31, UInt32((scaled * Double(1 << shift)).rounded())))
        return LatentStep(shift: shift, gains: [gain])
    }

    /// The step the network sees, in latent units at step 1.
    public func step(_ channel: Int, model: CodecModel) -> Double {
        Double(gain(channel)) / Double(1 << shift) / Double(1 << model.inputFractionBits)
    }

    @inlinable @inline(__always)
    package func gain(_ channel: Int) -> UInt32 {
        gains.count == 1 ? gains[0] : gains[channel]
    }

    /// The synthesis input of one latent value (spec §15.4.1), with its channel's `gain`.
    @inlinable @inline(__always)
    package func scaled(_ value: Int32, gain: Int64) -> Int16 {
        // Round half up, then shift (floor). |ŷ × gain| < 2^63 − 2^31, so adding 2^(shift−1)
        // never wraps; the operations are written wrapping so that loops vectorize.
        let product = Int64(value) &* gain
        return Int16(clamping: shift == 0 ? product : (product &+ (1 << (shift - 1))) >> shift)
    }
}
