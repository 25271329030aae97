/// An integer latent: channels × height × width values, channel-major (spec §7.1.4).
public struct LatentTensor: Equatable, Sendable {
    /// Channels C.
    public var channels: Int
    /// Rows H.
    public var height: Int
    /// Columns W.
    public var width: Int
    /// C × H × W values, channel-major, then rows, then columns.
    public var values: [Int32]

    /// A tensor of the given shape; traps unless `values` has C × H × W elements.
    public init(channels: Int, height: Int, width: Int, values: [Int32]) {
        precondition(values.count == channels * height * width, "values do not match the shape")
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    /// H × W, the values of one channel.
    public var plane: Int { height * width }

    /// The value v(channel, row, column) (spec §12.1).
    public subscript(channel: Int, row: Int, column: Int) -> Int32 {
        values[channel * plane + row * width + column]
    }
}
