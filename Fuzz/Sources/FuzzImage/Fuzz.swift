import FuzzSupport
import LCAE

/// The full decode of an image stream (spec chapter 16): container, latent, STEP, synthesis
/// and iHSH, with the default models and the conformance test model (when the fuzzer runs
/// from the repository root). The reader limits are level 2's lowered to small images, as
/// spec §8.3 lets a harness do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let container = try? ContainerReader(limits: Harness.limits).read(bytes) else { return 0 }
    _ = try? ImageDecoder(models: Harness.models, limits: Harness.limits).decode(container)
    return 0
}

enum Harness {
    static let models: [CodecModel] = ((try? DefaultModel.all()) ?? [])
        + ["samples/conformance/models/test-layers.lcaem"].compactMap { try? CodecModel.read(contentsOf: $0) }

    static let limits: ReaderLimits = {
        var limits = Level.level2
        limits.maxWidth = 1024
        limits.maxHeight = 1024
        limits.maxPixels = 1 << 16
        limits.maxLatentValues = 1 << 16
        limits.maxSymbolsPerTable = 4096
        return limits
    }()
}

@_cdecl("FuzzImage_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    driverMain(argc, argv, fuzz)
}
