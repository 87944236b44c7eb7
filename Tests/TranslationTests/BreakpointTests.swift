import Guest
import Machine
import Testing
import Translation
import VSim

/// A debugger's breakpoints in the translator (QEMU's way: a block ends before a breakpoint and
/// the main loop stops there), counted by hand.
@Suite(.serialized) struct TranslatorBreakpointTests {
    /// ```
    /// _start: movl $4,%ecx       A = {movl, decl, jnz} without breakpoints; with one at `mid`:
    /// loop:   decl %ecx          A = {movl, decl} ends with goto_tb to mid (not chained)
    /// mid:    jnz loop           M = {jnz}; L = {decl} (ends before mid)
    ///         movl $1,%eax
    ///         xorl %ebx,%ebx
    ///         int $0x80
    /// ```
    /// Each stop at `mid` is the #DB before the JNZ, after 2 + 2k instructions (MOV DEC, then
    /// JNZ DEC per pass): 2, 4, 6, 8; ECX is 3, 2, 1, 0 there. Stepping off a stop is one
    /// instruction with the set empty, as the REPL does.
    @Test func stopsBeforeEveryPassAtTheBreakpoint() throws {
        let path = try Support.build("""
                .globl _start
            _start:
                movl $4, %ecx
            loop:
                decl %ecx
            mid:
                jnz loop
                movl $1, %eax
                xorl %ebx, %ebx
                int $0x80
            """, name: "bp.s")
        let p = try Support.process(path)
        let engine = try TranslationEngine(cpu: p.cpu, memory: p.memory, interpreter: p.interpreter)
        var ending: GuestTermination?
        engine.stepHook = {
            if let t = p.step() { ending = t; return true }
            return false
        }
        let mid = p.cpu.eip + 5 + 1          // movl $4,%ecx is 5 bytes, decl %ecx 1
        var stops: [(UInt64, UInt32)] = []
        for _ in 0..<4 {
            engine.breakpoints = [mid]
            let stop = engine.run(maxInstructions: 1000, deadline: nil)
            guard case .exception(let e) = stop, e.isDebuggerBreakpoint else {
                Issue.record("expected the debugger's #DB, got \(stop)")
                return
            }
            #expect(e.eip == mid && p.cpu.eip == mid)
            stops.append((engine.instructionsExecuted, p.cpu[reg32: 1]))
            // Step off: one instruction with no breakpoint set.
            engine.breakpoints = []
            p.interpreter.setInstructionsExecuted(engine.instructionsExecuted)
            _ = p.step()
            engine.setInstructionsExecuted(p.interpreter.instructionsExecuted)
        }
        #expect(stops.map(\.0) == [2, 4, 6, 8])
        #expect(stops.map(\.1) == [3, 2, 1, 0])
        let last = engine.run(maxInstructions: 1000, deadline: nil)
        #expect(last == .stopped)
        if case .exited(let status)? = ending { #expect(status == 0) } else { Issue.record("\(String(describing: ending))") }
        // 2 + 2*4 = 10 (the last JNZ, not taken, stepped off the last stop), then MOV XOR INT.
        #expect(engine.instructionsExecuted == 12)
        // No block translated with the breakpoint set holds `mid` but as its first instruction.
        for b in engine.translatedBlocks where b.valid {
            #expect(!b.instructions.dropFirst().contains { $0.address == mid }, "block at \(b.pc)")
        }
        // Breakpoint changes are not self-modifying code.
        #expect(engine.statistics.invalidations == 0)
    }
}
