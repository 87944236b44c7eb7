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
        // `vsim lab` and `vsim grade`, which need Foundation (TOMLKit, ZIPFoundation, Process):
        // vsim execs this executable, which lies beside it (docs/architecture.md).
        .executable(name: "vsim-lab", targets: ["vsim-lab"]),
        .library(name: "VSim", targets: ["VSim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // 4.x: FoundationEssentials instead of Foundation on Linux (3.x imports Foundation).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(name: "CLibElf", pkgConfig: "libelf",
                       providers: [.apt(["libelf-dev"])]),
        // Hex, signal and errno names, durations: how every module words a number (one place).
        .target(name: "Descriptions"),
        // The host read/write/wait loops (EINTR, short counts) every module with host I/O uses.
        .target(name: "HostIO", dependencies: ["Descriptions"]),
        .target(name: "X86", dependencies: ["Descriptions"], swiftSettings: fast),
        // The host's x87 unit, which runs the guest's x87 arithmetic under its control word.
        .target(name: "CHostX87"),
        // Release: LLVM's tail duplication may copy the interpreter block loop's dispatch (the
        // next op's handler, an indirect jump through the `switch`'s table) into each handler,
        // as a threaded interpreter's, but leaves alone a block with more predecessors and
        // successors than these two limits; the dispatch has about 150 (without them runFast
        // has 20 indirect jumps, with them 77: docs/performance.md, "The interpreter, sixth round").
        .target(name: "Machine", dependencies: ["X86", "CHostX87", "Descriptions", "HostIO"],
                swiftSettings: fast + [.unsafeFlags(["-Xllvm", "-tail-dup-pred-size=1000", "-Xllvm", "-tail-dup-succ-size=1000"],
                                                    .when(configuration: .release))]),
        // The translator's handler for host faults of generated code (guest pages with host protections).
        .target(name: "CTranslationFault"),
        .target(name: "Translation", dependencies: ["X86", "Machine", "Descriptions", "CTranslationFault"], swiftSettings: fast),
        // The host calls Glibc does not wrap (openat2, getdents64, faccessat2, pipe2) for the guest's files.
        .target(name: "CGuestShim"),
        // Release: -Osize, because Swift 6.3.1's -O emits invalid LLVM IR for this module since the
        // host-call device ("Instruction does not dominate all uses!", the compiler aborts); the
        // interpreter's hot loop is in Machine, which keeps -O. Drop this when -O builds it again.
        .target(name: "Guest", dependencies: ["Machine", "X86", "CLibElf", "CGuestShim", "CLibSeccomp", "Descriptions", "HostIO"],
                swiftSettings: fast + [.unsafeFlags(["-Xfrontend", "-Osize"], .when(configuration: .release))]),
        .target(name: "Hypervisor", dependencies: ["Machine", "X86", "Descriptions"], swiftSettings: fast),
        .target(name: "Reports", dependencies: ["Descriptions"]),
        // GNU Readline's headers (libreadline-dev) and the functions and variables the REPL uses,
        // loaded with dlopen by an interactive `vsim repl` instead of linked (~0.3 ms per start).
        .target(name: "CReadline"),
        .systemLibrary(name: "CLibSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        // libarchive's headers (libarchive-dev) and its functions, loaded with dlopen on their first
        // call instead of linked: loading it and its libraries cost every vsim process ~1.5 ms.
        .target(name: "CLibArchive"),
        // OCI images: layouts and archives, the content-addressed store, layers unpacked for overlayfs.
        .target(name: "Images", dependencies: ["CLibArchive", "HostIO", "Descriptions", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "CContainerShim"),
        .target(name: "Containers", dependencies: ["CContainerShim", "CLibSeccomp", "Images", "Descriptions", "HostIO"]),
        .target(name: "CKVMShim"),
        // `--mode ptrace`: PRoot's way (ptrace stops at every system call, paths rewritten).
        .target(name: "CPtraceShim"),
        .target(name: "Ptrace", dependencies: ["CPtraceShim", "CLibSeccomp", "Descriptions", "HostIO"]),
        .target(name: "KVM", dependencies: ["CKVMShim", "Machine", "Hypervisor", "Descriptions"]),
        .target(name: "VSim", dependencies: [
            "X86", "Machine", "Translation", "Guest", "Hypervisor", "Reports", "Containers", "KVM", "Ptrace",
            "Descriptions", "HostIO", .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: fast, plugins: ["EmbedProgramsPlugin"]),
        .target(name: "REPL", dependencies: [
            "VSim", "X86", "Machine", "Translation", "Guest", "Hypervisor", "CReadline", "Descriptions", "HostIO",
        ]),
        // Lab specs, the grader and its emitters (vsim lab, vsim grade).
        .target(name: "Grading", dependencies: [
            "VSim", "Guest", "Homework", "Descriptions", "HostIO", .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // `vsim homework`: OSTEP-style generated problems, answered by running vsim.
        .target(name: "Homework", dependencies: ["VSim", "Guest", "Machine", "X86", "Translation", "Descriptions", "HostIO"]),
        // programs/*.s compiled into VSim at build time (vsim compare's default benchmark).
        .executableTarget(name: "embed-programs"),
        .plugin(name: "EmbedProgramsPlugin", capability: .buildTool(), dependencies: ["embed-programs"]),
        // Links nothing that imports Foundation (FoundationEssentials at most): the start path of
        // every command but `lab` and `grade`, which it hands to vsim-lab (docs/performance.md).
        .executableTarget(name: "vsim", dependencies: [
            "VSim", "Containers", "Images", "REPL", "Homework", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "vsim-lab", dependencies: [
            "Grading", "VSim", "HostIO", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "HostIOTests", dependencies: ["HostIO", "Descriptions"]),
        .testTarget(name: "X86Tests", dependencies: ["X86"]),
        .testTarget(name: "MachineTests", dependencies: ["Machine", "X86"]),
        .testTarget(name: "GuestTests", dependencies: ["Guest", "Machine", "X86"]),
        .testTarget(name: "HypervisorTests", dependencies: ["Hypervisor", "VSim", "Guest", "Machine", "X86"]),
        .testTarget(name: "VSimTests", dependencies: ["VSim", "Guest", "Machine", "X86", "Reports", "HostIO"], exclude: ["CPrograms", "HostCallPrograms", "KernelPrograms"]),
        .testTarget(name: "TranslationTests", dependencies: ["Translation", "VSim", "Guest", "Machine", "X86"], exclude: ["Programs"]),
        .testTarget(name: "REPLTests", dependencies: ["REPL", "VSim", "Guest", "Machine", "X86"]),
        .testTarget(name: "KVMTests", dependencies: ["KVM", "VSim", "Reports", "Hypervisor", "Guest", "Machine"]),
        .testTarget(name: "GradingTests", dependencies: ["Grading", "Homework", "VSim", "Guest"]),
        .testTarget(name: "HomeworkTests", dependencies: ["Homework", "VSim", "Guest"]),
        .testTarget(name: "ContainersTests", dependencies: ["Containers", "Images", "VSim"], exclude: ["Programs"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images"], exclude: ["Fixtures/make_image.py"]),
        .testTarget(name: "PtraceTests", dependencies: ["Ptrace"]),
    ],
    swiftLanguageModes: [.v5]
)
