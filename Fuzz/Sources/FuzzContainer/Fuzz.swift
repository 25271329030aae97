import FuzzSupport
import LCAE
import LCAEInspect

/// The container layer: signature, chunks, CRCs, HEAD, levels (spec chapters 3 to 8).
/// CRCs stay on: the corpus holds valid streams, and libFuzzer's comparison tracing finds CRCs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var limits = Level.level1
    limits.maxPayloadBytes = 1 << 20
    let scan = ContainerReader(limits: limits).scan(Array(UnsafeBufferPointer(start: data, count: size)))
    if scan.error == nil, let header = scan.header {
        _ = Inspection(path: "-", bytes: Array(UnsafeBufferPointer(start: data, count: size))).json(verbose: true)
        _ = header.requiredLimits
    }
    return 0
}

@_cdecl("FuzzContainer_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    driverMain(argc, argv, fuzz)
}
