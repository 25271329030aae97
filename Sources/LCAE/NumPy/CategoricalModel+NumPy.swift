import LCAEEntropy
import LCAENumPy

extension CategoricalModel {
    /// Models from a uint32 frequency array: shape (K,) gives one model, (N, K) one per row
    /// (the layout of `lcae ans` and `lcae chain`). Every row is validated (spec §10.2).
    public static func models(frequencies array: NpyArray, precision: Int) throws -> [CategoricalModel] {
        let values = try array.uint32Values()
        switch array.shape.count {
        case 1:
            return [try CategoricalModel(frequencies: values, precision: precision)]
        case 2 where array.shape[1] > 0:
            let k = array.shape[1]
            var models: [CategoricalModel] = []
            for row in 0..<array.shape[0] {
                do {
                    models.append(try CategoricalModel(frequencies: Array(values[(row * k)..<((row + 1) * k)]), precision: precision))
                } catch {
                    throw EntropyError(error.code, "row \(row): \(error.message)")
                }
            }
            return models
        default:
            throw NpyError(.wrongArray, "frequencies must have shape (K,) or (N, K), not \(array.shape)")
        }
    }
}
