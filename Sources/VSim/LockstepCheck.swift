import Guest
import Machine
import Translation
import X86
import Descriptions

/// `vsim run --mode translate --check`: the translated run and an interpreted run in lockstep,
/// compared at every block boundary (like CS:APP's `ssim -t` against `yis`).
public enum LockstepCheck {
    /// The architectural state compared: EIP, the eight GPRs, EFLAGS (status flags and DF), and
    /// the x87 FPU (registers, tags, control and status words, last instruction and data pointers).
    public struct State: Equatable, CustomStringConvertible {
        public var eip: UInt32
        public var gprs: [UInt32]
        public var eflags: UInt32
        public var x87: X87State
        public init(_ cpu: CPUState) {
            eip = cpu.eip
            gprs = (0..<8).map { cpu[reg32: $0] }
            eflags = cpu.eflags & (EFLAGS.arithmetic | EFLAGS.df)
            x87 = cpu.x87
        }
        public var description: String {
            let names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
            var s = "eip=\(Hex.address(eip))"
            for (n, v) in zip(names, gprs) { s += " \(n)=\(Hex.word(v))" }
            let flags = [("CF", EFLAGS.cf), ("PF", EFLAGS.pf), ("AF", EFLAGS.af), ("ZF", EFLAGS.zf), ("SF", EFLAGS.sf), ("DF", EFLAGS.df), ("OF", EFLAGS.of)]
            s += " flags=" + flags.map { eflags & $0.1 != 0 ? $0.0 : "--" }.joined(separator: ",")
            s += " fpu cw=\(String(x87.controlWord, radix: 16)) sw=\(String(x87.statusWord, radix: 16))"
                + " tw=\(String(x87.fullTagWord, radix: 16))"
            for i in 0..<8 where !x87.isEmpty(i) {
                let r = x87.st(i)
                s += " st\(i)=\(String(r.signExponent, radix: 16)):\(String(r.significand, radix: 16))"
            }
            return s
        }
    }

    /// The outcome: nil when both runs agreed to the end, else a report of the first difference.
    public struct Result {
        public var blocksCompared: Int
        public var instructions: UInt64
        public var mismatch: String?
        public var run: RunResult
    }

    /// Runs `program` translated (guest output to `options.io`) and interpreted (output discarded).
    public static func run(program: ProgramReference, arguments: [String], options: RunOptions) throws(VSimError) -> Result {
        let resolved = try VSim.resolve(program)
        let platform = try LinuxUserPlatform(program: resolved, arguments: arguments, options: options)
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let quiet = try GuestDescriptors(.discard)
        defer { quiet.close() }
        let start = ContinuousClock.now
        let t = try platform.start(stdio: io.guestStdio), r = try platform.start(stdio: quiet.guestStdio)
        // The reference replays the host-dependent system calls of the translated run (its own
        // I/O is discarded, so a read or fstat would otherwise answer differently).
        final class Log { var records: [SyscallRecord] = []; var next = 0 }
        let log = Log()
        t.syscallRecorder = { log.records.append($0) }
        r.syscallReplay = {
            guard log.next < log.records.count else { return nil }
            defer { log.next += 1 }
            return log.records[log.next]
        }
        let engine = try UserModeEngine(process: t, engine: .translate)
        var blocks = 0
        var mismatch: String?
        var termination: GuestTermination = .instructionLimit
        let deadline = start + options.timeLimit
        while true {
            let before = engine.instructionsExecuted
            if before >= options.maxInstructions { termination = .instructionLimit; break }
            let pc = t.cpu.eip
            let stop = engine.runOneBlock()
            let n = engine.instructionsExecuted - before
            let reference = n > 0 ? r.run(maxInstructions: n, deadline: nil) : .instructionLimit
            blocks += 1
            let a = State(t.cpu), b = State(r.cpu)
            if a != b {
                mismatch = "translate and interpret differ after the block at \(Hex.address(pc)) (block \(blocks), \(engine.instructionsExecuted) instructions):\n"
                    + "  translate: \(a)\n  interpret: \(b)"
                termination = .instructionLimit
                break
            }
            if let stop {
                termination = stop
                let same: Bool
                switch (termination, reference) {
                case (.exited(let x), .exited(let y)): same = x == y
                case (.fault(let x), .fault(let y)): same = x.vector == y.vector && x.eip == y.eip
                case (.killed(let x, _), .killed(let y, _)): same = x == y
                default: same = false
                }
                if !same {
                    mismatch = "translate and interpret end differently after the block at \(Hex.address(pc)): "
                        + "translate \(termination), interpret \(reference)\n  translate: \(a)\n  interpret: \(b)"
                }
                break
            }
            if ContinuousClock.now >= deadline { termination = .timeLimit; break }
        }
        var result = RunResult(mode: .translate, exitStatus: 0, instructions: engine.instructionsExecuted,
                               wallTimeNanoseconds: DurationText.nanoseconds(ContinuousClock.now - start),
                               output: options.io == .capture ? TempFile.readAll(io.capture!) : nil)
        GuestDiagnostics.record(termination, into: &result, process: t, options: options)
        return Result(blocksCompared: blocks, instructions: engine.instructionsExecuted, mismatch: mismatch, run: result)
    }
}
