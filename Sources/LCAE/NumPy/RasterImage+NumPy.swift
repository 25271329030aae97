import LCAENumPy
import LCAEPNG

extension RasterImage {
    /// The samples as a NumPy array of shape (height, width, channels), `|u1` for 8-bit and
    /// `<u2` for 16-bit samples: the form the external-decoder contract uses for images (spec
    /// §13.4), whose data bytes are exactly what iHSH hashes (spec §16.3).
    public var npy: NpyArray {
        var data = [UInt8]()
        if bitDepth == 8 {
            data = samples.map { UInt8(truncatingIfNeeded: $0) }
        } else {
            data.reserveCapacity(2 * samples.count)
            for s in samples {
                data.append(UInt8(truncatingIfNeeded: s))
                data.append(UInt8(truncatingIfNeeded: s >> 8))
            }
        }
        return NpyArray(dtype: bitDepth == 8 ? .uint8 : .uint16, shape: [height, width, channels], data: data)
    }
}
