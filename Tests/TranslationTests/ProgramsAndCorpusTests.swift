import Foundation
import Testing
import Translation
import VSim

/// Every program of programs/ and the instruction corpus: the same stdout and exit status under
/// translate as under interpret and on the host CPU (the corpus log holds the registers and flags
/// after every case).
@Suite(.serialized) struct ProgramsAndCorpusTests {
    static let programs = ["bits", "echo", "faults", "fib", "hello", "jcxz", "muldiv", "sieve", "strings", "sumsq", "cat"]

    @Test(arguments: programs) func programMatchesInterpreterAndHost(name: String) throws {
        let path = try VSim.resolve(.path(Support.packageRoot + "/programs/\(name).s")).executablePath
        let args = name == "echo" ? ["one", "two"] : name == "sumsq" ? ["1000"] : name == "sieve" ? ["5000"] : []
        let t = try Support.run(path, .translate, arguments: args)
        let i = try Support.run(path, .interpret, arguments: args)
        #expect(t.output == i.output, "\(name): output differs from interpret")
        #expect(t.exitStatus == i.exitStatus, "\(name): exit \(t.exitStatus) vs interpret \(i.exitStatus)")
        #expect(t.instructions == i.instructions, "\(name): instruction counts differ")
        if Support.hostRunsI386() {
            let n = try Support.run(path, .native, arguments: args)
            #expect(t.output == n.output, "\(name): output differs from the host CPU")
            #expect(t.exitStatus == n.exitStatus, "\(name): exit \(t.exitStatus) vs host \(n.exitStatus)")
        }
    }

    @Test func programsAgreeWithoutChaining() throws {
        for name in ["fib", "sieve", "strings"] {
            let path = try VSim.resolve(.path(Support.packageRoot + "/programs/\(name).s")).executablePath
            let (t, stats) = try Support.runWithStats(path, chaining: false)
            let i = try Support.run(path, .interpret)
            #expect(t.output == i.output && t.exitStatus == i.exitStatus, "\(name) without chaining")
            #expect(stats.chainsMade == 0 && stats.chainedExits == 0)
        }
    }

    @Test func corpusMatchesHostAndInterpreter() throws {
        let dir = try Support.temporaryDirectory()
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: Support.packageRoot + "/scripts/corpus/generate")
        gen.arguments = [dir]
        gen.standardOutput = FileHandle.nullDevice
        try gen.run()
        gen.waitUntilExit()
        try #require(gen.terminationStatus == 0, "scripts/corpus/generate failed")
        let t = try Support.run(dir + "/corpus", .translate)
        let i = try Support.run(dir + "/corpus", .interpret)
        #expect(t.exitStatus == 0, "\(t.diagnostic ?? "")")
        #expect(t.output == i.output, "corpus log differs between translate and interpret")
        if let native = FileManager.default.contents(atPath: dir + "/native.log"), !native.isEmpty {
            let log = t.output ?? []
            let same = log == [UInt8](native)
            var first = -1
            if !same { first = zip(log, [UInt8](native)).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(log.count, native.count) }
            #expect(same, "corpus log differs from the host CPU's at byte \(first)")
        }
    }

    /// `--check` runs the interpreter in lockstep and agrees at every block boundary.
    @Test func lockstepCheckPasses() throws {
        let path = try VSim.resolve(.path(Support.packageRoot + "/programs/strings.s")).executablePath
        var options = RunOptions()
        options.io = .capture
        options.environment = []
        let r = try LockstepCheck.run(program: .path(path), arguments: [], options: options)
        #expect(r.mismatch == nil)
        #expect(r.blocksCompared > 100)
        #expect(r.run.exitStatus == (try Support.run(path, .interpret)).exitStatus)
    }
}
