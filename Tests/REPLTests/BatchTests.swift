import Foundation
import Testing
@testable import REPL
import VSim

/// A program whose every register and memory value is worked out by hand below.
let counterSource = """
        .text
        .globl _start
_start:
        movl $5, %eax           # 0x08049000  b8 05 00 00 00
        movl $7, %ebx           # 0x08049005  bb 07 00 00 00
        addl %ebx, %eax         # 0x0804900a  01 d8          eax = 12
        movl %eax, counter      # 0x0804900c  a3 <counter>   counter = 12
        cmpl $12, %eax          # 0x08049011  83 f8 0c       ZF = 1
        call bump               # 0x08049014  e8 0d 00 00 00
        movl $1, %eax           # 0x08049019
        movl counter, %ebx      # 0x0804901e  exit(counter) = exit(13)
        int $0x80               # 0x08049024
bump:
        incl counter            # 0x08049026  counter = 13
        ret                     # 0x0804902c

        .data
counter: .long 0
msg:    .asciz "vsim"
"""

@Suite("REPL batch scripts (interpret)")
struct BatchTests {
    let program: String
    init() throws { program = try Batch.source("counter.s", counterSource) }

    @Test("stepi and info registers: values, change marks, decoded flags and taken jumps worked out by hand")
    func stepAndRegisters() throws {
        let out = try Batch.run(program, ["stepi 3", "info registers"])
        // After mov $5, mov $7, add: EAX = 12, EBX = 7. 5 + 7 = 12 = 0b1100: no carry (CF 0),
        // no carry out of bit 3 (0101 + 0111: AF 0), not zero, not negative, no overflow, two
        // bits set in the low byte (PF 1). With IF and the reserved bit 1: EFLAGS = 0x206.
        #expect(out.contains("=> 0x0804900c <_start+12>:\ta3 "))
        #expect(out.contains("*eax    0x0000000c  12   (was 0x00000000)"))
        #expect(out.contains("*ebx    0x00000007  7   (was 0x00000000)"))
        #expect(out.contains(" ecx    0x00000000  0\n"))
        #expect(out.contains("*eip    0x0804900c  <_start+12>   (was 0x08049000)"))
        #expect(out.contains("*eflags 0x00000206  [ PF IF ]   (was 0x00000202)"))
        // ECX = 0, so JECXZ would jump too.
        #expect(out.contains("taken:     jno jae jne ja jns jp jge jg jecxz\n"))
        #expect(out.contains("not taken: jo jb je jbe js jnp jl jle\n"))
        #expect(out.contains("lazy flags: ADD32"))

        let cmp = try Batch.run(program, ["stepi 5", "info registers eflags"])
        // cmp $12 with EAX = 12: result 0, ZF 1, PF 1 (zero has even parity): 0x246.
        #expect(cmp.contains("0x00000246  [ PF ZF IF ]"))
        #expect(cmp.contains("taken:     jno jae je jbe jns jp jge jle jecxz\n"))
    }

    @Test("break on a symbol, continue to it, then to the exit with the guest's output and status")
    func breakpoints() throws {
        let out = try Batch.run(program, ["break bump", "info breakpoints", "continue", "print $eip", "x/xw $esp", "delete 1", "continue"])
        #expect(out.contains("Breakpoint 1 at 0x8049026 <bump>\n"))
        #expect(out.contains("1    breakpoint  0x08049026  <bump>\n"))
        #expect(out.contains("\nBreakpoint 1, 0x08049026 <bump>\n=> 0x08049026 <bump>:\tff 05 "))
        #expect(out.contains("$ = 0x8049026 = 134516774 <bump>\n"))
        // The return address the call pushed: the instruction after it.
        #expect(out.contains(":\t0x08049019\n"))
        // mov, mov, add, mov, cmp, call, incl, ret, mov, mov, int: 11 instructions; counter = 13.
        #expect(out.contains("[guest exited with status 13 after 11 instructions]"))
    }

