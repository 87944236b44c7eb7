import Foundation
import XCTest
import Hypervisor
import Machine
@testable import VSim

/// The BT VMM's translation cache (`--mode bt`) and guest kernel code reached through several
/// linear pages: a store to the code through another alias of its frame, and a remap of the
/// linear page that holds it to another frame. The SDM (Vol. 3A, 11.6: a write to a code byte is
/// seen by the next fetch of it, whatever linear address either goes through; 4.10.4: after
/// INVLPG or a MOV to CR3 a fetch goes through the new mapping) says what a real CPU runs; the
/// compiled code fragment the VMM made from the old bytes must not run instead. Each kernel is
/// ``AliasedFrameKernel`` (frame 0x300000 at A = %ebp, B = %esi and C = %edi; the second page
/// table at 0x202000 maps B and C) with a body whose exit status is worked out by hand below;
/// each runs under bt on both engines (bt runs the kernel from its translation cache either way)
/// and, as a check of the arithmetic, on the bare machine on both engines (`--system`, the kernel
/// at ring 0 as on a CPU).
///
/// The code: `movl %cs, %eax; ret` is `8c c8 c3`, `movl %ss, %eax; ret` is `8c d0 c3` (SDM Vol. 2B,
/// MOV 8C /r: ModRM reg = 1 for CS, 2 for SS; a 32-bit destination gets the selector
/// zero-extended). The guest's CS is 0x08 and SS 0x10 (the kernel's GDT). Under bt a MOV from a
/// segment register is a sensitive instruction (Robin & Irvine's hole): the VMM rewrites it into
/// a callout that answers with the guest's selector, where run as it is at ring 1 it reads CS's
/// real RPL 1 (0x09).
final class BinaryTranslationCodeAliasesTests: XCTestCase {
    func check(_ name: String, _ body: String, exits expected: Int32, file: StaticString = #filePath, line: UInt = #line) throws {
        let image = try AliasedFrameKernel.image(body, name: name)
        for strategy in [VirtualizationStrategy.bt, nil] {
            for engine in [Engine.interpret, .translate] {
                let stop = try AliasedFrameKernel.run(image, engine: engine, strategy: strategy)
                XCTAssertEqual(stop, .exited(status: expected), "\(name): \(strategy.map { "\($0)" } ?? "bare machine") on \(engine)",
                               file: file, line: line)
            }
        }
    }

    /// Kernel code translated at B, then written through A (and C): the next run through B sees
    /// the new bytes. A rewritten instruction changed (CS to SS): 8 + 10 * 16 = 168 (the old
    /// fragment's callout would give 8 + 10 * 8 = 88); the same with A first touched after a TLB
    /// flush, the code already translated (the frame stays marked: A's new TLB entry has the
    /// code bit): 168; an IDENT instruction made sensitive (`movl $1, %eax` to `movl %cs, %eax`):
    /// 100 * 1 + 8 = 108 (the old fragment, two IDENT instructions, would run it as it is at
    /// ring 1: 100 + 9 = 109); and translated at A and at B, written through C (never run
    /// there), run through A and B again: 8 + 8 + 10 * 16 + 16 = 192 (old fragments at both:
    /// 8 + 8 + 80 + 8 = 104).
    func testStoreThroughAnotherAliasDropsTheFragment() throws {
        try check("a rewritten instruction changed through another alias", """
                movl $0x00c3c88c, (%ebp)        # r = movl %cs,%eax; ret (before it ever runs)
                call *%esi                      # through B: translated there; 0x08
                movl %eax, %ebx
                movb $0xd0, 1(%ebp)             # through A: movl %ss,%eax
                call *%esi                      # through B: 0x10
                imull $10, %eax, %eax
                addl %ebx, %eax                 # 8 + 160 = 168
            """, exits: 168)
        try check("the alias first touched after a TLB flush", """
                movl $0x00c3c88c, (%ebp)
                call *%esi                      # 0x08, translated at B
                movl %eax, %ebx
                movl %cr3, %eax                 # empty the TLB
                movl %eax, %cr3
                movb $0xd0, 1(%ebp)             # through A, first touched now
                call *%esi                      # 0x10
                imull $10, %eax, %eax
                addl %ebx, %eax                 # 8 + 160 = 168
            """, exits: 168)
        try check("an IDENT instruction made sensitive through another alias", """
                call *%esi                      # r = movl $1,%eax; ret through B: 1
                imull $100, %eax, %ebx          # 100
                movl $0x00c3c88c, (%ebp)        # through A: movl %cs,%eax; ret
                call *%esi                      # through B: 0x08
                addl %ebx, %eax                 # 100 + 8 = 108
            """, exits: 108)
        try check("run through A, written through C, run through A and B", """
                movl $0x00c3c88c, (%ebp)
                call *%ebp                      # through A: 0x08
                movl %eax, %ebx
                call *%esi                      # through B: 0x08 (a second fragment, at B)
                addl %eax, %ebx                 # 16
                movb $0xd0, 1(%edi)             # through C: movl %ss,%eax
                call *%ebp                      # 0x10
                imull $10, %eax, %eax
                addl %eax, %ebx                 # 16 + 160 = 176
                call *%esi                      # 0x10
                addl %ebx, %eax                 # 176 + 16 = 192 (stale: 8 + 8 + 80 + 8 = 104)
            """, exits: 192)
    }

