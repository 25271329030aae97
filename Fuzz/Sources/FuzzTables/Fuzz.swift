import FuzzSupport
import LCAE

/// Context-table bodies and table files (spec §12.2), with level-1 limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let tables = try? ContextTables.parse(bytes[...], limits: Level.level1) {
        // Whatever parses must serialize back to the same body and build coder tables.
        precondition(tables.body() == bytes, "a parsed body does not serialize back to itself")
        _ = try? LatentCoder.Prepared(tables)
    }
    _ = try? TableFile.parse(bytes, limits: Level.level1)
    return 0
}

@_cdecl("FuzzTables_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    driverMain(argc, argv, fuzz)
}
