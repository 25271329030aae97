/// A tensor of int16 values between two layers of the synthesis network, stored height ×
/// width × channels (the channels of one position are contiguous, as in an interleaved image).
public struct Activation: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var values: [Int16]

    public init(channels: Int, height: Int, width: Int, values: [Int16]) {
        precondition(values.count == channels * height * width, "an activation needs channels × height × width values")
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }
}

/// Spec §15.4.2: round half up, then shift right (floor, as an arithmetic shift does). Callers
/// pass values below 2^63 − 2^31 in magnitude (an i32 accumulator, or an i32 latent times a u32
/// gain), so the addition never wraps; it is written wrapping so that loops vectorize.
@inline(__always)
func roundShift(_ value: Int64, _ shift: Int) -> Int64 {
    shift == 0 ? value : (value &+ (1 << (shift - 1))) >> shift
}

@inline(__always)
func saturate16(_ value: Int64) -> Int16 {
    Int16(clamping: value)
}
