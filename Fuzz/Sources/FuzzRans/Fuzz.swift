import FuzzSupport
import LCAE

/// rANS payloads (spec §10.5, §10.6): the first bytes choose a model set, the rest is a payload
/// decoded with it. Decoding must end in values or a typed error, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 4 else { return 0 }
    let symbols = 2 + Int(bytes[0] % 40)
    let precision = 12 + Int(bytes[1] % 13)
    let count = Int(bytes[2]) * 8
    let escape = bytes[3] & 1 == 1
    // A skewed but valid model: frequency 1 for every symbol, the rest on symbol 0.
    var frequencies = [UInt32](repeating: 1, count: symbols)
    frequencies[0] = (UInt32(1) << precision) - UInt32(symbols - 1)
    guard let model = try? CategoricalModel(frequencies: frequencies, precision: precision),
          let models = try? ModelSet([model], offsets: [-3], escapes: [escape]) else { return 0 }
    if let payload = try? RansPayload.parse(bytes[4...], expectedValues: count) {
        _ = try? payload.decode(models: models, threads: 1)
    }
    if let ans = try? AnsCoder(compressed: stride(from: 4, to: bytes.count - 3, by: 4).map {
        UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24
    }, seal: escape) {
        var coder = ans
        _ = try? coder.decode(count: min(count, 256), models: [model])
    }
    return 0
}

@_cdecl("FuzzRans_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    driverMain(argc, argv, fuzz)
}
