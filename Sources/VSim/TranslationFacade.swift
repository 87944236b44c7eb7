import Guest
import Machine
import Translation
import X86
#if canImport(Glibc)
import Glibc
#endif

/// What `vsim translate --show` prints for each block (QEMU's `-d in_asm,op,op_opt`).
public enum TranslationView: String, CaseIterable, Sendable {
    /// The guest instructions of the block.
    case in_asm
    /// The RISC ops as lowered, grouped under the x86 instruction each came from.
    case ir
    /// The RISC ops after the optimizer, with what each pass removed.
    case ir_opt
}

extension VSim {
    /// `vsim translate`: translates the block at `address` (or at `symbol`, or the entry point) and
    /// the blocks its direct jumps lead to, breadth first, `count` blocks in all, without running
    /// anything, and prints the chosen views of each.
    /// - Throws: ``VSimError`` for a missing or malformed program, an unknown symbol, or an address
    ///   where nothing can be decoded.
    public static func translationListing(program: ProgramReference, address: UInt32?, symbol: String?,
                                          count: Int, show: [TranslationView]) throws(VSimError) -> String {
        let resolved = try resolve(program)
        let image: ELFImage
        do { image = try ELFImage(path: resolved.executablePath) } catch { throw .elf(error) }
        let process: LinuxProcess
        do { process = try LinuxProcess(image: image, argv: [resolved.executablePath], envp: [], stdio: .inherited) } catch { throw .process(error) }
        var start = address ?? image.entry
        if let symbol {
            guard let s = image.symbols.first(where: { $0.name == symbol }) else {
                throw .usage("no symbol '\(symbol)' in \(resolved.displayName); `vsim disasm` lists the code and its labels")
            }
            start = s.value
        }
        let symbols = ELFSymbolizer(image)
        let mode = TranslationEngine.mode(of: process.cpu)
        var queue = [start]
        var seen: Set<UInt32> = []
        var out = ""
        while !queue.isEmpty && seen.count < max(count, 1) {
            let pc = queue.removeFirst()
            if seen.contains(pc) { continue }
            seen.insert(pc)
            guard let b = Translator.translate(process.memory, pc: pc, mode: mode) else {
                if seen.count == 1 {
                    throw .usage("nothing can be translated at \(GuestDiagnostics.hex8x(pc)): the bytes there do not decode (or are not mapped)")
                }
                continue
            }
            if !out.isEmpty { out += "\n" }
            out += TranslationPrinter.block(b, symbols: symbols, show: show)
            for op in b.ops where op.code == .mov && op.d == .eip {
                if let t = op.a.imm, !seen.contains(t) { queue.append(t) }
            }
        }
        return out
    }
}

/// The text of `vsim translate` (docs/translation-walkthrough.md shows examples).
public enum TranslationPrinter {
    public static func block(_ b: TranslationBlock, symbols: Symbolizer?, show: [TranslationView]) -> String {
        var out = ""
        var where_ = GuestDiagnostics.hex8x(b.pc)
        if let s = symbols?.symbol(for: b.pc) { where_ += s.offset == 0 ? " <\(s.name)>" : " <\(s.name)+0x\(String(s.offset, radix: 16))>" }
        let texts = Dictionary(b.instructions.map { ($0.address, ATTPrinter.format($0, symbols: symbols)) }, uniquingKeysWith: { a, _ in a })
        if show.contains(.in_asm) {
            out += "IN: \(where_)\n"
            for i in b.instructions { out += "\(GuestDiagnostics.hex8x(i.address)):  \(texts[i.address]!)\n" }
        }
        if show.contains(.ir) {
            if !out.isEmpty { out += "\n" }
            out += "OP: \(b.ops.realOpCount) ops for \(b.instructions.count) instructions\n"
            out += ops(b.ops, texts)
        }
        if show.contains(.ir_opt) {
            if !out.isEmpty { out += "\n" }
            out += "OP after optimization: \(b.optimizedOps.realOpCount) ops (constant folding changed \(b.report.folded), "
                + "dead-flag elimination removed \(b.report.deadFlags), dead-code elimination removed \(b.report.deadCode))\n"
            out += ops(b.optimizedOps, texts)
        }
        return out
    }

    static func ops(_ ops: [ROp], _ texts: [UInt32: String]) -> String {
        var out = ""
        for op in ops {
            if op.code == .insnStart {
                out += " ---- \(GuestDiagnostics.hex8x(op.c))  \(texts[op.c] ?? "")\n"
            } else if op.code == .label {
                out += " \(op.text)\n"
            } else {
                out += "   \(op.text)\n"
            }
        }
        return out
    }
}

