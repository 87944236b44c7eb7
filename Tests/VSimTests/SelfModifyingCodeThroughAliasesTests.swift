import Foundation
import XCTest
import Machine
@testable import VSim

/// Self-modifying code written through one linear alias of a frame and run through another, on
/// the bare machine (`--system`) with a hand-written kernel, on both engines. The SDM (Vol. 3A,
/// 11.6) says a write to a code byte is seen by the next fetch of it, whatever linear address
/// either goes through; the interpreter's decoded-instruction cache and blocks are tagged by
/// linear address, the translator's blocks by frame (Paging.swift: frames holding either are
/// marked, so a write through any alias takes the slow path and reaches both). Every kernel
/// exits with a number worked out by hand from the bytes it runs.
final class SelfModifyingCodeThroughAliasesTests: XCTestCase {
    /// The frame 0x300000 mapped at three linear pages: A = 0x300000 (the identity map of the
    /// first 4 MiB), B = 0x400000 and C = 0x401000 (the second page table). It holds `r`:
    /// `movl $1, %eax; ret` (b8 01 00 00 00 c3), whose immediate is byte 0x300001. `body` runs
    /// with paging on, %ebx = 0, %esi = B, %edi = C, %ebp = A; its %eax is the exit status.
    func kernel(_ body: String) -> String {
        """
            .text
            .globl _start
        _start:
            lgdt gdt_desc
            ljmp $0x08, $1f
        1:  movw $0x10, %ax
            movw %ax, %ds
            movw %ax, %es
            movw %ax, %ss
            movl $0x180000, %esp
            movl $0x000001b8, 0x300000      # movl $1, %eax
            movw $0xc300, 0x300004          # ret
            movl $0x201003, 0x200000        # 0-4 MiB: page table 0x201000, identity
            movl $0x202003, 0x200004        # 4-8 MiB: page table 0x202000
            xorl %ecx, %ecx
        2:  movl %ecx, %eax
            shll $12, %eax
            orl $3, %eax
            movl %eax, 0x201000(,%ecx,4)
            incl %ecx
            cmpl $1024, %ecx
            jb 2b
            movl $0x300003, 0x202000        # B = 0x400000 -> frame 0x300000
            movl $0x300003, 0x202004        # C = 0x401000 -> frame 0x300000
            movl $0x200000, %eax
            movl %eax, %cr3
            movl %cr0, %eax
            orl $0x80000000, %eax
            movl %eax, %cr0
            xorl %ebx, %ebx
            movl $0x400000, %esi
            movl $0x401000, %edi
            movl $0x300000, %ebp
        \(body)
            movw $0x501, %dx
            outb %al, %dx
        4:  jmp 4b
            .align 8
        gdt: .quad 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        gdt_desc: .word 3*8-1
            .long gdt
        """
    }

    /// Calls `r` through `reg` five times (a loop: the interpreter runs it from its block cache
    /// after the first call) and adds `scale` times the last result to %ebx.
    func callFive(_ reg: String, scale: Int) -> String {
        """
            movl $5, %ecx
        10: call *\(reg)
            decl %ecx
            jnz 10b
            imull $\(scale), %eax, %eax
            addl %eax, %ebx
        """
    }

    func run(_ name: String, _ body: String) throws -> [Engine: SystemStopReason] {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try kernel(body).write(toFile: dir + "/k.s", atomically: true, encoding: .utf8)
        for args in [["as", "--32", "-o", dir + "/k.o", dir + "/k.s"],
                     ["ld", "-m", "elf_i386", "-Ttext", "0x100000", "--oformat", "binary", "-o", dir + "/k.bin", dir + "/k.o"]] {
            let r = try CLI.run(args[0], Array(args.dropFirst()))
            guard r.status == 0 else { throw XCTSkip("\(args[0]) failed for \(name) (GNU binutils needed): \(r.stderr)") }
        }
        let image = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/k.bin")))
        var results: [Engine: SystemStopReason] = [:]
        for engine in [Engine.interpret, .translate] {
            let m = try SystemMachine(input: -1, output: -1)
            m.mmu.loadPhysical(image, at: 0x100000)
            m.resetForBoot(entry: 0x100000, bootInformation: 0)
            let e = try GuestKernelEngine(machine: m, engine: engine)
            results[engine] = e.run(maxInstructions: 100_000, deadline: nil)
        }
        return results
    }

    func check(_ name: String, _ body: String, exits expected: Int32) throws {
        let results = try run(name, body)
        for engine in [Engine.interpret, .translate] {
            XCTAssertEqual(results[engine], .exited(status: expected), "\(name) on \(engine)")
        }
    }

    /// Run through B (decoded and cached at B), store through A, run through B again, in two
    /// orders of events: A's TLB entry there before the code is decoded at B (a read of A first:
    /// the entry gets the code bit when the frame is first marked), 100 * 1 + 2 = 102; and A
    /// first touched by the store itself, after a MOV to CR3 emptied the TLB and the code was
    /// decoded at B again (the fill sets the bit), 100 * 1 + 10 * 1 + 3 = 113. Then the other
    /// way, run through A and store through B: 100 * 1 + 7 = 107.
    func testStoreThroughOneAliasIsSeenThroughAnother() throws {
        try check("A filled before the code is decoded at B", """
                movl (%ebp), %eax               # A in the TLB
            \(callFive("%esi", scale: 100))
                movb $2, 1(%ebp)                # through A
            \(callFive("%esi", scale: 1))
                movl %ebx, %eax
            """, exits: 102)
        try check("A filled after the code is decoded at B, after a TLB flush", """
            \(callFive("%esi", scale: 100))
                movl %cr3, %eax                 # empty the TLB
                movl %eax, %cr3
            \(callFive("%esi", scale: 10))
                movb $3, 1(%ebp)                # through A, first touched now
            \(callFive("%esi", scale: 1))
                movl %ebx, %eax
            """, exits: 113)
        try check("the other way: run through A, store through B", """
            \(callFive("%ebp", scale: 100))
                movb $7, 1(%esi)                # through B
            \(callFive("%ebp", scale: 1))
                movl %ebx, %eax
            """, exits: 107)
    }

    /// The code decoded at A and at B, then a store through C (a third alias, never used to
    /// run it) and a store through A: both A's and B's copies must see each. 100 * 1 (B) +
    /// 10 * 3 (B after the store through C) + 3 (A) = 133; then + 4 (B after the store of 4
    /// through A) = 137; then 9 stored through B and run through A and C: + 2 * 9 = 155.
    func testStoreThroughAnyOfSeveralAliases() throws {
        try check("decoded at A and B, stored through C, A, then B", """
                call *%ebp                      # decoded at A
            \(callFive("%esi", scale: 100))
                movb $3, 1(%edi)                # through C
            \(callFive("%esi", scale: 10))
            \(callFive("%ebp", scale: 1))
                movb $4, 1(%ebp)                # through A
            \(callFive("%esi", scale: 1))
                movb $9, 1(%esi)                # through B
            \(callFive("%ebp", scale: 1))
            \(callFive("%edi", scale: 1))
                movl %ebx, %eax
            """, exits: 155)
    }
}
