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

    /// A NumPy int32 array of shape (C, H, W).
    public var npy: NpyArray { NpyArray(int32: values, shape: [channels, height, width]) }

    /// Tensors from an integer or float array of shape (C, H, W) or (N, C, H, W); floats are rounded to nearest.
    public static func tensors(from array: NpyArray) throws(NpyError) -> [LatentTensor] {
        let values = try array.int32Values()
        let shape = array.shape
        switch shape.count {
        case 3:
            return [LatentTensor(channels: shape[0], height: shape[1], width: shape[2], values: values)]
        case 4:
            let size = shape[1] * shape[2] * shape[3]
            return (0..<shape[0]).map { n in
                LatentTensor(channels: shape[1], height: shape[2], width: shape[3], values: Array(values[(n * size)..<((n + 1) * size)]))
            }
        default:
            throw NpyError(.wrongArray, "latents have shape (C, H, W) or (N, C, H, W), not \(shape)")
        }
    }
}
