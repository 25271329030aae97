import FuzzSupport
import LCAE

/// The full decode of a latent stream (spec chapters 3 to 12) with level-1 limits; a stream
/// may reference the tables of samples/latents when the fuzzer runs from the repository root.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let container = try? ContainerReader(limits: Level.level1).read(bytes) else { return 0 }
    _ = try? LatentDecoder(limits: Level.level1, available: Tables.available).decode(container)
    return 0
}

enum Tables {
    static let available: [ContextTables] = ["samples/latents/dct16.tbl", "samples/conformance/tables/p24-deviation.tbl",
                                             "samples/conformance/tables/p12-deviation.tbl", "samples/conformance/tables/p24-value.tbl"]
        .compactMap { try? TableFile.read(contentsOf: $0) }
}

@_cdecl("FuzzLatents_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    driverMain(argc, argv, fuzz)
}
