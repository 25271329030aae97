import Crypto
import LCAEEntropy
import LCAESupport

/// The context-switching entropy model of one integer latent (spec chapter 12; “Entropy Coding Improvement for Low-complexity Compressive Auto-encoders” §3.1).
///
/// Per channel: a coding position, a threshold, the most probable value, an
/// activation probability, a value range, and one CDF per context (3 for the
/// first coded channel, 4 for the others). A value's context counts how many
/// of its causal neighbours reach their channel's threshold (§12.3).
public struct ContextTables: Equatable, Sendable {
    /// What is compared with a channel's threshold (spec §12.3).
    public enum Measure: UInt8, Sendable, CaseIterable {
        /// The value itself: `v ≥ ε` (the paper's eq. 3).
        case value = 0
        /// The distance from the channel's most probable value: `|v − m| ≥ ε`.
        case deviation = 1
    }

    /// One channel's entry of the table body (spec Table 12-1).
    public struct Channel: Equatable, Sendable {
        /// The threshold ε_k (spec §12.2, §12.3).
        public var threshold: Int32
        /// The most probable value m_k: an inactive channel's value everywhere (spec §12.4).
        public var mostProbable: Int32
        /// Frequency of "active" at precision P, 1 ... 2^P − 1 (spec §12.4).
        public var activation: UInt32
        /// The value of symbol 0; symbol n − 1 is the escape (spec §10.4).
        public var offset: Int32
        /// One model per context, all with the same symbol count.
        public var models: [CategoricalModel]

        /// A channel from its fields, unchecked (the table body reader checks spec §12.2).
        public init(threshold: Int32, mostProbable: Int32, activation: UInt32, offset: Int32, models: [CategoricalModel]) {
            self.threshold = threshold
            self.mostProbable = mostProbable
            self.activation = activation
            self.offset = offset
            self.models = models
        }

        /// n_k, the symbols of each of the channel's models, escape included (0 with no model).
        public var symbolCount: Int { models.first?.symbolCount ?? 0 }
    }

    /// The precision P of every model, 12 to 24 (spec §12.2).
    public var precision: Int
    /// What the thresholds are compared with (spec §12.3).
    public var measure: Measure
    /// `order[p]` is the channel coded at position p.
    public var order: [Int]
    /// By channel index.
    public var channels: [Channel]

    /// Tables from their fields, unchecked (the table body reader checks spec §12.2).
    public init(precision: Int, measure: Measure, order: [Int], channels: [Channel]) {
        self.precision = precision
        self.measure = measure
        self.order = order
        self.channels = channels
    }

    /// C, the number of channels.
    public var channelCount: Int { channels.count }
    /// Σ T_k: the CDF tables over all channels, counted against `max_tables` (spec §12.2, Table 8-1).
    public var tableCount: Int { channels.reduce(0) { $0 + $1.models.count } }

    /// Which values of a channel reach its threshold (spec §12.3).
    package func reach(_ channel: Channel) -> Reach {
        Reach(threshold: channel.threshold, mostProbable: channel.mostProbable, measure: measure)
    }

    /// The rule of spec §12.3 as an interval: the values that do not reach the threshold are
    /// low ... low + span, so a value reaches iff UInt32(v − low) > span (one subtraction and one
    /// comparison, which the decoding loop needs).
    package struct Reach: Sendable {
        let low: Int32
        let span: UInt32

        init(threshold: Int32, mostProbable: Int32, measure: Measure) {
            let (low, high): (Int64, Int64)
            switch measure {
            case .value:
                // v ≥ ε
                (low, high) = (Int64(Int32.min), Int64(threshold) - 1)
            case .deviation:
                // |v − m| ≥ ε, with ε ≥ 1 (Table 12-1)
                let m = Int64(mostProbable)
                let e = Int64(threshold)
                (low, high) = (max(m - e + 1, Int64(Int32.min)), min(m + e - 1, Int64(Int32.max)))
            }
            self.low = Int32(low)
            span = UInt32(high - low)
        }

        @inlinable @inline(__always)
        package func reaches(_ v: Int32) -> Bool { UInt32(bitPattern: v &- low) > span }
    }
}

