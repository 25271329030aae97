import Foundation
import Testing

/// The target graph of Package.swift is the layering the documents promise: every import a
/// target's sources make is a dependency it declares (SwiftPM builds an undeclared module that
/// another target needs and lets the import through), the graph has no cycle, and the table in
/// Sources/LCAE/LCAE.docc/Layers.md lists exactly the declared dependencies.
@Suite("Target layers")
struct LayerTests {
    /// Modules of the toolchain and the platform, which need no declaration.
    static let system: Set<String> = ["Foundation", "Dispatch", "Glibc", "Darwin", "Testing", "XCTest"]

    /// Target name → declared dependencies (target names, and product names of other packages).
    static func declared() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: Fixtures.path("Package.swift"), encoding: .utf8)
        var graph: [String: Set<String>] = [:]
        let kinds = [".target(", ".executableTarget(", ".testTarget(", ".systemLibrary("]
        var pieces = [text]
        for kind in kinds { pieces = pieces.flatMap { $0.components(separatedBy: kind) } }
        for piece in pieces.dropFirst() {
            guard let name = piece.firstMatch(of: /name: "(\w+)"/)?.1 else { continue }
            var dependencies = Set<String>()
            if let list = piece.firstMatch(of: /dependencies: \[([^\]]*)\]/)?.1 {
                for product in list.matches(of: /\.product\(name: "(\w+)"/) { dependencies.insert(String(product.1)) }
                let plain = list.replacing(/\.product\([^)]*\)/, with: "")
                for target in plain.matches(of: /"(\w+)"/) { dependencies.insert(String(target.1)) }
            }
            graph[String(name)] = dependencies
        }
        return graph
    }

    static func imports(of target: String) throws -> Set<String> {
        let folder = Fixtures.root.appendingPathComponent(target == "LCAETests" ? "Tests/\(target)" : "Sources/\(target)")
        var found = Set<String>()
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                if let match = line.wholeMatch(of: /(?:@testable |@_exported )?import (\w+)/) { found.insert(String(match.1)) }
            }
        }
        return found
    }

    @Test("every import is a declared dependency")
    func importsAreDeclared() throws {
        let graph = try Self.declared()
        #expect(graph["LCAE"] != nil && graph["LCAESupport"] != nil, "Package.swift was not parsed")
        for (target, dependencies) in graph where target != "CZlib" && target != "CConvolution" {
            let undeclared = try Self.imports(of: target).subtracting(dependencies).subtracting(Self.system)
            #expect(undeclared.isEmpty, "\(target) imports \(undeclared.sorted()) without declaring them")
        }
    }

    @Test("the target graph has no cycle")
    func acyclic() throws {
        let graph = try Self.declared()
        var done = Set<String>()
        var remaining = graph
        while !remaining.isEmpty {
            let ready = remaining.filter { $0.value.allSatisfy { done.contains($0) || graph[$0] == nil } }.keys
            try #require(!ready.isEmpty, "a cycle among \(remaining.keys.sorted())")
            for target in ready {
                done.insert(target)
                remaining[target] = nil
            }
        }
    }

    @Test("Layers.md lists the declared dependencies of every library target")
    func documentedGraph() throws {
        let graph = try Self.declared()
        let text = try String(contentsOfFile: Fixtures.path("Sources/LCAE/LCAE.docc/Layers.md"), encoding: .utf8)
        var documented: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") {
            guard let row = line.wholeMatch(of: /\| `(\w+)` \|.*\| ([^|]*) \|/) else { continue }
            let names = row.2.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            var dependencies = Set<String>()
            for name in names {
                dependencies.insert(name == "swift-crypto" ? "Crypto" : name)
            }
            documented[String(row.1)] = dependencies
        }
        for (target, listed) in documented {
            let declared = try #require(graph[target], "Layers.md names \(target), which Package.swift lacks")
            #expect(listed == declared, "\(target): Layers.md lists \(listed.sorted()), Package.swift \(declared.sorted())")
        }
        let libraries = graph.keys.filter { $0.hasPrefix("LCAE") && $0 != "LCAEInterface" && $0 != "LCAETests" }
        #expect(Set(libraries) == Set(documented.keys), "Layers.md lists \(documented.keys.sorted())")
    }
}
