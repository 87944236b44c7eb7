import Testing
import Translation
import VSim

/// `vsim translate` text for a few blocks, written by hand from the lowering documented in
/// docs/risc-target.md and docs/translation-walkthrough.md (JCXZ and LOOP under both address sizes).
@Suite struct TranslateListingTests {
    static let source = """
            .globl _start
        _start:
            jecxz 1f
            jcxz 1f
            loop 1f
            addr16 loop 1f
        1:  movl $1, %eax
            int $0x80
        """

    func listing(_ address: UInt32, _ show: [TranslationView]) throws -> String {
        let path = try Support.build(TranslateListingTests.source, name: "jcxz.s")
        return try VSim.translationListing(program: .path(path), address: address, symbol: nil, count: 1, show: show)
    }

    /// JECXZ (E3, 32-bit addressing) tests ECX: one compare-and-branch, then the two goto_tb exits
    /// (slot 0 = fall through to 0x8049002, slot 1 = the target 0x804900a). Nothing to optimize.
    @Test func jecxz() throws {
        #expect(try listing(0x0804_9000, [.in_asm, .ir]) == """
            IN: 0x08049000 <_start>
            0x08049000:  jecxz  804900a <_start+0xa>

            OP: 7 ops for 1 instructions
             ---- 0x08049000  jecxz  804900a <_start+0xa>
               brcond ecx, $0, eq, L0
             L1:
               goto_tb 0
               mov eip, $0x8049002
               exit_tb 0
             L0:
               goto_tb 1
               mov eip, $0x804900a
               exit_tb 1

            """)
    }

    /// JCXZ (67 E3) tests CX only: the low 16 bits are extracted first.
    @Test func jcxz() throws {
        #expect(try listing(0x0804_9002, [.ir_opt]) == """
            OP after optimization: 8 ops (constant folding changed 0, dead-flag elimination removed 0, dead-code elimination removed 0, copies coalesced 0, flag sinking moved 0)
             ---- 0x08049002  jcxz   804900a <_start+0xa>
               ext16u t0, ecx
               brcond t0, $0, eq, L0
             L1:
               goto_tb 0
               mov eip, $0x8049005
               exit_tb 0
             L0:
               goto_tb 1
               mov eip, $0x804900a
               exit_tb 1

            """)
    }

    /// LOOP (E2) decrements ECX (no flags) and branches if the new value is not zero; the
    /// optimizer forwards the new value (t0) to the brcond instead of reading ECX back, then
    /// coalesces the copy: SUB writes ECX directly and the brcond reads ECX.
    @Test func loop32() throws {
        #expect(try listing(0x0804_9005, [.ir, .ir_opt]) == """
            OP: 9 ops for 1 instructions
             ---- 0x08049005  loop   804900a <_start+0xa>
               sub t0, ecx, $1
               mov ecx, t0
               brcond ecx, $0, ne, L0
             L1:
               goto_tb 0
               mov eip, $0x8049007
               exit_tb 0
             L0:
               goto_tb 1
               mov eip, $0x804900a
               exit_tb 1

            OP after optimization: 8 ops (constant folding changed 1, dead-flag elimination removed 0, dead-code elimination removed 0, copies coalesced 1, flag sinking moved 0)
             ---- 0x08049005  loop   804900a <_start+0xa>
               sub ecx, ecx, $1
               brcond ecx, $0, ne, L0
             L1:
               goto_tb 0
               mov eip, $0x8049007
               exit_tb 0
             L0:
               goto_tb 1
               mov eip, $0x804900a
               exit_tb 1

            """)
    }

    /// LOOP under 0x67 counts in CX: the upper half of ECX is kept (deposit of 16 bits) and the
    /// test is on the 16-bit result. Both exits lead to 0x804900a here (the target is the next
    /// instruction), but they stay two slots: chaining does not look at the addresses.
    @Test func loop16() throws {
        #expect(try listing(0x0804_9007, [.ir]) == """
            OP: 11 ops for 1 instructions
             ---- 0x08049007  loopw  804900a <_start+0xa>
               ext16u t0, ecx
               sub t1, t0, $1
               deposit ecx, ecx, t1, 0, 16
               ext16u t2, t1
               brcond t2, $0, ne, L0
             L1:
               goto_tb 0
               mov eip, $0x804900a
               exit_tb 0
             L0:
               goto_tb 1
               mov eip, $0x804900a
               exit_tb 1

            """)
    }

    /// The sumsq inner loop: what the optimizer does to six instructions (docs/risc-target.md).
    @Test func sumsqLoopOptimized() throws {
        let path = try Support.build("""
                .globl _start
            _start:
                xorl %ebx, %ebx
                xorl %ecx, %ecx
                movl $10, %edx
            2:  movl %ecx, %eax
                imull %eax, %eax
                addl %eax, %ebx
                incl %ecx
                cmpl %edx, %ecx
                jb 2b
                movl $1, %eax
                int $0x80
            """, name: "loop.s")
        let text = try VSim.translationListing(program: .path(path), address: 0x0804_9009, symbol: nil, count: 1, show: [.ir_opt])
        // MOV's copy feeds IMUL's operands; IMUL's and ADD's flags are overwritten by INC's and
        // INC's by CMP's before any exit or fault (dead-flag elimination), which also makes
        // IMUL's cc_compute_all call and INC's carry (setcond) dead code; MOV's write of EAX is
        // overwritten by IMUL's with no read between (dead code); JB compares CMP's operands
        // directly. IMUL, ADD and INC compute straight into their guest register (3 copies
        // coalesced: later reads of t3 and t12 read EAX and ECX). CMP's lazy flags are needed
        // only by the block's exits: flag sinking moves them and the SUB computing cc_res (5
        // ops) onto both exits, behind a `goto_tb n, cc_dead`:
        // 19 - 1 - 3 - 5 + 2 x (5 + 1) = 22 ops.
        #expect(text == """
            OP after optimization: 22 ops (constant folding changed 15, dead-flag elimination removed 14, dead-code elimination removed 14, copies coalesced 3, flag sinking moved 5)
             ---- 0x08049009  mov    %ecx,%eax
             ---- 0x0804900b  imul   %eax,%eax
               mul eax, ecx, ecx
             ---- 0x0804900e  add    %eax,%ebx
               add ebx, ebx, eax
             ---- 0x08049010  inc    %ecx
               add ecx, ecx, $1
             ---- 0x08049011  cmp    %edx,%ecx
             ---- 0x08049013  jb     8049009 <_start+0x9>
               brcond ecx, edx, ltu, L0
             L1:
               goto_tb 0, cc_dead
               sub t16, ecx, edx
               mov cc_op, $0xe
               mov cc_res, t16
               mov cc_src1, ecx
               mov cc_src2, edx
               goto_tb 0
               mov eip, $0x8049015
               exit_tb 0
             L0:
               goto_tb 1, cc_dead
               sub t16, ecx, edx
               mov cc_op, $0xe
               mov cc_res, t16
               mov cc_src1, ecx
               mov cc_src2, edx
               goto_tb 1
               mov eip, $0x8049009
               exit_tb 1

            """)
    }

    /// The sieve's inner loop (programs/sieve.s): MOVB's value is BL, which the lowering zero-
    /// extends (`ext8u t0, ebx`); a one-byte store of t0 stores BL itself, so the store takes EBX
    /// and the extension is dead code. Lowered: ext8u t0; add t1, edi, eax; st8 t0, [t1]; ADD:
    /// mov t2, eax; mov t3, ecx; add t4, t2, t3; mov eax, t4 and 4 flag writes; CMP: mov t5, eax;
    /// mov t6, ebp; sub t7, t5, t6 and 4 flag writes; JBE: brcond cc_src1, cc_src2, leu and the
    /// two exits. Folding changes the store's value, add t4's operands, ADD's cc_src2 (t3 = ecx;
    /// its cc_src1, t2, was forgotten when EAX was written), `mov t5, eax` (to t4), sub t7's
    /// operands, CMP's cc_src1 and cc_src2, and the brcond's operands: 8; dead flags:
    /// ADD's 4; dead code: the 4 copies t2 t3 t5 t6 and ext8u t0: 5; ADD writes EAX directly
    /// (coalesced 1: t4 reads become EAX); CMP's SUB and flags go onto both exits (5).
    @Test func sieveInnerLoopStoresTheByteRegister() throws {
        let path = try Support.build("""
                .globl _start
            _start:
                movl $2, %ecx
            2:  movb %bl, (%edi,%eax,1)
                addl %ecx, %eax
                cmpl %ebp, %eax
                jbe 2b
                movl $1, %eax
                int $0x80
            """, name: "sieveloop.s")
        let text = try VSim.translationListing(program: .path(path), address: 0x0804_9005, symbol: nil, count: 1, show: [.ir_opt])
        #expect(text == """
            OP after optimization: 22 ops (constant folding changed 8, dead-flag elimination removed 4, dead-code elimination removed 5, copies coalesced 1, flag sinking moved 5)
             ---- 0x08049005  mov    %bl,(%edi,%eax,1)
               add t1, edi, eax
               st8 ebx, [t1]
             ---- 0x08049008  add    %ecx,%eax
               add eax, eax, ecx
             ---- 0x0804900a  cmp    %ebp,%eax
             ---- 0x0804900c  jbe    8049005 <_start+0x5>
               brcond eax, ebp, leu, L0
             L1:
               goto_tb 0, cc_dead
               sub t7, eax, ebp
               mov cc_op, $0xe
               mov cc_res, t7
               mov cc_src1, eax
               mov cc_src2, ebp
               goto_tb 0
               mov eip, $0x804900e
               exit_tb 0
             L0:
               goto_tb 1, cc_dead
               sub t7, eax, ebp
               mov cc_op, $0xe
               mov cc_res, t7
               mov cc_src1, eax
               mov cc_src2, ebp
               goto_tb 1
               mov eip, $0x8049005
               exit_tb 1

            """)
    }
}
