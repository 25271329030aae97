import Foundation
@testable import LCAENumPy
import Testing

/// The .npy reader against files NumPy wrote (tools/make_npy_fixtures.py), and against damage.
@Suite(".npy files")
struct NpyTests {
    static func fixture(_ name: String) throws -> NpyArray {
        try NpyArray.read(contentsOf: Fixtures.path("Tests/LCAETests/Vectors/npy/" + name))
    }

    @Test("files written by NumPy read back with their shapes and values")
    func numpyFiles() throws {
        let a = try Self.fixture("int32_2x3.npy")
        #expect(a.shape == [2, 3] && a.dtype == .int32)
        #expect(try a.int32Values() == [-2, -1, 0, 1, 2, 3])
        #expect(try Self.fixture("uint32_4.npy").uint32Values() == [0, 1, 1 << 31, UInt32.max])
        #expect(try Self.fixture("int64_3.npy").int32Values() == [-5, 0, 7])
        #expect(try Self.fixture("int16_3.npy").int32Values() == [-300, 0, 300])
        #expect(try Self.fixture("uint8_3.npy").int32Values() == [0, 128, 255])
        let f = try Self.fixture("float32_2x2x2.npy")
        #expect(f.shape == [2, 2, 2])
        #expect(f.doubleValues() == [-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5])
        // Floats round to nearest, ties to even, when integers are asked for.
        #expect(try f.int32Values() == [-4, -2, -2, 0, 0, 2, 2, 4])
        #expect(try Self.fixture("float64_3.npy").doubleValues() == [0.5, -1.5, 2.5])
        let scalar = try Self.fixture("scalar_int32.npy")
        #expect(scalar.shape == [])
        #expect(try scalar.int32Values() == [42])
        let empty = try Self.fixture("empty_int32_0x4.npy")
        #expect(empty.shape == [0, 4] && empty.count == 0)
        #expect(try Self.fixture("int32_v2.npy").int32Values() == [0, 1, 2])
    }

    @Test("what the reader does not handle is refused with its code", arguments: [
        ("fortran_int32_2x3.npy", NpyError.Code.fortranOrder),
        ("bigendian_int32.npy", .unsupportedType),
        ("complex64.npy", .unsupportedType),
    ])
    func unsupported(name: String, code: NpyError.Code) {
        #expect { try Self.fixture(name) } throws: { ($0 as? NpyError)?.code == code }
    }

    @Test("written arrays read back identically, for NumPy's header layout")
    func roundTrip() throws {
        let arrays = [
            NpyArray(int32: [1, -2, Int32.min, Int32.max], shape: [2, 2]),
            NpyArray(uint32: [7, 8, 9]),
            NpyArray(float32: [0.25, -1e30], shape: [2]),
            NpyArray(float64: [.pi], shape: [1, 1, 1]),
        ]
        for array in arrays {
            let bytes = array.bytes()
            #expect((bytes.count - array.data.count) % 64 == 0, "header padded to 64 bytes as NumPy does")
            #expect(try NpyArray.parse(bytes) == array)
        }
    }

    @Test("damaged headers and sizes are refused, never trapped on")
    func damage() throws {
        let good = NpyArray(int32: [1, 2, 3]).bytes()
        func code(_ bytes: [UInt8], maxElements: Int = 1 << 30) -> NpyError.Code? {
            do {
                _ = try NpyArray.parse(bytes, maxElements: maxElements)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code([]) == .badMagic)
        #expect(code(Array("NUMPY".utf8)) == .badMagic)
        var version = good
        version[6] = 9
        #expect(code(version) == .badHeader)
        var long = good
        long[8] = 0xFF
        long[9] = 0xFF
        #expect(code(long) == .badHeader)
        #expect(code(Array(good.dropLast())) == .badSize)
        #expect(code(good + [0]) == .badSize)
        #expect(code(good, maxElements: 2) == .badSize)
        // A shape whose product overflows 64 bits.
        let huge = Array("{'descr': '<i4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }\n".utf8)
        #expect(code(NpyArray.magic + [1, 0, UInt8(huge.count), 0] + huge) == .badSize)
        // Every prefix is refused.
        for cut in 0..<good.count {
            #expect(code(Array(good.prefix(cut))) != nil, "prefix \(cut)")
        }
        // Mangled header text.
        for garbage in ["{}", "[1]", "{'descr': '<i4', 'shape': (3,), }", "{'descr': '<i4', 'fortran_order': Maybe, 'shape': (3,), }",
                        "{'descr': '<i4', 'fortran_order': False, 'shape': (-3,), }", "{'descr': 4, 'fortran_order': False, 'shape': (3,), }"] {
            let text = Array((garbage + "\n").utf8)
            #expect(code(NpyArray.magic + [1, 0, UInt8(text.count), 0] + text + [UInt8](repeating: 0, count: 12)) == .badHeader, "\(garbage)")
        }
    }
}
