/// Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
/// SC 2011): a counter-based generator, so every platform regenerates the same numbers from the
/// same key and counter, whatever the order or thread that asks (spec §14.1). Integer only.
package struct Philox: Sendable {
    package var key: (UInt32, UInt32)

    package init(key: (UInt32, UInt32)) {
        self.key = key
    }

    /// The key from a 64-bit seed, low word first.
    package init(seed: UInt64) {
        self.init(key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    static let multipliers: (UInt32, UInt32) = (0xD251_1F53, 0xCD9E_8D57)
    static let weyl: (UInt32, UInt32) = (0x9E37_79B9, 0xBB67_AE85)

    /// The four 32-bit outputs for a 128-bit counter (spec §14.1).
    package func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k = (k.0 &+ Self.weyl.0, k.1 &+ Self.weyl.1)
            }
            let p0 = Self.multipliers.0.multipliedFullWidth(by: c.0)
            let p1 = Self.multipliers.1.multipliedFullWidth(by: c.2)
            c = (p1.high ^ c.1 ^ k.0, p1.low, p0.high ^ c.3 ^ k.1, p0.low)
        }
        return c
    }
}