    /// Kernel code translated at B, then B's page-table entry pointed at another frame, with a
    /// different routine, and INVLPG: the next call through B runs the new frame's code. With
    /// B's TLB entry there when the entry is written (the VMM's traced page-table write drops
    /// it): 8 + 10 * 16 = 168; with the TLB emptied first (a MOV to CR3), so that nothing holds B
    /// when the entry changes: 168 too (the old fragment would give 8 + 10 * 8 = 88). Then back:
    /// B to frame 0x300000 again, 168 + 100 * 8 = 968, whose low byte is 968 - 768 = 200.
    func testRemappedCodePageRunsTheNewFrame() throws {
        let setUp = """
                movl $0x00c3c88c, (%ebp)        # frame 0x300000: movl %cs,%eax; ret
                movl $0x00c3d08c, 0x301000      # frame 0x301000 (identity-mapped): movl %ss,%eax; ret
                call *%esi                      # B -> frame 0x300000: 0x08
                movl %eax, %ebx
            """
        try check("remapped while B is in the TLB", setUp + """

                movl $0x301003, 0x202000        # B -> frame 0x301000
                invlpg (%esi)
                call *%esi                      # 0x10
                imull $10, %eax, %eax
                addl %ebx, %eax                 # 8 + 160 = 168
            """, exits: 168)
        try check("remapped after the TLB was emptied", setUp + """

                movl %cr3, %eax                 # empty the TLB: nothing maps B now
                movl %eax, %cr3
                movl $0x301003, 0x202000        # B -> frame 0x301000
                invlpg (%esi)
                call *%esi                      # 0x10
                imull $10, %eax, %eax
                addl %ebx, %eax                 # 8 + 160 = 168
            """, exits: 168)
        try check("remapped and back", setUp + """

                movl %cr3, %eax
                movl %eax, %cr3
                movl $0x301003, 0x202000        # B -> frame 0x301000
                invlpg (%esi)
                call *%esi                      # 0x10
                imull $10, %eax, %eax
                addl %eax, %ebx                 # 168
                movl %cr3, %eax
                movl %eax, %cr3
                movl $0x300003, 0x202000        # B -> frame 0x300000 again
                invlpg (%esi)
                call *%esi                      # 0x08
                imull $100, %eax, %eax
                addl %ebx, %eax                 # 168 + 800 = 968: exit status 968 & 0xff = 200
            """, exits: 200)
    }

    /// A routine at B that remaps B itself, then runs on: the bytes after the remapping
    /// instruction differ between the two frames (`movl %cs, %eax` on 0x300000, `movl %ss, %eax`
    /// on 0x301000). INVLPG and MOV to CR3 are serializing (SDM Vol. 3A, "Serializing
    /// Instructions"): the next instruction is fetched through the new mapping, so the routine
    /// returns 0x10 = 16 (the fragment translated from frame 0x300000 would go on with its
    /// callout: 8). Remapped by a page-table store and INVLPG; and by a MOV to CR3 that loads a
    /// second directory (at 0x203000, built before: the first 4 MiB as in the first, B in a table
    /// at 0x204000 mapping frame 0x301000), the unit translated before the MOV runs.
    func testCodeThatRemapsItsOwnPageRunsOnFromTheNewFrame() throws {
        func routine(_ remap: String) -> String {
            """
                movl $0x201003, 0x203000        # the second directory: 0-4 MiB as in the first,
                movl $0x204003, 0x203004        # 4-8 MiB: the table at 0x204000,
                movl $0x301003, 0x204000        # which maps B to frame 0x301000
                pushl %esi
                pushl %edi
                movl $remap, %esi               # the routine to frame 0x300000 (through A)
                movl %ebp, %edi
                movl $remap_end - remap, %ecx
                rep movsb
                movl $remap, %esi               # and to frame 0x301000
                movl $0x301000, %edi
                movl $remap_end - remap, %ecx
                rep movsb
                movb $0xd0, 0x301000 + remap_cs + 1 - remap   # there: movl %ss,%eax
                popl %edi
                popl %esi
                call *%esi                      # 0x10
                jmp remap_end
            remap:
            \(remap)
            remap_cs:
                movl %cs, %eax
                ret
            remap_end:
            """
        }
        try check("a unit that remaps its own page with INVLPG", routine("""
                movl $0x301003, 0x202000        # B -> frame 0x301000
                invlpg (%esi)
            """), exits: 16)
        try check("a unit that remaps its own page with a MOV to CR3", routine("""
                movl $0x203000, %eax            # the second directory: B -> frame 0x301000
                movl %eax, %cr3
            """), exits: 16)
    }
}
