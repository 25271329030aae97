@testable import LCAEREC
import Testing

@Suite("Philox4x32-10")
struct PhiloxTests {
    /// The known-answer vectors published with Random123 (kat_vectors, "philox4x32 10" lines):
    /// counter (4 words), key (2 words), output (4 words).
    @Test("the published known-answer vectors", arguments: [
        ([0, 0, 0, 0], [0, 0], [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8]),
        ([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], [0xFFFF_FFFF, 0xFFFF_FFFF], [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD]),
        ([0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344], [0xA409_3822, 0x299F_31D0], [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1]),
    ] as [([UInt32], [UInt32], [UInt32])])
    func knownAnswers(counter: [UInt32], key: [UInt32], expected: [UInt32]) {
        let out = Philox(key: (key[0], key[1])).block((counter[0], counter[1], counter[2], counter[3]))
        #expect([out.0, out.1, out.2, out.3] == expected)
    }

    @Test("the seed is the key, low word first")
    func seed() {
        let a = Philox(seed: 0x299F_31D0_A409_3822).block((0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344))
        #expect(a.0 == 0xD16C_FE09)
    }
}
