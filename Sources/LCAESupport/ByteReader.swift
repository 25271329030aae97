/// A bounds-checked little-endian reader over a byte buffer (spec §2).
///
/// Every read checks the bytes left first and throws `truncated` with the
/// absolute file offset, so no parser can read past the data it was given.
package struct ByteReader {
    package let bytes: ArraySlice<UInt8>
    /// Absolute index into `bytes` (slices keep their parent's indices).
    @usableFromInline package internal(set) var position: Int
    /// Offset in the file of `bytes.startIndex`, for error reports.
    package let fileOffset: Int

    @inlinable
    package init(_ bytes: ArraySlice<UInt8>, fileOffset: Int) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.fileOffset = fileOffset
    }

    /// File offset of the next byte to read.
    @inlinable
    package var offset: Int { fileOffset + (position - bytes.startIndex) }
    @inlinable
    package var remaining: Int { bytes.endIndex - position }
    @inlinable
    package var isAtEnd: Bool { position == bytes.endIndex }

    /// `what` names the field in the error; it is only built when there is one.
    @inlinable @inline(__always)
    package mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws(ContainerError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw ContainerError(.truncated, at: offset, "\(what()) needs \(count) bytes, \(remaining) left")
        }
        let slice = bytes[position..<(position + count)]
        position += count
        return slice
    }

    @inlinable @inline(__always)
    package mutating func u8(_ what: @autoclosure () -> String) throws(ContainerError) -> UInt8 {
        try UInt8(uint(1, what))
    }

    @inlinable @inline(__always)
    package mutating func u16(_ what: @autoclosure () -> String) throws(ContainerError) -> UInt16 {
        try UInt16(uint(2, what))
    }

    @inlinable @inline(__always)
    package mutating func u32(_ what: @autoclosure () -> String) throws(ContainerError) -> UInt32 {
        try UInt32(uint(4, what))
    }

    @inlinable @inline(__always)
    package mutating func u64(_ what: @autoclosure () -> String) throws(ContainerError) -> UInt64 {
        try uint(8, what)
    }

    @inlinable @inline(__always)
    mutating func uint(_ size: Int, _ what: () -> String) throws(ContainerError) -> UInt64 {
        let raw = try bytes(size, what())
        var value: UInt64 = 0
        for (shift, byte) in raw.enumerated() {
            value |= UInt64(byte) << (8 * shift)
        }
        return value
    }
}

/// Appends little-endian integers to a byte array (spec §2).
package struct ByteWriter {
    @usableFromInline package internal(set) var bytes: [UInt8] = []

    @inlinable
    package init() {}

    @inlinable @inline(__always)
    package mutating func u8(_ value: UInt8) { bytes.append(value) }
    @inlinable @inline(__always)
    package mutating func u16(_ value: UInt16) { append(UInt64(value), size: 2) }
    @inlinable @inline(__always)
    package mutating func u32(_ value: UInt32) { append(UInt64(value), size: 4) }
    @inlinable @inline(__always)
    package mutating func u64(_ value: UInt64) { append(value, size: 8) }
    @inlinable
    package mutating func append<S: Sequence>(contentsOf other: S) where S.Element == UInt8 {
        bytes.append(contentsOf: other)
    }

    @inlinable @inline(__always)
    mutating func append(_ value: UInt64, size: Int) {
        for shift in 0..<size {
            bytes.append(UInt8(truncatingIfNeeded: value >> (8 * shift)))
        }
    }
}
