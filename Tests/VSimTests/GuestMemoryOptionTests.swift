import Foundation
import Testing
@testable import VSim

/// `--memory SIZE`: the guest RAM of the guest kernel's machine. Sizes parsed by hand-worked
/// examples; bad sizes refused with exit 64 and the reason; a C program whose .bss (40 MiB) does
/// not fit the default 32 MiB told how much to give, and run with it, printing what it prints
/// natively; the kernel told the size by the boot protocol (it maps and hands out all of it).
@Suite struct GuestMemoryOptionTests {
    @Test func sizesParse() throws {
        #expect(try GuestMemorySize.parse("64M") == 64 << 20)
        #expect(try GuestMemorySize.parse("64MiB") == 64 << 20)
        #expect(try GuestMemorySize.parse("1G") == 1 << 30)
        #expect(try GuestMemorySize.parse("8192k") == 8 << 20)
        #expect(try GuestMemorySize.parse("12582912") == 12 << 20)
        #expect(try GuestMemorySize.parse("3G") == 3 << 30)
        #expect(try GuestMemorySize.parse("1.5G") == 1536 << 20)   // Docker's spelling, as container run --memory
        for bad in ["", "M", "64X", "-4M", "6M", "4M", "4G", "1.2G", "99999999999999999999G", "0x4000000", "64 M", "1.G"] {
            #expect(throws: VSimError.self, "\(bad)") { _ = try GuestMemorySize.parse(bad) }
        }
    }

    @Test func badSizesAreRefusedWithTheReason() throws {
        for (size, words) in [("6M", "multiple of 4M (e.g. 8M)"), ("lots", "not a size"), ("4G", "from 8M to 3G")] {
            let r = try CLI.vsim(["run", "--mode", "hvm", "--memory", size, "/nonexistent/p.s"])
            #expect(r.status == 64, "\(size): \(r.stderr)")
            #expect(r.stderr.contains("--memory \(size): ") && r.stderr.contains(words), "\(size): \(r.stderr)")
        }
    }

    /// A program linked at 0x08048000 under 1 GiB of RAM: the kernel's identity map of RAM would
    /// cover it; refused with the largest size that fits (128M: 0x08048000 rounded down to 4 MiB).
    @Test func programBelowTheRAMMapIsRefused() throws {
        let r = try CLI.vsim(["run", "--mode", "hvm", "--memory", "1G", ProgramsHarness.repositoryRoot + "/programs/hello.s"])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("run with --memory 128M or less, or link the program higher"), "\(r.stderr)")
    }

    /// hello.s under 128 MiB (the largest that leaves 0x08048000 to the program) in every kernel
    /// mode: the kernel maps all of it (32 page tables) and runs as with 32 MiB; and linked at
    /// 0x48000000, under 1 GiB (256 page tables of identity map).
    @Test func largerRAMRuns() throws {
        for mode in ["trap", "hvm", "pv", "bt", "unikernel"] {
            let r = try CLI.vsim(["run", "--mode", mode, "--memory", "128M", ProgramsHarness.repositoryRoot + "/programs/hello.s"])
            #expect(r.status == 0 && r.stdout == "Hello, world!\n", "\(mode): \(r.stderr)")
        }
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "hellohigh")
        let object = dir + "/hello.o", exe = dir + "/hello"
        #expect(try CLI.run("/usr/bin/env", ["as", "--32", "-o", object, ProgramsHarness.repositoryRoot + "/programs/hello.s"]).status == 0)
        #expect(try CLI.run("/usr/bin/env", ["ld", "-m", "elf_i386", "-Ttext", "0x48000000", "-o", exe, object]).status == 0)
        for mode in ["hvm", "pv"] {
            let r = try CLI.vsim(["run", "--mode", mode, "--memory", "1G", exe])
            #expect(r.status == 0 && r.stdout == "Hello, world!\n", "\(mode): \(r.stderr)")
        }
    }

    /// 40 MiB of .bss, every byte written: "needs 42 MiB ... run with --memory 48M" under the
    /// default 32 MiB (exit 65), then the native output with that option.
    @Test(.enabled(if: CProgramsTests.hostCanBuild(), "needs an i386 C compiler and static glibc and a host that runs i386 programs"))
    func bssLargerThanTheDefaultRAM() throws {
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "bigbss")
        let source = dir + "/big.c", exe = dir + "/big"
        try "#include <stdio.h>\n#include <string.h>\nchar big[40 << 20];\nint main(int argc, char **argv) {\n"
            .appending("    memset(big, argc + 6, sizeof big);\n    printf(\"%d %d\\n\", big[0], big[sizeof big - 1]);\n    return 0;\n}\n")
            .write(toFile: source, atomically: true, encoding: .utf8)
        let built = try CLI.run("/usr/bin/env", CProgramsTests.compiler + ["-static", "-O2", "-o", exe, source])
        #expect(built.status == 0, "\(built.stderr)")
        let native = try CLI.run(exe, [])
        #expect(native.status == 0 && native.stdout == "7 7\n")
        let refused = try CLI.vsim(["run", "--mode", "hvm", exe])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("MiB of guest RAM, more than the 32 MiB it has; run with --memory 48M"), "\(refused.stderr)")
        for mode in ["hvm", "pv", "bt"] {
            let r = try CLI.vsim(["run", "--mode", mode, "--memory", "48M", exe])
            #expect(r.status == 0 && r.stdout == native.stdout, "\(mode): \(r.stderr)")
        }
    }
}
