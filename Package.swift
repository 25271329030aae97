// swift-tools-version:6.0
import PackageDescription

// The targets follow the data path; each imports only targets listed before it
// (README "What is here" and Sources/LCAE/LCAE.docc/Layers.md draw the graph).
let package = Package(
    name: "LCAE",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "LCAE", targets: ["LCAE"]),
        // The entropy coders on their own (rANS, ChainCoder, categorical models), like constriction.
        .library(name: "LCAEEntropy", targets: ["LCAEEntropy"]),
        // PNG reading and writing on their own.
        .library(name: "LCAEPNG", targets: ["LCAEPNG"]),
        // What `lcae inspect` prints: every chunk and field with its offset, as JSON values.
        .library(name: "LCAEInspect", targets: ["LCAEInspect"]),
        .executable(name: "lcae", targets: ["lcae"]),
        // The C interface (include/lcae.h) as a shared library, for Python and other languages.
        .library(name: "LCAEInterface", type: .dynamic, targets: ["LCAEInterface"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // Convolution kernels for SSE2, AVX2 and AVX-512 VNNI, chosen at run time.
        .target(name: "CConvolution"),
        // Bytes: bounds-checked reading and writing, CRC-32, deflate, atomic files, the format's
        // error and limits, the thread helper, the benchmark PRNG.
        .target(name: "LCAESupport", dependencies: ["CZlib"]),
        .target(name: "LCAENumPy", dependencies: ["LCAESupport"]),
        .target(name: "LCAEEntropy", dependencies: ["LCAESupport"]),
        .target(name: "LCAEPNG", dependencies: ["LCAESupport"]),
        .target(name: "LCAEContainer", dependencies: ["LCAESupport"]),
        .target(
            name: "LCAEContext",
            dependencies: ["LCAESupport", "LCAEEntropy", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "LCAEModel",
            dependencies: [
                "LCAESupport", "LCAEContainer", "LCAEContext", "CConvolution",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "LCAEREC", dependencies: ["LCAESupport", "LCAEEntropy", "LCAEContainer"]),
        // Streams and the image codec, and the NumPy adapters of the types below.
        .target(
            name: "LCAE",
            dependencies: [
                "LCAESupport", "LCAENumPy", "LCAEEntropy", "LCAEPNG", "LCAEContainer", "LCAEContext",
                "LCAEModel", "LCAEREC",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")]
        ),
        // Inspection: the chunks and fields of a stream, with their offsets.
        .target(name: "LCAEInspect", dependencies: ["LCAESupport", "LCAEContainer", "LCAEContext", "LCAEREC"]),
        // What the command-line tool and the tests use beyond the format: benchmarks, the
        // conformance runner, the block-transform trainer.
        .target(
            name: "LCAETools",
            dependencies: [
                "LCAESupport", "LCAENumPy", "LCAEEntropy", "LCAEPNG", "LCAEContainer", "LCAEContext",
                "LCAEModel", "LCAEREC", "LCAE", "LCAEInspect", "CConvolution",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "LCAEInterface",
            dependencies: [
                "LCAESupport", "LCAEEntropy", "LCAEPNG", "LCAEContainer", "LCAEContext", "LCAEModel", "LCAE",
                "LCAEInspect", "LCAETools",
            ],
            exclude: ["include"]
        ),
        .executableTarget(
            name: "lcae",
            dependencies: [
                "LCAESupport", "LCAENumPy", "LCAEEntropy", "LCAEPNG", "LCAEContainer", "LCAEContext",
                "LCAEModel", "LCAEREC", "LCAE", "LCAEInspect", "LCAETools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "LCAETests",
            dependencies: [
                "LCAESupport", "LCAENumPy", "LCAEEntropy", "LCAEPNG", "LCAEContainer", "LCAEContext",
                "LCAEModel", "LCAEREC", "LCAE", "LCAEInspect", "LCAETools", "lcae",
            ],
            exclude: ["Vectors"]
        ),
    ]
)
