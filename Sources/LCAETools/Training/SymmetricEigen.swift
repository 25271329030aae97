/// Eigenvalues and eigenvectors of a real symmetric matrix by cyclic Jacobi rotations.
///
/// Only +, −, ×, ÷ and square roots, all correctly rounded in IEEE 754, in a fixed order: the
/// same input gives the same bits on every conforming platform, which reproducible
/// block-transform models (spec §15.8) rely on.
struct SymmetricEigen {
    /// Descending.
    var values: [Double]
    /// `vectors[k]` belongs to `values[k]`; unit length, sign fixed so that its entry of largest
    /// magnitude (the first such) is positive.
    var vectors: [[Double]]

    init(_ matrix: [Double], size n: Int, sweeps: Int = 60) {
        var a = matrix
        // Rows of v are the eigenvectors, so rotations touch contiguous memory.
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        a.withUnsafeMutableBufferPointer { a in
            v.withUnsafeMutableBufferPointer { v in
                for _ in 0..<sweeps {
                    var off = 0.0, diagonal = 0.0
                    for p in 0..<n {
                        diagonal += a[p * n + p] * a[p * n + p]
                        for q in (p + 1)..<n { off += a[p * n + q] * a[p * n + q] }
                    }
                    if off <= 1e-30 * diagonal { break }
                    for p in 0..<(n - 1) {
                        for q in (p + 1)..<n {
                            let apq = a[p * n + q]
                            if apq == 0 { continue }
                            let (app, aqq) = (a[p * n + p], a[q * n + q])
                            // Skip rotations below the diagonal's rounding: they change nothing.
                            if abs(apq) < 1e-18 * (abs(app) + abs(aqq)) {
                                a[p * n + q] = 0
                                a[q * n + p] = 0
                                continue
                            }
                            let theta = (aqq - app) / (2 * apq)
                            let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                            let c = 1 / (t * t + 1).squareRoot()
                            let s = t * c
                            // Rows p and q of Jᵀ A, then the same on the columns by symmetry.
                            for k in 0..<n {
                                let (x, y) = (a[p * n + k], a[q * n + k])
                                a[p * n + k] = c * x - s * y
                                a[q * n + k] = s * x + c * y
                            }
                            for k in 0..<n {
                                a[k * n + p] = a[p * n + k]
                                a[k * n + q] = a[q * n + k]
                            }
                            a[p * n + p] = app - t * apq
                            a[q * n + q] = aqq + t * apq
                            a[p * n + q] = 0
                            a[q * n + p] = 0
                            for k in 0..<n {
                                let (x, y) = (v[p * n + k], v[q * n + k])
                                v[p * n + k] = c * x - s * y
                                v[q * n + k] = s * x + c * y
                            }
                        }
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] || (a[$0 * n + $0] == a[$1 * n + $1] && $0 < $1) }
        values = order.map { a[$0 * n + $0] }
        vectors = order.map { k in
            var row = Array(v[(k * n)..<(k * n + n)])
            var largest = 0
            for i in 1..<n where abs(row[i]) > abs(row[largest]) { largest = i }
            if row[largest] < 0 { row = row.map { -$0 } }
            return row
        }
    }
}