/// `vsim run --mode translate --check`: the translated run and an interpreted run in lockstep,
/// compared at every block boundary (like CS:APP's `ssim -t` against `yis`).
public enum LockstepCheck {
    /// The architectural state compared: EIP, the eight GPRs, EFLAGS (status flags and DF).
    public struct State: Equatable, CustomStringConvertible {
        public var eip: UInt32
        public var gprs: [UInt32]
        public var eflags: UInt32
        public init(_ cpu: CPUState) {
            eip = cpu.eip
            gprs = (0..<8).map { cpu[reg32: $0] }
            eflags = cpu.eflags & (EFLAGS.arithmetic | EFLAGS.df)
        }
        public var description: String {
            let names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
            var s = "eip=\(GuestDiagnostics.hex8x(eip))"
            for (n, v) in zip(names, gprs) { s += " \(n)=\(GuestDiagnostics.hex8(v))" }
            let flags = [("CF", EFLAGS.cf), ("PF", EFLAGS.pf), ("AF", EFLAGS.af), ("ZF", EFLAGS.zf), ("SF", EFLAGS.sf), ("DF", EFLAGS.df), ("OF", EFLAGS.of)]
            s += " flags=" + flags.map { eflags & $0.1 != 0 ? $0.0 : "--" }.joined(separator: ",")
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
        let image: ELFImage
        do { image = try ELFImage(path: resolved.executablePath) } catch { throw .elf(error) }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let quiet = try GuestDescriptors(.discard)
        defer { quiet.close() }
        let argv = [resolved.executablePath] + arguments
        let envp = options.environment ?? HostCommand.currentEnvironment()
        let start = ContinuousClock.now
        let t: LinuxProcess, r: LinuxProcess
        do {
            t = try LinuxProcess(image: image, argv: argv, envp: envp,
                                 stdio: GuestStdio(input: io.stdio.input, output: io.stdio.output, error: io.stdio.error),
                                 executablePath: resolved.executablePath, randomSeed: options.seed)
            r = try LinuxProcess(image: image, argv: argv, envp: envp,
                                 stdio: GuestStdio(input: quiet.stdio.input, output: quiet.stdio.output, error: quiet.stdio.error),
                                 executablePath: resolved.executablePath, randomSeed: options.seed)
        } catch { throw .process(error) }
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
        let engine: TranslationEngine
        do { engine = try TranslationEngine(cpu: t.cpu, memory: t.memory, interpreter: t.interpreter) } catch { throw .host("\(error)") }
        let ending = TranslatorBackend.Ending()
        engine.stepHook = {
            if let x = t.step() { ending.termination = x; return true }
            return false
        }
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
                mismatch = "translate and interpret differ after the block at \(GuestDiagnostics.hex8x(pc)) (block \(blocks), \(engine.instructionsExecuted) instructions):\n"
                    + "  translate: \(a)\n  interpret: \(b)"
                termination = .instructionLimit
                break
            }
            if let stop {
                switch stop {
                case .stopped: termination = ending.termination ?? .exited(status: 0)
                case .exception(let e): termination = .fault(e)
                case .instructionLimit: termination = .instructionLimit
                case .timeLimit: termination = .timeLimit
                }
                let same: Bool
                switch (termination, reference) {
                case (.exited(let x), .exited(let y)): same = x == y
                case (.fault(let x), .fault(let y)): same = x.vector == y.vector && x.eip == y.eip
                default: same = false
                }
                if !same {
                    mismatch = "translate and interpret end differently after the block at \(GuestDiagnostics.hex8x(pc)): "
                        + "translate \(termination), interpret \(reference)\n  translate: \(a)\n  interpret: \(b)"
                }
                break
            }
            if ContinuousClock.now >= deadline { termination = .timeLimit; break }
        }
        var result = RunResult(mode: .translate, exitStatus: 0, instructions: engine.instructionsExecuted,
                               wallTimeNanoseconds: nanoseconds(ContinuousClock.now - start),
                               output: options.io == .capture ? TempFile.readAll(io.capture!) : nil)
        GuestDiagnostics.record(termination, into: &result, process: t, options: options)
        return Result(blocksCompared: blocks, instructions: engine.instructionsExecuted, mismatch: mismatch, run: result)
    }
}

extension CommandLineFacade {
    /// `vsim run --mode translate [--stats] [--check]`.
    public static func runTranslated(program: String, options: RunOptions, stats: Bool,
                                     check: Bool, arguments: [String]) throws(ExitStatus) {
        if check {
            let r: LockstepCheck.Result
            do { r = try LockstepCheck.run(program: .path(program), arguments: arguments, options: options) } catch { throw fail(error) }
            if let m = r.mismatch {
                writeStandardError("vsim: check failed: \(m)\n")
                throw ExitStatus(1)
            }
            writeStandardError("vsim: check passed: translate and interpret agree at all \(r.blocksCompared) block boundaries (\(r.instructions) instructions)\n")
            if let d = r.run.diagnostic, r.run.signal != nil { writeStandardError(d + "\n") }
            if r.run.exitStatus != 0 { throw ExitStatus(r.run.exitStatus) }
            return
        }
        let box = StatsBox()
        var backend = TranslatorBackend()
        if stats { backend.statistics = { @Sendable s in box.set(s) } }
        let result: RunResult
        do {
            let resolved = try VSim.resolve(.path(program))
            result = try backend.run(resolved, arguments: arguments, options: options)
        } catch { throw fail(error) }
        if let d = result.diagnostic, result.signal != nil { writeStandardError(d + "\n") }
        if stats, let s = box.get() { writeStandardError(s.text) }
        if result.exitStatus != 0 { throw ExitStatus(result.exitStatus) }
    }

    /// `vsim translate`.
    public static func translate(program: String, address: String?, symbol: String?, count: Int, show: String) throws(ExitStatus) {
        var views: [TranslationView] = []
        for part in show.split(separator: ",") {
            guard let v = TranslationView(rawValue: String(part)) else {
                throw fail(.usage("unknown view '\(part)' in --show; known: \(TranslationView.allCases.map(\.rawValue).joined(separator: ","))"))
            }
            views.append(v)
        }
        var at: UInt32?
        if let address {
            let text = address.lowercased()
            let value = text.hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
            guard let value else { throw fail(.usage("--address wants a number such as 0x8049000 (got '\(address)')")) }
            at = value
        }
        if at != nil && symbol != nil { throw fail(.usage("give --address or --symbol, not both")) }
        do {
            writeStandardOutput(try VSim.translationListing(program: .path(program), address: at, symbol: symbol, count: count, show: views))
        } catch { throw fail(error) }
    }
}

/// Carries the statistics out of the backend's sendable callback.
final class StatsBox: @unchecked Sendable {
    private var value: TranslationStats?
    func set(_ s: TranslationStats) { value = s }
    func get() -> TranslationStats? { value }
}
