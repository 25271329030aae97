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
