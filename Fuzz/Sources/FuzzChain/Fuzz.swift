import FuzzSupport
import LCAE

/// The ChainCoder (spec §10.8): construction from any words, decoding until it runs out, export.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 1 else { return 0 }
    let words = stride(from: 1, to: bytes.count - 3, by: 4).map {
        UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24
    }
    guard let model = try? CategoricalModel(frequencies: [1 << 22, 1 << 23, 1 << 22], precision: 24) else { return 0 }
    let flags = bytes[0]
    guard var coder = try? ChainCoder(words, isRemainders: flags & 1 == 1, seal: flags & 2 == 2 && flags & 1 == 0) else { return 0 }
    var symbols: [Int32] = []
    while symbols.count < 64, let symbol = try? coder.decode(model) { symbols.append(Int32(symbol)) }
    let pair = coder.remaindersPair()
    if var back = try? ChainCoder(pair.compressed + pair.remainders, isRemainders: true) {
        _ = try? back.encodeReverse(symbols, models: [model])
        _ = try? back.dataPair(unseal: flags & 4 == 4)
    }
    return 0
}

@_cdecl("FuzzChain_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    driverMain(argc, argv, fuzz)
}
