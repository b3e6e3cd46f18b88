// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "refbot",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "refbot", targets: ["refbot"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libcurl through typed wrappers for its variadic C functions; only RefbotCurl imports it.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The domain: members, listings, referrals, commands. No I/O.
        .target(
            name: "RefbotCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // RFC 5322/2045/2047 parsing, reply trimming, classification and composition. Foundation only.
        .target(name: "RefbotMail", swiftSettings: strict),
        .target(
            name: "RefbotStore",
            dependencies: ["RefbotCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(
            name: "RefbotTemplates",
            dependencies: ["RefbotCore", .product(name: "Mustache", package: "swift-mustache")],
            swiftSettings: strict
        ),
        // Protocols and values for mail transport; no libcurl.
        .target(name: "RefbotTransport", swiftSettings: strict),
        .target(
            name: "RefbotCurl",
            dependencies: [
                "CCurl", "RefbotTransport",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // One-click links, health and metrics over HTTP; knows nothing of the store.
        .target(
            name: "RefbotHTTP",
            dependencies: [
                "RefbotCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RefbotDaemon",
            dependencies: [
                "RefbotCore", "RefbotMail", "RefbotStore", "RefbotTemplates", "RefbotTransport", "RefbotCurl",
                "RefbotHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict,
            plugins: ["RefbotRules"]
        ),
        .executableTarget(
            name: "refbot",
            dependencies: [
                "RefbotDaemon", "RefbotMail", "RefbotStore", "RefbotCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            plugins: ["RefbotVersion"]
        ),
        // `refbotVersion`, generated from the VERSION file (the one place the version is kept).
        .plugin(name: "RefbotVersion", capability: .buildTool()),
        // `shippedComplianceRules`, generated from rules/compliance.toml (the rules built into refbot).
        .plugin(name: "RefbotRules", capability: .buildTool()),

        // The scale benchmark (not a test): `scripts/bench-scale`, figures in BENCHMARKS.md.
        .executableTarget(
            name: "refbot-bench",
            dependencies: [
                "RefbotDaemon", "RefbotStore", "RefbotCore", "RefbotTemplates",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/ScaleBench",
            swiftSettings: strict
        ),
        // The IMAP fetch benchmark (not a test): `scripts/bench fetch`.
        .executableTarget(
            name: "refbot-imap-bench",
            dependencies: ["RefbotCurl", "RefbotTransport"],
            path: "Benchmarks/IMAPBench",
            swiftSettings: strict
        ),

        // Shared by the test targets: the loopback mail stack and mailbox helpers.
        .target(
            name: "RefbotTestSupport",
            dependencies: ["RefbotTransport", "RefbotCurl", "RefbotMail"],
            path: "Tests/RefbotTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "RefbotCoreTests", dependencies: ["RefbotCore"], swiftSettings: strict),
        .testTarget(
            name: "RefbotHTTPTests",
            dependencies: [
                "RefbotHTTP", "RefbotDaemon", "RefbotCore", "RefbotMail", "RefbotStore", "RefbotTemplates",
                "RefbotTransport", "RefbotTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RefbotMailTests",
            dependencies: ["RefbotMail"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RefbotStoreTests",
            dependencies: ["RefbotStore", "RefbotCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RefbotDaemonTests",
            dependencies: [
                "RefbotDaemon", "RefbotCore", "RefbotMail", "RefbotStore", "RefbotTemplates", "RefbotTransport",
                "RefbotCurl", "RefbotTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RefbotCurlIntegrationTests",
            dependencies: ["RefbotCurl", "RefbotTransport", "RefbotTestSupport", "RefbotMail"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RefbotEndToEndTests",
            dependencies: [
                "RefbotDaemon", "RefbotStore", "RefbotCore", "RefbotMail", "RefbotTransport", "RefbotCurl",
                "RefbotTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "RefbotCLITests", dependencies: ["RefbotTestSupport"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
