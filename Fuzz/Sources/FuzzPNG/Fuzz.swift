import FuzzSupport
import LCAE

/// The PNG reader (chunks, CRCs, IHDR, inflate, filters, Adam7, palettes) with a 2^20-pixel limit;
/// an image that decodes must survive PNGWriter and decode back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let reader = PNGReader(limits: .init(maxWidth: 4096, maxHeight: 4096, maxPixels: 1 << 20))
    guard let decoded = try? reader.read(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    let again = try? reader.read(PNGWriter(compressionLevel: 1).encode(decoded.image))
    precondition(again?.image == decoded.image, "a decoded image does not survive the writer")
    return 0
}

@_cdecl("FuzzPNG_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    driverMain(argc, argv, fuzz)
}
