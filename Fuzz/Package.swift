// swift-tools-version:6.0
// libFuzzer targets for LCAE (spec chapter 13; issue: fuzzing). Not part of the main package:
// they link libFuzzer's main and build only with `-sanitize=fuzzer`. Build and run them with
// tools/fuzz.sh.
import PackageDescription

let targets = ["FuzzContainer", "FuzzTables", "FuzzRans", "FuzzChain", "FuzzLatents", "FuzzPNG", "FuzzRec", "FuzzImage", "FuzzModel"]

let package = Package(
    name: "LCAEFuzz",
    dependencies: [.package(name: "LCAE", path: "..")],
    targets: [.target(name: "FuzzSupport")] + targets.map { name in
        .executableTarget(name: name, dependencies: [
            "FuzzSupport", .product(name: "LCAE", package: "LCAE"), .product(name: "LCAEInspect", package: "LCAE"),
        ])
    }
)
