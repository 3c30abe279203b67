// swift-tools-version:6.0
//
// df11: convert bf16 checkpoints to DFloat11 and back, losslessly, on any CPU.
//
// Layering (each arrow is "depends on"):
//
//   df11 (CLI) → DF11Kit → DF11Container, DFloat11Layout → DF11Pipeline, EntropyCoding, Safetensors → JSON → DF11IO
//
// CZstd and CXXHash are the Debian libraries libzstd-dev and libxxhash-dev, found through pkg-config.
import PackageDescription

let package = Package(
    name: "df11",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "df11", targets: ["df11"]),
        .library(name: "DF11Kit", targets: ["DF11Kit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from the system.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash",
                       providers: [.apt(["libxxhash-dev"])]),

        // Byte sources and sinks: positioned reads, pipes, atomic output files.
        .target(name: "DF11IO"),
        // JSON: an order-keeping strict parser, and one writer (compact as serde_json, indented, or as Python's
        // json.dumps for the published layout's config files).
        .target(name: "JSON", dependencies: ["DF11IO"]),
        // The safetensors format: strict header parser, streaming reader, writer, checkpoint discovery; where a
        // tensor's bytes come from (TensorSource).
        .target(name: "Safetensors", dependencies: ["DF11IO", "JSON"]),
        // Exponent histograms, entropy, length-limited Huffman codes, fast encoder and decoder.
        .target(name: "EntropyCoding"),
        // Bounded, ordered, multithreaded work on Dispatch; what progress is reported to.
        .target(name: "DF11Pipeline"),
        // df11's own checksummed, indexed container (docs/FORMAT.md).
        .target(name: "DF11Container",
                dependencies: ["DF11IO", "Safetensors", "EntropyCoding", "DF11Pipeline", "CZstd", "CXXHash"]),
        // The published DFloat11 layout (docs/DFLOAT11.md).
        // Its architecture presets are the JSON files in Architectures/, embedded by tools/gen_architectures.sh
        // (not a SwiftPM resource: Bundle.module stops the program when the binary is installed elsewhere).
        .target(name: "DFloat11Layout",
                dependencies: ["DF11IO", "JSON", "Safetensors", "EntropyCoding", "DF11Pipeline"],
                exclude: ["Architectures"]),
        // The operations behind each command, with their reports: what the CLI calls.
        .target(name: "DF11Kit",
                dependencies: ["DF11IO", "JSON", "Safetensors", "EntropyCoding", "DF11Pipeline",
                               "DF11Container", "DFloat11Layout"]),
        // The command-line tool: argument parsing, printing and exit codes only; everything else is DF11Kit's.
        .executableTarget(name: "df11",
                          dependencies: ["DF11Kit",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Micro-benchmarks: `swift run -c release df11-bench entropy`.
        .executableTarget(name: "df11-bench", dependencies: ["EntropyCoding", "DFloat11Layout", "Safetensors", "DF11Kit"], path: "Benchmarks/df11-bench",
                          exclude: ["README.md"]),

        // What the tests share (in-memory sources and sinks, temporary directories, bf16 generators, the built
        // binary, the golden cases, SHA-256, the reference DFloat11 decoder); used by test targets only.
        .target(name: "DF11TestSupport",
                dependencies: ["DF11IO", "JSON", "Safetensors", "EntropyCoding", "DFloat11Layout", "DF11Kit"],
                path: "Tests/DF11TestSupport"),

        .testTarget(name: "DF11IOTests", dependencies: ["DF11IO", "DF11TestSupport"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "DF11TestSupport"]),
        .testTarget(name: "SafetensorsTests", dependencies: ["Safetensors", "DF11IO", "DF11TestSupport"]),
        .testTarget(name: "EntropyCodingTests", dependencies: ["EntropyCoding", "DF11TestSupport"]),
        .testTarget(name: "DF11PipelineTests", dependencies: ["DF11Pipeline"]),
        .testTarget(name: "DF11ContainerTests",
                    dependencies: ["DF11Container", "EntropyCoding", "JSON", "Safetensors", "DF11IO", "DF11TestSupport"]),
        .testTarget(name: "DF11KitTests",
                    dependencies: ["DF11Kit", "DF11Container", "JSON", "Safetensors", "DF11IO", "EntropyCoding", "DFloat11Layout", "DF11TestSupport"]),
        .testTarget(name: "DFloat11LayoutTests",
                    dependencies: ["DFloat11Layout", "JSON", "Safetensors", "DF11IO", "EntropyCoding", "DF11TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
