// swift-tools-version:6.0
// vsim: one guest program, every virtualization strategy, measured.
// Module layout and import rules: docs/architecture.md (from ../shared/DESIGN.md).
import PackageDescription

// The interpreter's hot loop is measured against targets (150 M guest instructions/s);
// exclusivity checking costs ~20% there and guards nothing the tests do not already cover.
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "vsim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vsim", targets: ["vsim"]),
        .library(name: "VSim", targets: ["VSim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(name: "CLibElf", pkgConfig: "libelf",
                       providers: [.apt(["libelf-dev"])]),
        .target(name: "X86", swiftSettings: fast),
        .target(name: "Machine", dependencies: ["X86"], swiftSettings: fast),
        .target(name: "Translation", dependencies: ["X86", "Machine"], swiftSettings: fast),
        .target(name: "CGuestShim"),
        .target(name: "Guest", dependencies: ["Machine", "X86", "CLibElf", "CGuestShim"], swiftSettings: fast),
        .target(name: "Hypervisor", dependencies: ["Machine", "X86"], swiftSettings: fast),
        .target(name: "Reports"),
        .systemLibrary(name: "CReadline", pkgConfig: "readline",
                       providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(name: "CLibSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        .target(name: "CContainerShim"),
        .target(name: "Containers", dependencies: ["CContainerShim", "CLibSeccomp"]),
        .target(name: "CKVMShim"),
        .target(name: "KVM", dependencies: ["CKVMShim", "Machine", "Hypervisor"]),
        .target(name: "VSim", dependencies: [
            "X86", "Machine", "Translation", "Guest", "Hypervisor", "Reports", "Containers", "KVM", .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: fast, plugins: ["EmbedProgramsPlugin"]),
        .target(name: "REPL", dependencies: [
            "VSim", "X86", "Machine", "Translation", "Guest", "Hypervisor", "CReadline",
        ]),
        // Lab specs, the grader and its emitters (vsim lab, vsim grade).
        .target(name: "Grading", dependencies: [
            "VSim", "Guest", "Homework", .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // `vsim homework`: OSTEP-style generated problems, answered by running vsim.
        .target(name: "Homework", dependencies: ["VSim", "Guest", "Machine", "X86", "Translation"]),
        // programs/*.s compiled into VSim at build time (vsim compare's default benchmark).
        .executableTarget(name: "embed-programs"),
        .plugin(name: "EmbedProgramsPlugin", capability: .buildTool(), dependencies: ["embed-programs"]),
        .executableTarget(name: "vsim", dependencies: [
            "VSim", "Containers", "REPL", "Grading", "Homework", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "X86Tests", dependencies: ["X86"]),
        .testTarget(name: "MachineTests", dependencies: ["Machine", "X86"]),
        .testTarget(name: "GuestTests", dependencies: ["Guest", "Machine", "X86"]),
        .testTarget(name: "HypervisorTests", dependencies: ["Hypervisor", "VSim", "Guest", "Machine", "X86"]),
        .testTarget(name: "VSimTests", dependencies: ["VSim", "Guest", "Machine", "X86", "Reports"], exclude: ["CPrograms"]),
        .testTarget(name: "TranslationTests", dependencies: ["Translation", "VSim", "Guest", "Machine", "X86"]),
        .testTarget(name: "REPLTests", dependencies: ["REPL", "VSim", "Guest", "Machine", "X86"]),
        .testTarget(name: "KVMTests", dependencies: ["KVM", "VSim", "Reports", "Hypervisor", "Guest", "Machine"]),
        .testTarget(name: "GradingTests", dependencies: ["Grading", "Homework", "VSim", "Guest"]),
        .testTarget(name: "HomeworkTests", dependencies: ["Homework", "VSim", "Guest"]),
        .testTarget(name: "ContainersTests", dependencies: ["Containers", "VSim"], exclude: ["Programs"]),
    ],
    swiftLanguageModes: [.v5]
)
