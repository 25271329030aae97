import LCAEContext
import LCAENumPy

extension LatentTensor {
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
