import Foundation
import Testing
import Translation
import VSim

/// The translator's string instructions (docs/risc-target.md, "Helpers": `rep_movs`, `rep_stos`;
/// MOVS, STOS and LODS without REP inline): the registers, flags and memory after each case, and
/// ECX, ESI, EDI, EIP and CR2 where a REP faults in the middle, as the host CPU leaves them
/// (the programs in Programs/ run natively too) and as the interpreter does.
@Suite(.serialized) struct StringInstructionTests {
    static func program(_ name: String) throws -> String {
        try VSim.resolve(.path(Support.packageRoot + "/Tests/TranslationTests/Programs/\(name).s")).executablePath
    }

    /// REP MOVSB/W/L and STOSB/W/L with ECX = 0, 1 and more, overlapping ranges (destination 1
    /// byte, less than an element and 2 elements above the source; below it; the same with
    /// DF = 1, where the pattern repeats with the destination below), F2 as REP,
    /// single MOVS/STOS/LODS both ways, 12 KiB across pages, and REP MOVSB/STOSB storing into the
    /// running block's own code: the same bytes out (registers, flags, buffers) as on the host CPU.
    @Test func repCasesMatchHostAndInterpreter() throws {
        let path = try Self.program("repcases")
        let (t, stats) = try Support.runWithStats(path)
        let i = try Support.run(path, .interpret)
        #expect(t.exitStatus == 0, "\(t.diagnostic ?? "")")
        #expect(t.output == i.output, "output differs from interpret")
        #expect(t.instructions == i.instructions, "instruction counts differ")
        if Support.hostRunsI386() {
            let n = try Support.run(path, .native)
            #expect(n.exitStatus == 0)
            #expect(t.output == n.output, "output differs from the host CPU")
        }
        // The fast case ran (the data lie on pages without code), and the stores into the code
        // page went to the interpreter, which invalidated the blocks there.
        #expect(stats.stringHelperInstructions > 0)
        #expect(stats.invalidations >= 1)
    }

    /// The same with every access checked inline (as under a guest kernel: no host protections),
    /// and without chaining.
    @Test func repCasesWithInlineChecksAndNoChaining() throws {
        let path = try Self.program("repcases")
        let i = try Support.run(path, .interpret)
        let (t, _) = try Support.runWithStats(path, chaining: false)
        #expect(t.output == i.output)
        let (f, _) = try Support.translateDirectEngine(path, hostChecks: false)
        let g = try Support.interpretDirect(path)
        #expect(f == g, "translate \(f) interpret \(g)")
    }

    /// `--check`: the interpreter in lockstep agrees at every block boundary.
    @Test(arguments: ["repcases", "repfault"]) func lockstepCheckPasses(name: String) throws {
        let path = try Self.program(name)
        var options = RunOptions()
        options.io = .capture
        options.environment = []
        let r = try LockstepCheck.run(program: .path(path), arguments: [], options: options)
        #expect(r.mismatch == nil)
        #expect(r.run.exitStatus == 0)
    }

    /// REP MOVSL reading into a PROT_NONE page after 10 dwords, REP STOSB writing into a
    /// read-only page after 7 bytes, REP STOSL with DF = 1 writing down into a read-only page
    /// after 3 dwords: the SIGSEGV handler's ECX (90, 43, 27), ESI, EDI, EIP (the string
    /// instruction), trap number 14, error code (4, 7, 7) and CR2 as on the host CPU.
    @Test(arguments: [[], ["x"], ["x", "y"]]) func faultInTheMiddleMatchesHost(arguments: [String]) throws {
        let path = try Self.program("repfault")
        let t = try Support.run(path, .translate, arguments: arguments)
        let i = try Support.run(path, .interpret, arguments: arguments)
        #expect(t.exitStatus == 0, "\(t.diagnostic ?? "")")
        #expect(t.output == i.output)
        #expect(t.instructions == i.instructions)
        let ecx = t.output.map { $0.prefix(4).enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) } }
        #expect(ecx == [90, 43, 27][arguments.count], "ECX where the REP stopped")
        if Support.hostRunsI386() {
            let n = try Support.run(path, .native, arguments: arguments)
            #expect(t.output == n.output, "output differs from the host CPU")
        }
    }

    /// Under the guest kernel (trap and hvm: the MMU's TLB is the page table the fast case
    /// reads): the same output as natively, and every count equal on both engines.
    @Test(arguments: [Mode.trap, .hvm]) func underTheGuestKernel(mode: Mode) throws {
        for (name, arguments) in [("repcases", [String]()), ("repfault", []), ("repfault", ["x"]), ("repfault", ["x", "y"])] {
            let path = try Self.program(name)
            var results: [RunResult] = []
            for engine in [Engine.interpret, .translate] {
                var options = RunOptions()
                options.io = .capture
                options.engine = engine
                options.timeLimit = .seconds(600)
                results.append(try VSim.run(program: .path(path), mode: mode, arguments: arguments, options: options))
            }
            let (i, t) = (results[0], results[1])
            #expect(t.exitStatus == 0, "\(name) \(arguments) under \(mode): \(t.diagnostic ?? "")")
            #expect(t.output == i.output, "\(name) \(arguments) under \(mode)")
            #expect(t.instructions == i.instructions && t.modeledCycles == i.modeledCycles && t.traps == i.traps && t.exits == i.exits,
                    "\(name) \(arguments) under \(mode): counts differ between engines")
            if Support.hostRunsI386() {
                #expect(t.output == (try Support.run(path, .native, arguments: arguments)).output, "\(name) \(arguments) under \(mode)")
            }
        }
    }
}
