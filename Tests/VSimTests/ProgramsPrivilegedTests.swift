import Foundation
import XCTest
import VSim

/// Privileged and trapping instructions executed at CPL 3: Linux turns each exception into a
/// signal, and vsim's user-mode emulation must end the guest with the same status (128+signal).
/// Every case is a two-line program run natively and under the interpreter.
final class ProgramsPrivilegedTests: XCTestCase {
    /// (instruction, expected native status): #GP → SIGSEGV 139, #UD → SIGILL 132,
    /// #BP → SIGTRAP 133, #OF → SIGSEGV 139.
    static let cases: [(String, Int32)] = [
        ("cli", 139), ("sti", 139), ("hlt", 139),
        ("inb $0x60, %al", 139), ("outb %al, $0x80", 139), ("inl %dx, %eax", 139), ("outw %ax, %dx", 139),
        ("insb", 139), ("outsl", 139),
        ("lgdt gdtr", 139), ("lidt gdtr", 139), ("lldt %ax", 139), ("ltr %ax", 139), ("lmsw %ax", 139),
        ("clts", 139), ("movl %cr0, %eax", 139), ("movl %eax, %cr3", 139), ("movl %db7, %eax", 139),
        ("invlpg gdtr", 139), ("wbinvd", 139), ("invd", 139), ("rdmsr", 139), ("wrmsr", 139),
        ("int $0x81", 139), ("int $0x82", 139), ("int3", 133), ("ud2", 132),
        ("movl $0x7fffffff, %eax\n        incl %eax\n        into", 139),
        ("movl $0, %ecx\n        movl $1, %eax\n        cltd\n        idivl %ecx", 136),
        ("movl $0xffff, %eax\n        movl $0xffff, %edx\n        movl $1, %ebx\n        divw %bx", 136),  // worked case 6
        ("movl $0x80000000, %eax\n        cltd\n        movl $-1, %ecx\n        idivl %ecx", 136),
        ("movw $0x10, %ax\n        movw %ax, %ds", 139),   // a selector this process has no descriptor for
    ]

    func testPrivilegedInstructionsEndTheGuestLikeLinux() throws {
        guard ProgramsHarness.hostRunsI386() else { throw XCTSkip("the host cannot run i386 programs natively") }
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "privileged")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = RunOptions()
        options.io = .capture
        options.timeLimit = .seconds(30)
        for (i, (insn, expected)) in Self.cases.enumerated() {
            let source = """
                    .text
                    .globl _start
            _start:
                    \(insn)
                    movl $1, %eax           # not reached: exit(0)
                    xorl %ebx, %ebx
                    int $0x80
                    .data
            gdtr:   .long 0, 0
            """
            let path = dir + "/p\(i).s"
            try source.write(toFile: path, atomically: true, encoding: .utf8)
            let exe = try ProgramsHarness.build(sourcePath: path, into: dir)
            let native = try ProgramsHarness.run([exe], directExecutable: true)
            let name = insn.replacingOccurrences(of: "\n        ", with: "; ")
            XCTAssertEqual(native.status, expected, "\(name): natively")
            let r = try VSim.run(program: .path(exe), mode: .interpret, options: options)
            XCTAssertEqual(r.exitStatus, native.status, "\(name): vsim exit \(r.exitStatus) (\(r.diagnostic ?? "no diagnostic")), natively \(native.status)")
        }
    }
}
