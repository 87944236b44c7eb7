import Foundation
import Testing
@testable import REPL
import VSim

/// `continue` and `stepi N` run the mode's engine through the same runtime as `vsim run`: the
/// same guest output, exit status and instruction count, whatever runs in between (no timing
/// here: the speed is measured and reported, not asserted).
@Suite("REPL at engine speed: the same run as vsim run")
struct EngineSpeedTests {
    /// (mode, --system, --engine).
    static let setups: [(Mode, Bool, Engine)] = [
        (.interpret, false, .interpret), (.translate, false, .translate), (.interpret, true, .interpret),
        (.translate, true, .translate), (.trap, false, .interpret), (.hvm, false, .interpret),
        (.pv, false, .interpret), (.hvm, false, .translate), (.bt, false, .interpret), (.bt, false, .translate),
        (.unikernel, false, .interpret),
    ]

    static func session(_ program: String, _ setup: (Mode, Bool, Engine), arguments: [String]) throws -> (DebugSession, () -> String) {
        var options = REPLOptions()
        options.mode = setup.0
        options.system = setup.1
        options.engine = setup.0 == .translate ? .interpret : setup.2
        options.arguments = arguments
        final class Box { var text = "" }
        let box = Box()
        let session = try DebugSession(program: program, options: options, write: { box.text += $0 })
        return (session, { box.text })
    }

    /// What `vsim run` does with the same program, argv[0], environment (none) and options.
    static func reference(_ program: String, _ setup: (Mode, Bool, Engine), arguments: [String]) throws -> RunResult {
        var options = RunOptions()
        options.io = .capture
        options.environment = []
        options.system = setup.1
        if setup.0 != .interpret && setup.0 != .translate { options.engine = setup.2 }
        return try VSim.run(program: .path(program), mode: setup.0, arguments: arguments, options: options)
    }

    @Test("continue: the guest's output, status and instruction count are vsim run's", arguments: EngineSpeedTests.setups.indices)
    func continueMatchesRun(_ i: Int) throws {
        let setup = Self.setups[i]
        let program = try VSim.resolve(.path(Batch.packageRoot + "/programs/sumsq.s")).executablePath
        let run = try Self.reference(program, setup, arguments: ["3000"])
        let (session, text) = try Self.session(program, setup, arguments: ["3000"])
        session.execute("continue")
        let out = text()
        let stdout = String(decoding: run.output ?? [], as: UTF8.self)
        #expect(stdout == "sumsq(3000) = 405565908\n")
        #expect(out.contains("[guest stdout] " + stdout.dropLast() + "\n"), "\(setup): \(out)")
        #expect(out.contains("[guest exited with status \(run.exitStatus) after \(run.instructions!) instructions]"), "\(setup): \(out)")
    }

    @Test("stepi N then continue, and a breakpoint on the way, end where continue alone ends", arguments: EngineSpeedTests.setups.indices)
    func stepsThenContinue(_ i: Int) throws {
        let setup = Self.setups[i]
        let program = try VSim.resolve(.path(Batch.packageRoot + "/programs/sumsq.s")).executablePath
        let run = try Self.reference(program, setup, arguments: ["3000"])
        let (session, text) = try Self.session(program, setup, arguments: ["3000"])
        session.execute("stepi 5000")
        session.execute("stepi 3")
        session.execute("break print_result")
        session.execute("continue")
        #expect(text().contains("\nBreakpoint 1, "), "\(setup): \(text())")
        session.execute("print $eax")
        // The sum is in EAX when print_result is called.
        #expect(text().contains(" = 405565908"), "\(setup): \(text())")
        session.execute("delete")
        session.execute("continue")
        #expect(text().contains("[guest exited with status \(run.exitStatus) after \(run.instructions!) instructions]"), "\(setup): \(text())")
    }

    @Test("stepi N at engine speed keeps the last 2000 steps to step back over")
    func longStepiKeepsHistory() throws {
        let program = Batch.packageRoot + "/programs/sumsq.s"
        let (session, text) = try Self.session(program, (.translate, false, .translate), arguments: ["3000"])
        session.execute("stepi 10000")
        session.execute("print $ecx")
        session.execute("reverse-stepi 2000")
        session.execute("print $ecx")
        session.execute("reverse-stepi")
        let out = text()
        #expect(out.contains("No more reverse-execution history"), "\(out)")
        let values = out.split(separator: "\n").filter { $0.hasPrefix("$ = ") }
        #expect(values.count == 2 && values[0] != values[1], "\(out)")
    }

    /// (mode, --system, --engine): every engine that stops at breakpoints itself.
    static let breakpointSetups: [(Mode, Bool, Engine)] = [
        (.interpret, false, .interpret), (.translate, false, .translate), (.translate, true, .translate),
        (.trap, false, .interpret), (.hvm, false, .translate), (.bt, false, .interpret),
    ]

    @Test("a breakpoint in a loop stops at every pass, on the engine's own stop before the instruction",
          arguments: EngineSpeedTests.breakpointSetups.indices)
    func breakpointInALoop(_ i: Int) throws {
        let setup = Self.breakpointSetups[i]
        let loop = try Batch.source("loop10.s", """
                .text
                .globl _start
        _start: movl $0, %ecx
        top:    incl %ecx
                cmpl $10, %ecx
                jb top
                movl $1, %eax
                movl %ecx, %ebx
                int $0x80
        """)
        let (session, text) = try Self.session(loop, setup, arguments: [])
        session.execute("break top")
        for _ in 0..<3 { session.execute("continue"); session.execute("print $ecx") }
        session.execute("stepi 2")
        session.execute("print $ecx")
        session.execute("delete")
        session.execute("continue")
        let out = text()
        let values = out.split(separator: "\n").filter { $0.hasPrefix("$ = ") }
        #expect(values == ["$ = 0x0 = 0", "$ = 0x1 = 1", "$ = 0x2 = 2", "$ = 0x3 = 3"], "\(setup): \(out)")
        #expect(out.components(separatedBy: "\nBreakpoint 1, ").count == 4, "\(out)")
        #expect(out.contains("[guest exited with status 10 after "), "\(out)")
    }
}