    @Test("watch shows old and new values and the writing instruction; reverse-stepi puts memory back")
    func watchpoints() throws {
        let out = try Batch.run(program, ["watch counter", "continue", "continue", "x/dw &counter",
                                          "reverse-stepi", "x/dw &counter", "reverse-stepi 4", "x/dw &counter"])
        #expect(out.contains("Watchpoint 1: 0x0804a000 <counter> (4 bytes, now 0x00000000)"))
        #expect(out.contains("Old value = 0x00000000 (0)\nNew value = 0x0000000c (12)\nwritten by 0x0804900c <_start+12>:\ta3 00 a0 04 08       mov    %eax,0x804a000\n=> 0x08049011 <_start+17>"))
        #expect(out.contains("Old value = 0x0000000c (12)\nNew value = 0x0000000d (13)\nwritten by 0x08049026 <bump>:"))
        let values = out.split(separator: "\n").filter { $0.hasPrefix("0x804a000 <counter>:") }
        #expect(values == ["0x804a000 <counter>:\t13", "0x804a000 <counter>:\t12", "0x804a000 <counter>:\t0"])
    }

    @Test("reverse-stepi restores every register, the lazy flags and memory exactly")
    func reverseRestoresState() throws {
        let show = ["info registers", "x/8xb &counter"]
        let out = try Batch.run(program, ["stepi 2", "echo-mark"] + show + ["stepi 5"] + show + ["reverse-stepi 5", "echo-mark"] + show)
        let parts = out.components(separatedBy: "Undefined command: \"echo-mark\".  Try \"help\".\n")
        #expect(parts.count == 3)
        let first = Batch.plain(parts[1].components(separatedBy: "=> ").first!)
        let last = Batch.plain(parts[2])
        #expect(first == last)
        #expect(first.contains("lazy flags: EFLAGS"))
    }

    @Test("x/FMT shows the bytes objdump shows for the ELF, and x/i and x/s decode them")
    func examineMatchesObjdump() throws {
        let resolved = try VSim.resolve(.path(program))
        let dump = try Batch.shell(["objdump", "-s", "-j", ".text", resolved.executablePath])
        // " 8049000 b8050000 00bb0700 000001d8 a300a004  ........" -> bytes
        var bytes: [UInt8] = []
        for line in dump.split(separator: "\n") where line.hasPrefix(" 80490") {
            let fields = line.split(separator: " ")
            for group in fields[1...].prefix(4) where group.count % 2 == 0 && group.allSatisfy(\.isHexDigit) {
                var g = Substring(group)
                while !g.isEmpty { bytes.append(UInt8(g.prefix(2), radix: 16)!); g = g.dropFirst(2) }
            }
        }
        #expect(bytes.count == 45)
        let out = try Batch.run(program, ["x/16xb _start", "x/3i _start", "x/s msg", "x/2xh _start", "x/xg _start"])
        var shown: [UInt8] = []
        for line in out.split(separator: "\n") where line.hasPrefix("0x80490") && line.contains(":\t0x") && line.split(separator: "\t").count == 9 {
            for f in line.split(separator: "\t").dropFirst() { shown.append(UInt8(f.dropFirst(2), radix: 16)!) }
        }
        #expect(shown == Array(bytes.prefix(16)))
        let objdump = try Batch.shell(["objdump", "-d", resolved.executablePath])
        let texts = objdump.split(separator: "\n").filter { $0.hasPrefix(" 8049000:") || $0.hasPrefix(" 8049005:") || $0.hasPrefix(" 804900a:") }
            .map { String($0.split(separator: "\t").last!) }
        #expect(texts == ["mov    $0x5,%eax", "mov    $0x7,%ebx", "add    %ebx,%eax"])
        #expect(out.contains("=> 0x8049000 <_start>:\tmov    $0x5,%eax\n   0x8049005 <_start+5>:\tmov    $0x7,%ebx\n   0x804900a <_start+10>:\tadd    %ebx,%eax\n"))
        #expect(out.contains("0x804a004 <msg>:\t\"vsim\"\n"))
        #expect(out.contains("0x8049000 <_start>:\t0x05b8\t0x0000\n"))
        #expect(out.contains("0x8049000 <_start>:\t0x0007bb00000005b8\n"))
    }

