import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `vsim run prog.c`, the refusal of dynamically linked programs, thread-local storage through
/// `set_thread_area` against the host, and the one-time notice for system calls vsim lacks.
@Suite("C sources, dynamic ELFs, TLS and unimplemented system calls")
struct CRunTests {
    static let canCompile = CProgramsTests.hostCanBuild()

    @Test("a .c file is compiled into the cache and runs as natively", .enabled(if: CRunTests.canCompile))
    func runsCSource() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("#include <stdio.h>\nint main(int c, char **v) { printf(\"%d %s\\n\", c, v[c - 1]); return 5; }\n",
                                name: "prog.c", in: dir)
        let env = ["XDG_CACHE_HOME": dir + "/cache", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        for mode in ["interpret", "translate"] {
            let r = try CLI.vsim(["run", "--mode", mode, src, "--", "arg"], environment: env)
            #expect(r.status == 5, "\(mode): \(r.stderr)")
            #expect(r.stdout == "2 arg\n")
        }
        let cached = try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/vsim").filter { $0.hasPrefix("prog-") && !$0.hasSuffix(".deps") }
        #expect(cached.count == 1, "one cached build: \(cached)")
        // A header beside the source is part of the key: editing it builds anew.
        let header = try CLI.write("#define N 7\n", name: "n.h", in: dir)
        let withHeader = try CLI.write("#include \"n.h\"\nint main(void) { return N; }\n", name: "h.c", in: dir)
        #expect(try CLI.vsim(["run", withHeader], environment: env).status == 7)
        try "#define N 9\n".write(toFile: header, atomically: true, encoding: .utf8)
        #expect(try CLI.vsim(["run", withHeader], environment: env).status == 9)
        let broken = try CLI.write("int main(void) { return }\n", name: "bad.c", in: dir)
        let b = try CLI.vsim(["run", broken], environment: env)
        #expect(b.status == 69)
        #expect(b.stderr.contains("bad.c"))
    }

    /// A program that uses <math.h> links: glibc keeps sqrt and pow in libm, which gcc does not
    /// link unless told (`-lm`). The expected line is a hand calculation: sqrt(2) = 1.4142135...,
    /// 2^10 = 1024 (the operand comes from argv, so gcc cannot fold the calls away).
    @Test("a .c file that calls sqrt and pow builds and runs (libm is linked)", .enabled(if: CRunTests.canCompile))
    func runsCSourceUsingLibm() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let src = try CLI.write("#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
            + "int main(int c, char **v) { double x = atof(v[1]); printf(\"%.6f %.1f\\n\", sqrt(x), pow(x, 10)); return 0; }\n",
            name: "m.c", in: dir)
        let env = ["XDG_CACHE_HOME": dir + "/cache", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        for mode in ["interpret", "hvm"] {
            let r = try CLI.vsim(["run", "--mode", mode, src, "--", "2"], environment: env)
            #expect(r.status == 0, "\(mode): \(r.stderr)")
            #expect(r.stdout == "1.414214 1024.0\n", "\(mode): \(r.stderr)")
        }
    }

    /// programs/c/ is what the README and the docs run: each program, built as vsim builds a `.c`
    /// (gcc -m32 -static -O2) and run natively, is the oracle for `vsim run prog.c` under user
    /// mode and the guest kernel.
    @Test("programs/c: each program prints and exits as natively under interpret, translate, hvm and pv",
          .enabled(if: CRunTests.canCompile))
    func shippedCPrograms() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let env = ["XDG_CACHE_HOME": dir + "/cache", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        for (name, args) in [("hello", ["one", "two"]), ("intbench", ["1"]), ("dhrylike", ["3000"]), ("strbench", ["2"])] {
            let src = CLI.packageRoot + "/programs/c/\(name).c"
            let exe = dir + "/" + name
            let c = try CLI.run("/usr/bin/env", CProgramsTests.compiler + ["-static", "-O2", "-o", exe, src])
            try #require(c.status == 0, "\(name): \(c.stderr)")
            let native = try CLI.run(exe, args)
            #expect(native.status == 0 && !native.stdout.isEmpty, "\(name) natively: \(native.stderr)")
            for mode in ["interpret", "translate", "hvm", "pv"] {
                let r = try CLI.vsim(["run", "--mode", mode, "--time-limit", "1800", src, "--"] + args, environment: env)
                #expect(r.status == native.status, "\(name) under \(mode): \(r.stderr)")
                #expect(r.stdout == native.stdout, "\(name) under \(mode): \(r.stdout) natively \(native.stdout)")
                #expect(r.stderr == native.stderr, "\(name) under \(mode): \(r.stderr)")
            }
        }
    }

