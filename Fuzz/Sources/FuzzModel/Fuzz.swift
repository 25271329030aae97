import FuzzSupport
import LCAE

/// The model file reader (spec §15.1–§15.3); a model that parses has each table set checked
/// as a level-1 stream would use it (§15.2: a set is bounded by the using stream's level) and, when a 2 × 2 latent synthesises to at most 64 × 64
/// samples, its synthesis run (§15.4).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let model = try? CodecModel.parse(bytes) else { return 0 }
    for set in model.tableSets {
        _ = try? model.tables(named: set.sha256, limits: Level.level1)
    }
    let synthesis = SynthesisNetwork(model)
    guard let out = synthesis.outputSize(height: 2, width: 2), out.height * out.width <= 64 * 64 else { return 0 }
    let latent = LatentTensor(channels: model.latentChannels, height: 2, width: 2,
                              values: (0..<(4 * model.latentChannels)).map { Int32($0 % 7) - 3 })
    let y = synthesis.run(SynthesisNetwork.input(latent, step: .unit(model)))
    _ = synthesis.samples(y, height: out.height, width: out.width)
    return 0
}

@_cdecl("FuzzModel_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    driverMain(argc, argv, fuzz)
}
