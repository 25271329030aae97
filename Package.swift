// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "LCAE",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "LCAE", targets: ["LCAE"]),
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
        .target(
            name: "LCAE",
            dependencies: [
                "CZlib",
                "CConvolution",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")]
        ),
        .target(name: "LCAEInterface", dependencies: ["LCAE"], exclude: ["include"]),
        .executableTarget(
            name: "lcae",
            dependencies: [
                "LCAE",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "LCAETests",
            dependencies: ["LCAE", "lcae"],
            exclude: ["Vectors"]
        ),
    ]
)
