import Dispatch

/// Work split over threads: the one place where the library runs code on several cores.
///
/// Item j always goes to thread j mod `threads`, and every helper gives each item its own
/// output, so what a computation produces never depends on the thread count or on timing.
/// The mutable buffers shared between threads are shared here and nowhere else.
package enum Parallel {
    /// Runs `body(j)` for j in 0..<count on up to `threads` threads.
    @inlinable
    package static func forEach(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        let workers = max(1, min(threads, count))
        if workers == 1 {
            for j in 0..<count { body(j) }
            return
        }
        withoutActuallyEscaping(body) { body in
            // concurrentPerform returns only when every iteration has, so `body` does not escape.
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: workers) { t in
                for j in stride(from: t, to: count, by: workers) { body(j) }
            }
        }
    }

    /// `body(j)` for j in 0..<count, computed on up to `threads` threads, in order of j.
    @inlinable
    package static func map<Result>(_ count: Int, threads: Int, _ body: (Int) -> Result) -> [Result] {
        [Result](unsafeUninitializedCapacity: count) { results, initialized in
            forEach(count, threads: threads, sharing: results) { j, results in
                results.initializeElement(at: j, to: body(j))
            }
            initialized = count
        }
    }

    /// `body(j, buffer)` for j in 0..<count, computed on up to `threads` threads, in order of j,
    /// every item seeing the whole buffer (see `forEach(_:threads:sharing:_:)`).
    ///
    /// - Precondition: item j writes only elements that no other item reads or writes.
    @inlinable
    package static func map<Element, Result>(
        _ count: Int, threads: Int, sharing buffer: UnsafeMutableBufferPointer<Element>,
        _ body: (Int, UnsafeMutableBufferPointer<Element>) -> Result
    ) -> [Result] {
        map(count, threads: threads) { j in body(j, buffer) }
    }

    /// Runs `body(j, buffer)` for j in 0..<count on up to `threads` threads, every item seeing
    /// the whole buffer: for kernels whose items write interleaved parts of one output (the rows
    /// of a channel-major tensor, one per item).
    ///
    /// - Precondition: item j writes only elements that no other item reads or writes.
    @inlinable
    package static func forEach<Element>(
        _ count: Int, threads: Int, sharing buffer: UnsafeMutableBufferPointer<Element>,
        _ body: (Int, UnsafeMutableBufferPointer<Element>) -> Void
    ) {
        forEach(count, threads: threads) { j in body(j, buffer) }
    }
}
