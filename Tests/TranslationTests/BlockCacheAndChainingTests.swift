import Testing
import Translation
import VSim

/// Cache, chaining and invalidation counters of small programs whose blocks are worked out by hand.
@Suite(.serialized) struct BlockCacheAndChainingTests {
    /// ```
    /// _start: movl $4,%ecx     A = {movl, decl, jnz}          (ends at the JNZ)
    /// loop:   decl %ecx        B = {decl, jnz}                (the JNZ's target starts a new block)
    ///         jnz loop
    ///         movl $1,%eax     C = {movl, xorl, int $0x80}    (the INT needs the main loop)
    ///         xorl %ebx,%ebx
    ///         int $0x80
    /// ```
    /// Run: A (ECX 3, taken) leaves by its slot 1, not chained yet: the main loop's next lookup
    /// translates B and chains A.1 -> B (QEMU's last_tb: a target is chained when it is about to
    /// run). B from the main loop (ECX 2, taken) leaves by B.1; the next lookup finds B and
    /// chains B.1 -> B. B from the main loop (ECX 1, taken) jumps through the chained B.1
    /// straight into B (ECX 0, not taken), which leaves by B.0: the next lookup translates C
    /// and chains B.0 -> C. C from the main loop runs the INT through exec_insn and the guest exits.
    /// - translated: 3 blocks, 3 + 2 + 3 = 8 instructions; retired: 3 + 2*4 + 3 = 14 - 2 = 12
    ///   (MOV, then DEC JNZ four times, then MOV XOR INT).
    /// - main-loop lookups: A, B, B, C = 4; block entries: those 4 + 1 chained = 5.
    /// - unchained goto_tb exits: A.1, B.1, B.0 = 3, each chained at the next lookup (3 chains).
    /// - jump cache: main loop A (miss, then hash-table miss: translate), main loop B (miss,
    ///   miss: translate), main loop B (hit), main loop C (miss, miss: translate): 4 lookups,
    ///   1 hit; 3 hash-table lookups, 0 hits.
    @Test func loopBlocksChainAsWorkedOut() throws {
        let path = try Support.build("""
                .globl _start
            _start:
                movl $4, %ecx
            loop:
                decl %ecx
                jnz loop
                movl $1, %eax
                xorl %ebx, %ebx
                int $0x80
            """, name: "loop.s")
        let (r, s) = try Support.runWithStats(path)
        #expect(r.exitStatus == 0)
        #expect(s.blocksTranslated == 3)
        #expect(s.instructionsTranslated == 8)
        #expect(s.instructionsExecuted == 12)
        #expect(s.mainLoopLookups == 4)
        #expect(s.blockEntries == 5)
        #expect(s.enteredFromMainLoop == 4)
        #expect(s.chainedExits == 1)
        #expect(s.unchainedExits == 3)
        #expect(s.chainsMade == 3)
        #expect(s.helperExits == 1)
        #expect(s.jumpCacheLookups == 4)
        #expect(s.jumpCacheHits == 1)
        #expect(s.hashTableLookups == 3)
        #expect(s.hashTableHits == 0)
        #expect(s.lookupHitsInline == 0)
        #expect(s.invalidations == 0)
        #expect(s.helperInstructions == 1)
        #expect(s.instructionsStepped == 0)
    }

    /// Calls and returns:
    /// ```
    /// _start: call f       A = {call}                  goto_tb 0 -> F
    ///         call f       B = {call}                  goto_tb 0 -> F  (return address of the 1st call)
    ///         movl $1,%eax C = {movl, movl, int $0x80} (return address of the 2nd call)
    ///         movl $3,%ebx
    ///         int $0x80
    /// f:      ret          F = {ret}                   lookup_and_goto
    /// ```
    /// Main loop: A (translated) leaves by its unchained slot 0: F is translated, A.0 -> F
    /// chained. Main loop: F returns to B through lookup_and_goto: B is not in the jump cache
    /// (miss: back to the main loop). Main loop: B (translated) leaves by its unchained slot 0:
    /// B.0 -> F chained. Main loop: F returns to C: miss again. Main loop: C (translated) runs
    /// the INT through exec_insn and the guest exits with 3.
    /// - 4 blocks, 1 + 1 + 1 + 3 = 6 instructions translated, 7 retired (CALL RET CALL RET MOV MOV INT).
    /// - main-loop lookups and entries: A, F, B, F, C = 5; nothing entered by a chained jump (each
    ///   slot is chained after its only use) or by lookup_and_goto.
    /// - exits: 2 unchained goto_tb, 2 lookup_and_goto misses, 1 helper; 2 chains made.
    @Test func callsAndReturnsUseLookupAndGoto() throws {
        let path = try Support.build("""
                .globl _start
            _start:
                call f
                call f
                movl $1, %eax
                movl $3, %ebx
                int $0x80
            f:  ret
            """, name: "call.s")
        let (r, s) = try Support.runWithStats(path)
        #expect(r.exitStatus == 3)
        #expect(s.blocksTranslated == 4)
        #expect(s.instructionsTranslated == 6)
        #expect(s.instructionsExecuted == 7)
        #expect(s.mainLoopLookups == 5)
        #expect(s.blockEntries == 5)
        #expect(s.enteredFromMainLoop == 5)
        #expect(s.chainedExits == 0)
        #expect(s.unchainedExits == 2)
        #expect(s.mainLoopExits == 2)
        #expect(s.helperExits == 1)
        #expect(s.chainsMade == 2)
        #expect(s.lookupHitsInline == 0)
    }
}
