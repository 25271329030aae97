/// A tensor of int16 values between two layers of the synthesis network, stored height ×
/// width × channels (the channels of one position are contiguous, as in an interleaved image).
public struct Activation: Equatable, Sendable {
    /// Channels at each position.
    public var channels: Int
    /// Rows.
    public var height: Int
    /// Columns.
    public var width: Int
    /// height × width × channels values, the channels of a position contiguous.
    public var values: [Int16]

    /// A tensor of the given shape; traps unless `values` has channels × height × width elements.
    public init(channels: Int, height: Int, width: Int, values: [Int16]) {
        precondition(values.count == channels * height * width, "an activation needs channels × height × width values")
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }
}
