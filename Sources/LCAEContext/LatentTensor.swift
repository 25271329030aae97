/// An integer latent: channels × height × width values, channel-major (spec §7.1.4).
public struct LatentTensor: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var values: [Int32]

    public init(channels: Int, height: Int, width: Int, values: [Int32]) {
        precondition(values.count == channels * height * width, "values do not match the shape")
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    public var plane: Int { height * width }

    public subscript(channel: Int, row: Int, column: Int) -> Int32 {
        values[channel * plane + row * width + column]
    }
}