    @Test("without gcc a .c file exits 69 and says what to install")
    func missingCompiler() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("int main(void) { return 0; }\n", name: "p.c", in: dir)
        let r = try CLI.vsim(["run", src], environment: ["XDG_CACHE_HOME": dir + "/cache", "PATH": dir])
        #expect(r.status == 69)
        #expect(r.stderr.contains("gcc") && r.stderr.contains("scripts/setup"), "\(r.stderr)")
    }

    @Test("a dynamically linked program is refused with 65, naming its interpreter", .enabled(if: CRunTests.canCompile))
    func dynamicRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("int main(void) { return 0; }\n", name: "d.c", in: dir)
        for (name, flags) in [("nopie", ["-no-pie"]), ("pie", ["-pie", "-fPIE"])] {
            let exe = dir + "/" + name
            let c = try CLI.run("/usr/bin/env", CProgramsTests.compiler + flags + ["-o", exe, src])
            guard c.status == 0 else { continue }     // no dynamic 32-bit libc: nothing to refuse
            let r = try CLI.vsim(["run", exe])
            #expect(r.status == 65, "\(name): \(r.stderr)")
            #expect(r.stderr.contains("/lib/ld-linux.so.2") && r.stderr.contains("-static"), "\(name): \(r.stderr)")
        }
    }

    /// set_thread_area with entry -1, the slot written back, %gs loaded with it, a %gs: load, and
    /// the descriptor read back with get_thread_area: the exit status encodes what the program
    /// saw, and must equal the native run's.
    static let tlsProgram = """
        .data
        desc:   .long -1, tlsdata, 0xfffff, 0x51
        tlsdata: .long 0x11, 0x22, 0x33
        back:   .long 0, 0, 0, 0
        .text
        .globl _start
        _start:
                movl $243, %eax
                movl $desc, %ebx
                int $0x80
                movl %eax, %edi              # 0 on success
                movl desc, %ecx
                shll $3, %ecx
                orl $3, %ecx
                movw %cx, %gs
                movl %gs:8, %esi             # 0x33
                movl desc, %eax
                movl %eax, back
                movl $244, %eax
                movl $back, %ebx
                int $0x80
                addl %eax, %edi
                movl back+4, %eax
                subl $tlsdata, %eax          # same base: 0
                addl %eax, %edi
                movl desc, %ebx              # entry 12
                addl %esi, %ebx              # 12 + 0x33 = 63
                addl %edi, %ebx
                movl $1, %eax
                int $0x80
        """

    @Test("set_thread_area and %gs: the same exit status as natively, interpret and translate")
    func threadArea() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write(Self.tlsProgram, name: "tls.s", in: dir)
        let exe = dir + "/tls"
        guard try CLI.run("/usr/bin/env", ["as", "--32", "-o", exe + ".o", src]).status == 0,
              try CLI.run("/usr/bin/env", ["ld", "-m", "elf_i386", "-o", exe, exe + ".o"]).status == 0 else { return }
        let native = try CLI.run(exe, [])
        if ProgramsHarness.hostRunsI386() { #expect(native.status == 63) }
        for mode in ["interpret", "translate"] {
            let r = try CLI.vsim(["run", "--mode", mode, exe])
            #expect(r.status == 63, "\(mode): \(r.stderr)")
        }
    }

    @Test("an unimplemented system call returns -ENOSYS and is named once on stderr")
    func unimplementedNamedOnce() throws {
        let dir = try CLI.temporaryDirectory()
        let src = try CLI.write("""
            .globl _start
            _start:
                    movl $218, %eax
                    xorl %ebx, %ebx
                    int $0x80
                    movl $218, %eax
                    int $0x80
                    negl %eax
                    movl %eax, %ebx
                    movl $1, %eax
                    int $0x80
            """, name: "nosys.s", in: dir)
        let r = try CLI.vsim(["run", src], environment: ["XDG_CACHE_HOME": dir + "/cache", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        #expect(r.status == 38)
        let lines = r.stderr.split(separator: "\n").filter { $0.contains("system call 218 (mincore)") }
        #expect(lines.count == 1, "\(r.stderr)")
    }
}