    @Test("disassemble marks EIP and stops at the end of the function")
    func disassemble() throws {
        let out = try Batch.run(program, ["stepi 6", "disassemble"])
        #expect(out.contains("""
        Dump of assembler code for function bump:
        => 0x08049026 <+0>:\tincl   0x804a000
           0x0804902c <+6>:\tret
        End of assembler dump.
        """))
    }

    @Test("catch, info traps and info vmcs say clearly that the user-mode interpreter has no VMM")
    func noVMM() throws {
        let out = try Batch.run(program, ["catch trap", "info traps", "info vmcs"])
        #expect(out.contains("--mode interpret has no VMM, so there are no traps, VM exits or hypercalls to catch"))
        #expect(out.contains("--mode interpret has no VMM: nothing traps"))
        #expect(out.contains("has no VMM and no VMCS"))
    }

    @Test("info tb prints the translation block at EIP as vsim translate does")
    func translationBlock() throws {
        let out = try Batch.run(program, ["info tb in_asm"], )
        #expect(out.contains("IN: 0x08049000 <_start>\n0x08049000:  mov    $0x5,%eax\n"))
        #expect(out.contains("0x08049014:  call   8049026 <bump>\n"))
    }

    @Test("the undo log is bounded: after 2000+ steps, reverse-stepi stops at the bound")
    func undoBound() throws {
        let loop = try Batch.source("loop.s", """
                .text
                .globl _start
        _start: movl $3000, %ecx
        1:      incl %eax
                loop 1b
                movl $1, %eax
                xorl %ebx, %ebx
                int $0x80
        """)
        let out = try Batch.run(loop, ["stepi 2500", "reverse-stepi 2100", "print $eax"])
        #expect(out.contains("No more reverse-execution history (stepped back 2000 of 2100; vsim keeps the last 2000 steps)."))
        // 2500 steps: mov, then (inc, loop) pairs: 1249 full pairs plus one inc -> EAX 1250; 2000
        // steps back leaves 500 steps: mov + 249 pairs + inc -> EAX 250.
        #expect(out.contains("$ = 0xfa = 250\n"))
    }
}

@Suite("REPL refusals: counts and catchpoint reasons")
struct RefusalTests {
    let program: String
    init() throws { program = try Batch.source("counter.s", counterSource) }

    @Test("stepi and reverse-stepi refuse 0, negative and non-numeric counts instead of wrapping; x/N checks N")
    func counts() throws {
        let out = try Batch.run(program, ["stepi -1", "stepi 0", "stepi abc", "reverse-stepi -5", "reverse-stepi 0",
                                          "x/-3x $esp", "x/0x $esp", "info registers eip"])
        #expect(out.contains("stepi takes a count of instructions from 1 to 2147483647 (got '-1'), e.g. stepi 10\n"))
        #expect(out.contains("stepi takes a count of instructions from 1 to 2147483647 (got '0'), e.g. stepi 10\n"))
        #expect(out.contains("stepi: No symbol \"abc\" in the program"))
        #expect(out.contains("reverse-stepi takes a count of instructions from 1 to 2147483647 (got '-5')"))
        #expect(out.contains("reverse-stepi takes a count of instructions from 1 to 2147483647 (got '0')"))
        #expect(out.contains("x/: the count must be a whole number from 1 to 4096 (got \"-3x\")"))
        #expect(out.contains("x/: the count must be a whole number from 1 to 4096 (got \"0x\")"))
        // Nothing ran: EIP is still at the first instruction, and the guest did not exit.
        #expect(out.contains(" eip    0x08049000  <_start>"))
        #expect(!out.contains("guest exited"))
        // Counts written as numbers or expressions still work.
        let ok = try Batch.run(program, ["stepi 0x2", "print $eip", "reverse-stepi 1", "print $eip"])
        #expect(ok.contains("$ = 0x804900a = 134516746"))
        #expect(ok.contains("$ = 0x8049005 = 134516741"))
    }

    @Test("catch with a reason no VMM counts is refused with the list of reasons; real ones are accepted")
    func catchReasons() throws {
        let hello = Batch.packageRoot + "/programs/hello.s"
        let trap = try Batch.run(hello, mode: .trap, ["catch trap #XX", "catch trap out", "catch trap #GP: mov to cr3", "catch trap int 0x80"])
        #expect(trap.contains("catch trap: no trap reason matches '#XX', so the catchpoint would never stop; the reasons are: #DE, #DB, "))
        #expect(trap.contains("#GP: MNEMONIC, #PF: traced page-table write, #PF: hidden (shadow fill), #PF: hidden (unshadow), int 0xNN, interrupt 0xNN\n"))
        #expect(trap.contains("Catchpoint 1 (trap out)"))
        #expect(trap.contains("Catchpoint 2 (trap #GP: mov to cr3)"))
        #expect(trap.contains("Catchpoint 3 (trap int 0x80)"))
        let hvm = try Batch.run(hello, mode: .hvm, ["catch exit I/0", "catch exit 30", "catch exit cpuid"])
        #expect(hvm.contains("catch exit: no exit reason matches 'I/0'"))
        #expect(hvm.contains("30 I/O instruction, 31 RDMSR"))
        #expect(hvm.contains("Catchpoint 1 (exit 30)"))
        #expect(hvm.contains("Catchpoint 2 (exit cpuid)"))
        let pv = try Batch.run(hello, mode: .pv, ["catch hypercall consol_io", "catch hypercall sched_op"])
        #expect(pv.contains("catch hypercall: no hypercall reason matches 'consol_io', so the catchpoint would never stop; "
                            + "the reasons are: set_trap_table, mmu_update, set_gdt, stack_switch, set_callbacks, update_descriptor, "
                            + "multicall, console_io, mmuext_op, sched_op, event_channel_op, host_call\n"))
        #expect(pv.contains("Catchpoint 1 (hypercall sched_op)"))
    }

    /// Which events each VMM logs (docs/strategies.md): trap-and-emulate traps, VT-x VM exits,
    /// Xen-style PV hypercalls and the traps it reflects (`info traps` under pv counts
    /// `interrupt 0x20`), the BT VMM traps and callouts. A catchpoint of a kind the mode's VMM
    /// never logs is set, with a note that it will not stop; under pv and bt there was none.
    @Test("a catchpoint of a kind the VMM never takes gets a note under every VMM mode")
    func catchpointKindNotes() throws {
        let hello = Batch.packageRoot + "/programs/hello.s"
        for (mode, never, takes) in [(Mode.trap, "exit", "traps"), (.hvm, "trap", "exits"),
                                     (.pv, "exit", "traps and hypercalls"), (.bt, "hypercall", "traps and callouts")] {
            let out = try Batch.run(hello, mode: mode, ["catch \(never)"])
            #expect(out.contains("note: the \(mode.rawValue) VMM takes \(takes), not \(never)s: this catchpoint will not stop\n"), "\(mode): \(out)")
        }
        let pv = try Batch.run(hello, mode: .pv, ["catch trap", "catch hypercall"])
        #expect(!pv.contains("note:"), "pv takes both: \(pv)")
        let bt = try Batch.run(hello, mode: .bt, ["catch trap"])
        #expect(!bt.contains("note:"), "\(bt)")
    }
}

@Suite("REPL batch scripts (guest kernel and VMM)")
struct SystemBatchTests {
    let hello = Batch.packageRoot + "/programs/hello.s"

    @Test("catch a trap by reason under trap-and-emulate, stepping into it and back out")
    func catchTrap() throws {
        let out = try Batch.run(hello, mode: .trap, ["catch trap out", "continue", "continue", "info registers eip cpl", "info traps"])
        // The kernel's first OUT programs the timer (port 0x40) with the default period, 100,000
        // = 0x186a0; the second writes 'H' (0x48) to the UART. Each is a #GP at ring 1 that the
        // VMM emulates; the step stops right after, before the next instruction. (Its address is
        // kernel.s's: `objdump -d` of the built kernel.)
        #expect(out.contains("Catchpoint 1 (trap #GP: out)\n[vmm] trap 0x0010011b  out    %eax,$0x40  [#GP: out] OUT to port 0x40 (timer) <- 0x186a0"))
        #expect(out.contains("[#GP: out] OUT to port 0x3f8 (16550 UART) <- 0x48"))
        #expect(out.contains(" cpl    0x00000001  1"))
        // (the table is as wide as its longest reason: the shadow page table's hidden faults)
        #expect(out.split(separator: "\n").contains { $0.hasPrefix("  #GP: out ") && $0.hasSuffix(" 2") })
    }

    @Test("catch a VM exit by reason number under hvm, and reverse-stepi replays to the step before")
    func catchExit() throws {
        let out = try Batch.run(hello, mode: .hvm, ["catch exit 30", "continue", "info registers", "reverse-stepi", "stepi", "info registers"])
        #expect(out.contains("Catchpoint 1 (exit 30 I/O instruction)\n[vmm] exit "))
        let parts = out.components(separatedBy: "Catchpoint 1 (exit 30 I/O instruction)")
        #expect(parts.count == 3)   // caught again after replaying and stepping forward
        let regs = Batch.plain(out).components(separatedBy: "\n eax").dropFirst().map { " eax" + $0 }
        #expect(regs.count == 2)
        #expect(regs[0].components(separatedBy: "  gdtr")[0] == regs[1].components(separatedBy: "  gdtr")[0])
    }

    @Test("catch a hypercall by name under pv: the PV console makes one console_io per write call")
    func catchHypercall() throws {
        let out = try Batch.run(hello, mode: .pv, ["catch hypercall console_io", "continue", "continue"])
        #expect(out.contains("Catchpoint 1 (hypercall console_io)\n[vmm] hypercall "))
        // hello makes one write call: the second continue runs to the exit.
        #expect(out.components(separatedBy: "Catchpoint 1 (hypercall console_io)\n[vmm]").count == 2)
        #expect(out.contains("[guest stdout] Hello, world!\n"))
        #expect(out.contains("[guest exited with status 0 after "))
    }

    /// The VMMs log four kinds of event (trap, VM exit, hypercall, callout); `info traps` names
    /// each kind once. Under bt, hello's OUTs are callouts: 16 by hand, the timer's (port 0x40),
    /// one per byte of "Hello, world!\n" (14) to the UART, and the exit device's.
    @Test("info traps names each kind of VMM event once: bt's OUTs are callouts, not traps")
    func infoTrapsNamesCallouts() throws {
        let bt = Batch.plain(try Batch.run(hello, mode: .bt, ["continue", "info traps"]))
        #expect(bt.contains("[guest exited with status 0 after "), "\(bt)")
        #expect(bt.contains("callouts by reason:\n"), "\(bt)")
        #expect(bt.split(separator: "\n").contains { $0.hasPrefix("  out ") && $0.hasSuffix(" 16") }, "\(bt)")
        let trap = Batch.plain(try Batch.run(hello, mode: .trap, ["continue", "info traps"]))
        #expect(trap.components(separatedBy: "traps by reason:\n").count == 2, "\(trap)")
        #expect(trap.contains("callouts: none\n"), "\(trap)")
        #expect(!trap.contains("\ntraps: none\n"), "\(trap)")
    }

    @Test("the guest's exit under the guest kernel, with its output marked")
    func exitUnderKernel() throws {
        let out = try Batch.run(hello, mode: .interpret, system: true, ["continue", "info traps"])
        #expect(out.contains("[guest stdout] Hello, world!\n"))
        #expect(out.contains("[guest exited with status 0 after "))
        #expect(out.contains("has no VMM: nothing traps"))
    }
}

@Suite("REPL batch errors go to stderr")
struct BatchErrorStreamTests {
    /// Runs `vsim repl PROGRAM --batch -` with `commands` on stdin; stdout and stderr apart.
    static func session(_ program: String, _ commands: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Batch.vsimPath)
        p.arguments = ["repl", program, "--batch", "-"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = errors
        try p.run()
        input.fileHandleForWriting.write(Data((commands.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        // Small outputs: read both to their ends (the pipes' buffers hold them).
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// A --batch that is a directory cannot be read (read(2) fails with EISDIR, POSIX): vsim
    /// says so and exits 66, as for a missing one (docs/exit-status.md), instead of running no
    /// commands and exiting 0 (found by QA), which an autograder would take for a clean session.
    @Test("--batch naming a directory is an error (66), not an empty script that exits 0")
    func batchDirectoryRefused() throws {
        let program = try Batch.source("counter-batchdir.s", counterSource)
        let dir = FileManager.default.temporaryDirectory.path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Batch.vsimPath)
        p.arguments = ["repl", program, "--batch", dir]
        let output = Pipe(), errors = Pipe()
        p.standardOutput = output
        p.standardError = errors
        try p.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 66)
        #expect(String(decoding: err, as: UTF8.self) == "vsim repl: cannot read --batch \(dir): \(String(cString: strerror(EISDIR))) (EISDIR)\n")
        #expect(out.isEmpty, "no session was started")
    }

    /// gdb prints a command's error on stderr ("Undefined command: \"bogus\".  Try \"help\".");
    /// so does vsim's REPL, so that a lab's regular expression over the transcript (stdout)
    /// cannot be satisfied by a bad command that echoes the text it looks for. A batch with a
    /// failed command exits 1 (docs/repl.md).
    @Test("an unknown command, help of an unknown topic and a bad argument: on stderr, not in the transcript")
    func errorsOnStderr() throws {
        let program = try Batch.source("counter-errors.s", counterSource)
        let fake = "Catchpoint 1 (trap #GP: sti)"
        let r = try Self.session(program, ["bogus", "help \(fake)", "break \(fake)", "x/4xb nosuchsymbol", "stepi", "quit"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("Undefined command: \"bogus\".  Try \"help\".\n"), "\(r.stderr)")
        #expect(r.stderr.contains("Undefined command: \"\(fake)\".  Try \"help\".\n"), "\(r.stderr)")
        #expect(!r.stdout.contains(fake), "the transcript holds no echo of a failed command: \(r.stdout)")
        #expect(!r.stdout.contains("Undefined command"), "\(r.stdout)")
        #expect(!r.stdout.contains("nosuchsymbol"), "\(r.stdout)")
        // The good command still prints on stdout: stepi from _start reaches 0x08049005 (5 bytes).
        #expect(r.stdout.contains("0x08049005"), "\(r.stdout)")
        #expect(r.stderr.split(separator: "\n").count == 4, "one line per failed command: \(r.stderr)")
    }

    /// gdb's manual (Registers): "$sp is used for a register that contains the stack pointer";
    /// on i386 that is ESP (gdb 13's `p/x $sp` and `p/x $esp` print the same 0xffffd930 for
    /// a static program at its first instruction), not the 16-bit SP: gdb's word
    /// pseudo-registers are ax, cx, dx, bx, bp, si, di. So `x/4xb $sp` reads the stack.
    @Test("$sp is the stack pointer ($esp), as in gdb, not its low 16 bits")
    func stackPointerAlias() throws {
        let program = try Batch.source("counter-sp.s", counterSource)
        let r = try Self.session(program, ["print $sp", "print $esp", "x/4xb $sp", "quit"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        let values = r.stdout.split(separator: "\n").filter { $0.hasPrefix("$ = ") }
        #expect(values.count == 2 && values[0] == values[1], "\(r.stdout)")
        #expect(values.first.map { $0.hasPrefix("$ = 0x") && $0.count > "$ = 0xffff".count } == true, "a 32-bit address: \(r.stdout)")
    }

    /// gdb 13's `x` (printcmd.c, x_command), run on a static i386 program: after `x/4xb $sp` a
    /// plain `x` shows the next 4 bytes (the count repeats); a failed `x/3xw 0` does not change
    /// the remembered format, so `x $sp` then shows one byte (count 1: an address was given),
    /// and a plain `x` after it one byte more.
    @Test("x repeats its count and keeps the format of the last x that succeeded, as gdb's does")
    func examineRemembersAsGDB() throws {
        let program = try Batch.source("counter-x.s", counterSource)
        let r = try Self.session(program, ["x/4xb $sp", "x", "x/3xw 0", "x $sp", "x", "quit"])
        #expect(r.status == 1, "one command failed: \(r.stderr)")
        #expect(r.stderr == "Cannot access memory at address 0x0\n", "\(r.stderr)")
        let lines: [[Substring]] = r.stdout.split(separator: "\n")
            .filter { $0.hasPrefix("0x") && $0.contains(":\t0x") }
            .map { $0.split(separator: "\t") }
        let items = lines.map { $0.count - 1 }
        #expect(items == [4, 4, 1, 1], "items per line: \(items)\n\(r.stdout)")
        let sizes = lines.map { $0.dropFirst().map { $0.count - 2 } }
        #expect(sizes.allSatisfy { $0.allSatisfy { $0 == 2 } }, "bytes (two hex digits) throughout: \(r.stdout)")
    }

    /// gdb 13 on a static i386 program, `disassemble 0`: "Dump of assembler code from 0x0 to
    /// 0x30:" on stdout, then the error "Cannot access memory at address 0x0" on stderr, no
    /// "End of assembler dump.", and the command counts as failed (a batch exits 1).
    @Test("disassemble at an unmapped address fails as gdb's does: the error on stderr, no end line")
    func disassembleUnmapped() throws {
        let program = try Batch.source("counter-disas.s", counterSource)
        let r = try Self.session(program, ["disassemble 0", "quit"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr == "Cannot access memory at address 0x0\n", "\(r.stderr)")
        #expect(r.stdout.contains("Dump of assembler code from 0x00000000 to 0x00000030:\n"), "\(r.stdout)")
        #expect(!r.stdout.contains("Cannot access memory"), "\(r.stdout)")
        #expect(!r.stdout.contains("End of assembler dump."), "\(r.stdout)")
    }

    /// The same near the top of the address space, where vsim's user-mode guest maps nothing
    /// (its stack ends at 0xc0000000, docs/user-guide.md): 48 bytes from 0xfffffff0 reach
    /// 0x100000000, by hand, and the first of them cannot be read. Before, the end wrapped to
    /// 0x20, the dump was empty and the command succeeded.
    @Test("disassemble near 4 GiB does not wrap: the error for its first address, as at 0")
    func disassembleAtTheTop() throws {
        let program = try Batch.source("counter-disas-top.s", counterSource)
        let r = try Self.session(program, ["disassemble 0xfffffff0", "quit"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr == "Cannot access memory at address 0xfffffff0\n", "\(r.stderr)")
        #expect(r.stdout.contains("Dump of assembler code from 0xfffffff0 to 0x100000000:\n"), "\(r.stdout)")
        #expect(!r.stdout.contains("End of assembler dump."), "\(r.stdout)")
    }
}