// MARK: Syntax (spec §12.2, table 12-1)

extension ContextTables {
    /// The table body: the bytes a CTAB chunk deflates, a table file holds after its signature,
    /// and a CREF chunk names by SHA-256.
    public func body() -> [UInt8] {
        var w = ByteWriter()
        w.u16(UInt16(channels.count))
        w.u8(UInt8(precision))
        w.u8(measure.rawValue)
        for k in order { w.u16(UInt16(k)) }
        for channel in channels {
            w.u32(UInt32(bitPattern: channel.threshold))
            w.u32(UInt32(bitPattern: channel.mostProbable))
            w.u32(channel.activation)
            w.u32(UInt32(bitPattern: channel.offset))
            w.u16(UInt16(channel.symbolCount))
            w.u8(UInt8(channel.models.count))
            for model in channel.models {
                for f in model.frequencies { w.u32(f) }
            }
        }
        return w.bytes
    }

    /// The SHA-256 of the body: the tables' identity (spec §12.2).
    public var sha256: [UInt8] { Array(SHA256.hash(data: body())) }

    /// The most bytes a body may have under `limits` (spec §12.2): what a reader allows an inflater to produce.
    public static func maxBodySize(_ limits: ReaderLimits) -> Int {
        let perChannel = 19 + 2 + 4 * 4 * limits.maxSymbolsPerTable
        let (product, overflow) = perChannel.multipliedReportingOverflow(by: limits.maxChannels)
        return overflow ? Int.max : 4 + product
    }

    /// Throws `limitExceeded` at `offset` when a declared body_size is above `maxBodySize(limits)`,
    /// before anything is sized from it; `clause` names the field's place in the spec.
    package static func checkBodySize(_ size: Int, limits: ReaderLimits, at offset: Int, _ clause: String) throws(ContainerError) {
        let bound = maxBodySize(limits)
        guard size <= bound else {
            throw ContainerError(.limitExceeded, at: offset, "body_size \(size) is above the bound of §12.5.1 under the reader's limits, \(bound) (\(clause))")
        }
    }

