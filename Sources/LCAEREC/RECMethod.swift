/// How a continuous latent's candidates are searched and its indices coded (spec §14.8, Table 14-2).
public enum RECMethod: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Poisson functional representation: exact, one bin, zeta-coded index.
    case pfr = 0
    /// Ordered random coding: 2^m candidates, fixed-length index.
    case orc = 1
    /// Space-partitioned PFR: exact, bins from the information estimates.
    case spPFR = 2
    /// Space-partitioned ORC: 2^m draws from the reweighted prior.
    case spORC = 3

    /// True when the blocks are split into bins (spec §14.6).
    public var isPartitioned: Bool { self == .spPFR || self == .spORC }
    /// True for the exact samplers, whose in-bin index is unbounded in principle and zeta-coded (spec §14.7).
    public var isExact: Bool { self == .pfr || self == .spPFR }

    /// The method's name in spec Table 14-2 (`pfr`, `orc`, `sp-pfr`, `sp-orc`).
    public var description: String {
        switch self {
        case .pfr: "pfr"
        case .orc: "orc"
        case .spPFR: "sp-pfr"
        case .spORC: "sp-orc"
        }
    }

    /// The method named `name` in spec Table 14-2, or nil.
    public init?(name: String) {
        guard let method = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = method
    }
}
