import Foundation
import XCTest
@testable import VSim

/// The guest kernel's signals (programs/kernel/kernel.s, "signals"): the i386 rt frame field by
/// field and the x87 state it saves and restores (Tests/VSimTests/KernelPrograms/signals.s)
/// against the same program run natively (the host is the oracle), under trap, hvm, pv and bt on
/// both engines with equal counts; `abort()` ending with SIGABRT's status, 134, as natively; and
/// what one delivered signal costs in VM exits, traps, callouts and hypercalls, counted by hand.
/// (The C corpus's signal_async, signal_faults and signal_fpu run under the kernel modes in
/// CProgramsTests.)
final class KernelSignalTests: XCTestCase {
    static let modes: [Mode] = [.trap, .hvm, .pv, .bt]

    func run(_ exe: String, mode: Mode, engine: Engine, timer: UInt32? = nil) throws -> RunResult {
        var options = RunOptions()
        options.io = .capture
        options.engine = engine
        options.timerPeriod = timer
        options.timeLimit = .seconds(300)
        return try VSim.run(program: .path(exe), mode: mode, options: options)
    }

    func sorted(_ d: [String: UInt64]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }

    /// signals.s: every field of the rt frame a SIGUSR1 handler gets from kill (siginfo, uc_stack,
    /// the sigcontext's registers, segments, trapno, err, EIP, EFLAGS, esp_at_signal, oldmask,
    /// cr2, uc_sigmask), the mask while it runs, the FPU area (control, status and tag words,
    /// ST(0) = 1, ST(1) = pi) and the handler's clean FPU; after rt_sigreturn the registers (ESI
    /// as the handler changed it) and the x87 state (round-toward-zero control word, TOP 6, 1 and
    /// pi) again, though the handler pushed three zeros and set round-up. Identical to the
    /// native output in every line.
    func testFrameAndX87StateAgainstNative() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "ksignals")
        let exe = try ProgramsHarness.build(sourcePath: ProgramsHarness.repositoryRoot + "/Tests/VSimTests/KernelPrograms/signals.s", into: dir)
        let native = try ProgramsHarness.run([exe], directExecutable: true)
        XCTAssertEqual(native.status, 0)
        let text = String(decoding: native.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("  st(1) 4000c90fdaa22168c234\n  fpstate status 0x3000\n"), text)
        XCTAssertTrue(text.hasSuffix("  control word 0xf7f\n  status word 0x3000\n  st(0) 3fff8000000000000000\n  st(1) 4000c90fdaa22168c234\n"), text)
        for mode in Self.modes {
            var counts: [String] = []
            for engine in [Engine.interpret, .translate] {
                let r = try run(exe, mode: mode, engine: engine)
                XCTAssertEqual(r.exitStatus, 0, "\(mode) \(engine): \(r.diagnostic ?? "")")
                XCTAssertEqual(String(decoding: r.output ?? [], as: UTF8.self), text, "\(mode) \(engine)")
                counts.append("instructions \(r.instructions ?? 0); traps \(sorted(r.traps)); exits \(sorted(r.exits)); "
                              + "hypercalls \(sorted(r.hypercalls)); callouts \(sorted(r.callouts))")
            }
            XCTAssertEqual(counts[0], counts[1], "\(mode): the interpreter and the translator count differently")
        }
    }

    /// What one signal costs, by hand from kernel.s: the same program (rt_sigaction of a handler
    /// that only returns, through an SA_RESTORER restorer that calls rt_sigreturn; then
    /// kill(1000, SIG); exit) with SIG = SIGUSR1 against SIG = 0 (kill only checks), no timer.
    /// The difference is the signal: kill asks the host-call device for si_uid (getuid32: one OUT,
    /// or one host_call hypercall under pv); delivery (ret_to_user on the way out of kill) saves
    /// the x87 state with FNSAVE, writes the frame with plain stores into pages user_range
    /// checked and returns with the IRET kill's return would do anyway; the handler's RET and the
    /// restorer run at ring 3; rt_sigreturn is one more `int $0x80` and IRET, its FRSTOR the only
    /// other privileged-looking step. So:
    /// - hvm: one more I/O-instruction exit (the OUT); the int $0x80, FNSAVE and FRSTOR do not
    ///   exit under the VMCS controls;
    /// - trap: one more #GP (the OUT at ring 1), one more `int $0x80` reflected by the VMM
    ///   (rt_sigreturn), and one #NM: the VMM keeps CR0.TS set until the guest's first x87
    ///   instruction (the kernel's FNSAVE), its lazy FPU switch;
    /// - pv: one more hypercall (host_call); `int $0x80` goes straight to the kernel, and the
    ///   PV VMM switches no FPU lazily;
    /// - bt: one more `int $0x80` trap and #NM as under trap, and six callouts: the OUT,
    ///   rt_sigreturn's IRET, and write_sigcontext's four reads of DS ES FS GS (MOV from a
    ///   segment register shows the RPL of a deprivileged kernel, so the BT VMM rewrites it);
    /// - trap and bt, being shadow-paging VMMs, take 3 more hidden page faults: the frame goes on
    ///   the user stack page, which the quiet program never touches, and user_range checks it by
    ///   reading the page directory and the stack's page table through the kernel's identity map
    ///   (the pages found with `--trace traps`).
    func testOneSignalCostsByHand() throws {
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "ksigcost")
        func program(_ signal: Int) throws -> String {
            try CLI.build("""
                    .text
                    .globl _start
            _start: movl $174, %eax
                    movl $10, %ebx
                    movl $act, %ecx
                    xorl %edx, %edx
                    movl $8, %esi
                    int $0x80
                    movl $37, %eax
                    movl $1000, %ebx
                    movl $\(signal), %ecx
                    int $0x80
                    movl $1, %eax
                    xorl %ebx, %ebx
                    int $0x80
            handler: ret
            restorer:
                    movl $173, %eax
                    int $0x80
                    .data
            act:    .long handler, 0x04000004, restorer, 0, 0
            """, name: "cost\(signal)", in: dir)
        }
        let quiet = try program(0), signalled = try program(10)
        func difference(_ a: [String: UInt64], _ b: [String: UInt64]) -> [String: UInt64] {
            var d: [String: UInt64] = [:]
            for (k, v) in b where v != a[k] ?? 0 { d[k] = v - (a[k] ?? 0) }
            return d
        }
        let expected: [Mode: (exits: [String: UInt64], traps: [String: UInt64], callouts: [String: UInt64], hypercalls: [String: UInt64])] = [
            .hvm: (["30 I/O instruction": 1], [:], [:], [:]),
            .trap: ([:], ["#GP: out": 1, "int 0x80": 1, "#NM: lazy FPU switch": 1, "#PF: hidden (shadow fill)": 3], [:], [:]),
            .pv: ([:], [:], [:], ["host_call": 1]),
            .bt: ([:], ["int 0x80": 1, "#NM: lazy FPU switch": 1, "#PF: hidden (shadow fill)": 3],
                  ["out": 1, "iret": 1, "mov from ds": 1, "mov from es": 1, "mov from fs": 1, "mov from gs": 1], [:]),
        ]
        for mode in Self.modes {
            for engine in [Engine.interpret, .translate] {
                let a = try run(quiet, mode: mode, engine: engine, timer: 0)
                let b = try run(signalled, mode: mode, engine: engine, timer: 0)
                XCTAssertEqual(a.exitStatus, 0, "\(mode) \(engine): \(a.diagnostic ?? "")")
                XCTAssertEqual(b.exitStatus, 0, "\(mode) \(engine): \(b.diagnostic ?? "")")
                let e = try XCTUnwrap(expected[mode])
                XCTAssertEqual(difference(a.exits, b.exits), e.exits, "\(mode) \(engine): exits")
                XCTAssertEqual(difference(a.traps, b.traps), e.traps, "\(mode) \(engine): traps")
                XCTAssertEqual(difference(a.callouts, b.callouts), e.callouts, "\(mode) \(engine): callouts")
                XCTAssertEqual(difference(a.hypercalls, b.hypercalls), e.hypercalls, "\(mode) \(engine): hypercalls")
                XCTAssertEqual(b.hostCalls, ["getuid32": 1], "\(mode) \(engine)")
            }
        }
    }

    /// EFLAGS.TF set with POPF: the #DB after the next instruction is SIGTRAP with si_code
    /// TRAP_TRACE and si_addr the instruction after it, and a handler that clears TF in the
    /// sigcontext ends the stepping. The exit status encodes it (100 per handler call, 10 times
    /// si_code, 1 when si_addr is right): 121 natively and under every kernel mode on both
    /// engines. (Under pv the VMM clears TF when it enters the kernel's handler, as Xen's
    /// create_bounce_frame does, or the kernel would single-step itself.)
    func testSingleStepIsSIGTRAPWithTrapTrace() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "ksigtf")
        let exe = try CLI.build("""
                .text
                .globl _start
        _start: movl $174, %eax                 # rt_sigaction(SIGTRAP, &act, NULL, 8)
                movl $5, %ebx
                movl $act, %ecx
                xorl %edx, %edx
                movl $8, %esi
                int $0x80
                pushfl
                orl $0x100, (%esp)
                popfl
        step1:  nop
        step2:  nop
                movl $1, %eax
                movl count, %ebx
                int $0x80
        handler:
                addl $100, count
                movl 8(%esp), %eax              # siginfo
                movl 8(%eax), %ecx              # si_code
                imull $10, %ecx
                addl %ecx, count
                cmpl $step2, 12(%eax)           # si_addr
                jne 1f
                incl count
        1:      movl 12(%esp), %eax             # the ucontext: TF off in uc_mcontext.eflags
                andl $~0x100, 20 + 64(%eax)
                ret
        restorer:
                movl $173, %eax
                int $0x80
                .data
        act:    .long handler, 0x04000004, restorer, 0, 0
        count:  .long 0
        """, name: "tf", in: dir)
        XCTAssertEqual(try ProgramsHarness.run([exe], directExecutable: true).status, 121)
        for mode in Self.modes {
            for engine in [Engine.interpret, .translate] {
                let r = try run(exe, mode: mode, engine: engine)
                XCTAssertEqual(r.exitStatus, 121, "\(mode) \(engine): \(r.diagnostic ?? "")")
            }
        }
    }

    /// `abort()` (glibc's and musl's: SIGABRT unblocked and raised with tgkill or tkill, its
    /// default action) ends the program with status 134 natively and under every kernel mode,
    /// the unikernel included; before signals the guest kernel said 139.
    func testAbortEndsWithSIGABRT() throws {
        guard CProgramsTests.hostCanBuild() else { throw XCTSkip("needs an i386 C compiler and static libc (scripts/setup)") }
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "kabort")
        let src = dir + "/abort.c"
        try "#include <stdio.h>\n#include <stdlib.h>\nint main(void) { puts(\"before\"); fflush(stdout); abort(); }\n"
            .write(toFile: src, atomically: true, encoding: .utf8)
        var builds = [("glibc", CProgramsTests.compiler + ["-static", "-O2", "-o", dir + "/abort-glibc", src])]
        if CProgramsTests.libcs.contains("musl") {
            builds.append(("musl", CProgramsTests.compiler + ["-static", "-O2", "-specs", CProgramsTests.muslSpecs, "-Wl,-melf_i386",
                                                              "-o", dir + "/abort-musl", src]))
        }
        for (libc, command) in builds {
            let r = try CLI.run("/usr/bin/env", command)
            XCTAssertEqual(r.status, 0, "\(libc): \(r.stderr)")
            let exe = dir + "/abort-\(libc)"
            let native = try CProgramsTests.run([exe], environment: [:], stdin: "")
            XCTAssertEqual(native.status, 134, "\(libc) natively")
            for mode in Self.modes + [.unikernel] {
                let v = try CProgramsTests.run([CLI.vsimPath, "run", "--mode", mode.rawValue, exe], environment: [:], stdin: "")
                XCTAssertEqual(v.status, 134, "\(libc) under \(mode): \(v.stderr)")
                XCTAssertEqual(v.stdout, "before\n", "\(libc) under \(mode)")
            }
        }
    }
}