    /// Parses and validates a table body (spec §12.2); `fileOffset` is where the body starts,
    /// for error offsets (0 when it came out of an inflater: offsets are then into the body).
    public static func parse(_ body: ArraySlice<UInt8>, fileOffset: Int = 0, limits: ReaderLimits = Level.highest) throws(ContainerError) -> ContextTables {
        var r = ByteReader(body, fileOffset: fileOffset)
        let countAt = r.offset
        let count = Int(try r.u16("channel_count"))
        guard count >= 1 else { throw ContainerError(.badTable, at: countAt, "channel_count is 0 (spec §12.2)") }
        guard count <= limits.maxChannels else {
            throw ContainerError(.limitExceeded, at: countAt, "\(count) channels, above \(limits.maxChannels) (spec §8)")
        }
        let precisionAt = r.offset
        let precision = Int(try r.u8("precision"))
        guard CategoricalModel.precisionRange.contains(precision) else {
            throw ContainerError(.badTable, at: precisionAt, "precision \(precision) is outside 12...24 (spec §12.2)")
        }
        let measureAt = r.offset
        guard let measure = Measure(rawValue: try r.u8("measure")) else {
            throw ContainerError(.badTable, at: measureAt, "measure must be 0 or 1 (spec §12.2)")
        }
        var order: [Int] = []
        var seen = [Bool](repeating: false, count: count)
        for p in 0..<count {
            let at = r.offset
            let k = Int(try r.u16("order[\(p)]"))
            guard k < count, !seen[k] else {
                throw ContainerError(.badTable, at: at, "order is not a permutation of the channels: \(k) at position \(p) (spec §12.2)")
            }
            seen[k] = true
            order.append(k)
        }
        let total = UInt64(1) << UInt64(precision)
        var channels: [Channel] = []
        var tables = 0
        for k in 0..<count {
            let thresholdAt = r.offset
            let threshold = Int32(bitPattern: try r.u32("channel[\(k)].threshold"))
            let mostProbableAt = r.offset
            let mostProbable = Int32(bitPattern: try r.u32("channel[\(k)].most_probable"))
            let activationAt = r.offset
            let activation = try r.u32("channel[\(k)].activation")
            guard activation >= 1, UInt64(activation) < total else {
                throw ContainerError(.badTable, at: activationAt, "activation frequency \(activation) is outside 1 ... 2^P − 1 (spec §12.2)")
            }
            let offsetAt = r.offset
            let offset = Int32(bitPattern: try r.u32("channel[\(k)].offset"))
            let symbolsAt = r.offset
            let n = Int(try r.u16("channel[\(k)].symbol_count"))
            guard n >= 2 else { throw ContainerError(.badTable, at: symbolsAt, "a channel needs at least 2 symbols (spec §12.2)") }
            guard n <= limits.maxSymbolsPerTable else {
                throw ContainerError(.limitExceeded, at: symbolsAt, "\(n) symbols, above \(limits.maxSymbolsPerTable) (spec §8)")
            }
            guard Int64(offset) + Int64(n) - 1 <= Int64(Int32.max) + 1 else {
                throw ContainerError(.badTable, at: offsetAt, "offset + symbol_count − 1 is above 2^31 (spec §12.2)")
            }
            let last = Int64(offset) + Int64(n) - 2  // the last regular value
            guard Int64(mostProbable) >= Int64(offset), Int64(mostProbable) <= last else {
                throw ContainerError(.badTable, at: mostProbableAt, "most_probable \(mostProbable) is outside the regular range \(offset) ... \(last) (spec §12.2)")
            }
            switch measure {
            case .value:
                guard Int64(threshold) > Int64(offset), Int64(threshold) <= last else {
                    throw ContainerError(.badTable, at: thresholdAt, "threshold \(threshold) is outside \(Int64(offset) + 1) ... \(last) (spec §12.2)")
                }
            case .deviation:
                guard threshold >= 1, Int64(threshold) <= Int64(n) - 1 else {
                    throw ContainerError(.badTable, at: thresholdAt, "threshold \(threshold) is outside 1 ... \(n - 1) (spec §12.2)")
                }
            }
            let contextsAt = r.offset
            let contexts = Int(try r.u8("channel[\(k)].context_count"))
            let expected = order.first == k ? 3 : 4
            guard contexts == expected else {
                throw ContainerError(.badTable, at: contextsAt, "channel \(k) has \(contexts) contexts; \(expected) required (spec §12.2)")
            }
            tables += contexts
            guard tables <= limits.maxTables else {
                throw ContainerError(.limitExceeded, at: contextsAt, "more than \(limits.maxTables) tables (spec §8)")
            }
            // All frequencies must be present before any model is built from them.
            guard r.remaining >= 4 * n * contexts else {
                throw ContainerError(.truncated, at: r.offset, "channel \(k) needs \(4 * n * contexts) bytes of frequencies, \(r.remaining) left (spec §12.2)")
            }
            var models: [CategoricalModel] = []
            for c in 0..<contexts {
                let at = r.offset
                var frequencies = [UInt32](repeating: 0, count: n)
                for s in 0..<n { frequencies[s] = try r.u32("frequency") }
                do {
                    // Coders reach these models through a ModelSet or the decoder's own lookups only.
                    models.append(try CategoricalModel(frequencies: frequencies, precision: precision, lookup: false))
                } catch {
                    throw ContainerError(.badTable, at: at, "channel \(k), context \(c): \(error.message)")
                }
            }
            channels.append(Channel(threshold: threshold, mostProbable: mostProbable, activation: activation, offset: offset, models: models))
        }
        guard r.isAtEnd else {
            throw ContainerError(.badTable, at: r.offset, "\(r.remaining) bytes after the last channel (spec §12.2)")
        }
        return ContextTables(precision: precision, measure: measure, order: order, channels: channels)
    }
}
