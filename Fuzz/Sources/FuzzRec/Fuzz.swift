import FuzzSupport
import LCAE

/// A RECC payload (spec §14.8) parsed, checked and regenerated (§14.9) with level-1 limits. The
/// first two bytes choose the latent's dimension count (1 to 256); the rest is the payload.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let dimensions = 1 + (Int(bytes[0]) | Int(bytes[1]) << 8) % 256
    _ = try? RECChunk.decode(payload: bytes[2...], dimensions: dimensions, limits: Level.level1)
    return 0
}

@_cdecl("FuzzRec_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    driverMain(argc, argv, fuzz)
}
