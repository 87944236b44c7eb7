import Guest
import Hypervisor
import Machine
import VSim
import X86
import Descriptions

/// One debugging session: the guest, breakpoints, watchpoints and catchpoints, and the commands.
/// It prints through `write`, and a command's error through `writeError` (the console's stderr,
/// as gdb prints its errors, so that a check of the transcript on stdout cannot be fooled by a
/// bad command that echoes its text), so the console (Readline or a batch file) and the tests
/// drive the same code. Everything it prints is deterministic: no times, no host addresses.
public final class DebugSession {
    public let options: REPLOptions
    let program: ResolvedProgram
    let argv0: String
    let write: (String) -> Void
    /// Where a command's error goes (one line each).
    let writeError: (String) -> Void
    private(set) var target: Debuggee?
    /// Why the program is not running any more (nil while it runs).
    private var ended: StepOutcome?

    struct Stop {
        enum Kind { case breakpoint(UInt32), watchpoint(address: UInt32, size: Int, old: UInt64), catchpoint(kind: VMMEventKind?, reason: String?) }
        var number: Int
        var kind: Kind
        var hits = 0
    }
    private var stops: [Stop] = []
    private var nextNumber = 1
    private var breakAddresses: Set<UInt32> = []
    /// Registers when the last command that ran the guest started (for `*` marks).
    private var before: RegisterSnapshot?
    private var lastExamine = ExamineFormat()
    private var nextExamineAddress: UInt32?
    /// The count of the last `x` (gdb's `last_count`): a plain `x` repeats it.
    private var lastExamineCount = 1
    private var shown: [String: Int] = [:]
    private var pendingLine: [String: [UInt8]] = [:]
    /// Set from a SIGINT handler to stop `continue`.
    let interrupted: () -> Bool

    /// Resolves `program` (assembling a source), loads it and stops at its first instruction.
    /// - Parameters:
    ///   - write: receives the transcript (command output, stops, the guest's lines).
    ///   - writeError: receives each command error (an unknown command, bad arguments), one line
    ///     ending in a newline; nil sends them to `write`.
    public init(program: String, options: REPLOptions, write: @escaping (String) -> Void,
                writeError: ((String) -> Void)? = nil,
                interrupted: @escaping () -> Bool = { false }) throws(REPLError) {
        self.options = options
        self.write = write
        self.writeError = writeError ?? write
        self.interrupted = interrupted
        if options.system && options.mode != .interpret && options.mode != .translate {
            throw .usage("--system needs --mode interpret or translate (the \(options.mode) mode runs the guest kernel already)")
        }
        let reference: ProgramReference = program.contains("/") || program.hasSuffix(".s") || program.hasSuffix(".S")
            || EmbeddedProgram.named(program) == nil ? .path(program) : .embedded(program)
        do { self.program = try VSim.resolve(reference) } catch { throw .vsim(error) }
        // argv[0] is the program as the student named it: the cache path would differ per machine.
        argv0 = program
        target = try makeTarget()
    }

    /// The target, built by the runtime's platform for the mode (as `vsim run` builds it) with
    /// the mode's engine: `interpret` and `translate` as a Linux process (``LinuxUserPlatform``),
    /// `--system` and the VMM modes as the guest kernel (``GuestKernelPlatform``).
    private func makeTarget() throws(REPLError) -> Debuggee {
        let run = options.runOptions
        guard let kind = options.mode.platform(system: options.system), let engine = options.mode.engine(options.engine) else {
            throw .usage("--mode \(options.mode) runs the guest outside vsim, where it cannot be stepped; the REPL steps interpret, translate, interpret --system and the modeled VMM modes")
        }
        switch kind {
        case .linuxUser:
            let platform: LinuxUserPlatform
            do { platform = try LinuxUserPlatform(program: program, argv0: argv0, arguments: options.arguments, options: run) } catch { throw .vsim(error) }
            return try UserProcessTarget(platform: platform, engine: engine, input: options.input)
        case .guestKernel:
            let platform: GuestKernelPlatform
            do { platform = try GuestKernelPlatform(mode: options.mode, program: program, argv0: argv0, arguments: options.arguments, options: run) } catch { throw .vsim(error) }
            return try SystemTarget(platform: platform, engine: engine, input: options.input)
        }
    }

    var modeName: String { options.system ? "\(options.mode) --system" : options.mode.rawValue }

    /// `(vsim interpret cpl3 0x08049000) `.
    public var prompt: String {
        guard let t = target else { return "(vsim \(modeName) not running) " }
        if ended != nil, case .exited = ended! { return "(vsim \(modeName) exited) " }
        return "(vsim \(modeName) cpl\(t.cpu.cpl) \(Hex.word(t.cpu.eip))) "
    }

    /// The start-up lines.
    public func banner() {
        guard let t = target else { return }
        let kernel = t.isSystem ? " with the guest kernel" : ""
        write("vsim repl: \(program.displayName)\(kernel) under --mode \(modeName), stopped before its first instruction. Type help for the commands.\n")
        write(locationLine(t) + "\n")
    }

    /// Names for completion: commands, info topics, catch kinds, symbols and `$registers`.
    public func completions(for text: String, lineStart: String) -> [String] {
        let words = lineStart.split(separator: " ").map(String.init)
        var pool: [String]
        if words.isEmpty {
            pool = Commands.all.flatMap { [$0.name] + $0.aliases }
        } else if let c = Commands.lookup(words[0]), words.count == 1 || (words.count == 2 && !lineStart.hasSuffix(" ")) {
            switch c.name {
            case "info": pool = Commands.infoTopics
            case "catch": pool = Commands.catchKinds
            case "help": pool = Commands.all.map(\.name)
            default: pool = symbolPool
            }
        } else {
            pool = symbolPool
        }
        return pool.filter { $0.hasPrefix(text) }.sorted()
    }

    private var symbolPool: [String] {
        (target?.symbols.allNames ?? []) + ExpressionEvaluator.registerNames.map { "$" + $0 }
    }

    // MARK: - Commands

    /// Runs one command line; false after `quit`. Errors are printed, never thrown.
    @discardableResult
    public func execute(_ line: String) -> Bool {
        let trimmed = line.trimmed(" \t")
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return true }
        var word = String(trimmed.prefix { $0 != " " && $0 != "/" })
        var rest = String(trimmed.dropFirst(word.count)).trimmed(" \t")
        var slash = ""
        if rest.hasPrefix("/") {
            slash = String(rest.dropFirst().prefix { $0 != " " })
            rest = String(rest.dropFirst(1 + slash.count)).trimmed(" \t")
        }
        word = word.lowercased()
        guard let command = Commands.lookup(word) else {
            writeError("Undefined command: \"\(word)\".  Try \"help\".\n")
            failed = true
            return true
        }
        let result: Result<Void, REPLError>
        switch command.name {
        case "quit": return false
        case "help":
            if !rest.isEmpty && Commands.lookup(rest) == nil {
                result = .failure(.usage("Undefined command: \"\(rest)\".  Try \"help\"."))
            } else {
                write(Commands.helpText(rest.isEmpty ? nil : rest) + "\n")
                result = .success(())
            }
        case "stepi": result = stepi(rest)
        case "reverse-stepi": result = reverseStepi(rest)
        case "continue": result = runGuest(steps: nil)
        case "break": result = addBreakpoint(rest)
        case "watch": result = addWatchpoint(rest)
        case "catch": result = addCatchpoint(rest)
        case "delete": result = delete(rest)
        case "info": result = info(rest)
        case "x": result = examine(slash, rest)
        case "print": result = printValue(slash, rest)
        case "disassemble": result = disassemble(rest)
        case "run": result = restart()
        case "kill": result = kill()
        default: result = .failure(.usage("Undefined command: \"\(word)\".  Try \"help\"."))
        }
        if case .failure(let e) = result {
            writeError(e.description + "\n")
            failed = true
        }
        return true
    }

    /// Whether any command failed (a batch run then exits with status 1).
    public private(set) var failed = false

    private func running() -> Result<Debuggee, REPLError> {
        guard let t = target else { return .failure(.usage("The program is not being run.")) }
        return .success(t)
    }

    private func evaluator(_ t: Debuggee?) -> ExpressionEvaluator {
        ExpressionEvaluator(symbols: t?.symbols ?? DebugSymbols([]), cpu: t?.cpu) { a in
            guard let t else { return nil }
            let b = t.read(a, count: 4)
            guard b.count == 4 else { return nil }
            return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
        }
    }

    private func evaluate(_ text: String, _ t: Debuggee?) -> Result<UInt32, REPLError> {
        evaluator(t).evaluate(text)
    }

    // MARK: running the guest

    private func stepi(_ arg: String) -> Result<Void, REPLError> {
        switch count(arg, for: "stepi") {
        case .success(let n): return runGuest(steps: UInt64(n))
        case .failure(let e): return .failure(e)
        }
    }

    /// The largest count `stepi` and `reverse-stepi` take: 2³¹ − 1.
    static let maximumCount = Int(Int32.max)

    /// The count argument of `command` (`stepi N`, `reverse-stepi N`): 1 when `arg` is empty,
    /// else a whole number from 1 to ``maximumCount`` written in decimal or `0x` hex, or an
    /// expression (`$ecx`) whose value, read as a signed 32-bit number, is in that range. Zero,
    /// negative numbers and words that are neither numbers nor expressions are refused (gdb
    /// would wrap `stepi -1` to 4,294,967,295 steps).
    func count(_ arg: String, for command: String) -> Result<Int, REPLError> {
        guard !arg.isEmpty else { return .success(1) }
        let refusal = REPLError.usage("\(command) takes a count of instructions from 1 to \(Self.maximumCount) (got '\(arg)'), e.g. \(command) 10")
        let literal = arg.hasPrefix("-") || arg.hasPrefix("+") ? String(arg.dropFirst()) : arg
        let digits = literal.lowercased().hasPrefix("0x") ? (String(literal.dropFirst(2)), 16) : (literal, 10)
        if !digits.0.isEmpty, digits.0.allSatisfy({ $0.isASCII && (digits.1 == 16 ? $0.isHexDigit : $0.isNumber) }) {
            // A number: refuse it when negative, zero or too large, without wrapping.
            guard !arg.hasPrefix("-"), let n = Int(digits.0, radix: digits.1), n >= 1, n <= Self.maximumCount else {
                return .failure(refusal)
            }
            return .success(n)
        }
        switch evaluate(arg, target) {
        case .success(let v):
            let n = Int(Int32(bitPattern: v))
            return n >= 1 ? .success(n) : .failure(refusal)
        case .failure(let e):
            let why = e.description.hasSuffix(".") ? String(e.description.dropLast()) : e.description
            return .failure(.usage("\(command): \(why); \(command) takes a count of instructions from 1 to \(Self.maximumCount), e.g. \(command) 10"))
        }
    }

    /// Steps `steps` times (nil: until something stops the guest), checking breakpoints,
    /// watchpoints and catchpoints after every step, and reports where it stopped.
    private func runGuest(steps: UInt64?) -> Result<Void, REPLError> {
        let t: Debuggee
        switch running() { case .success(let x): t = x; case .failure(let e): return .failure(e) }
        if let e = ended {
            switch e {
            case .exited: return .failure(.usage("The program is not being run (it exited; `run` starts it again)."))
            case .signalled: return .failure(.usage("The program received a fatal signal and cannot go on; `reverse-stepi` goes back before it, `run` starts again."))
            case .machineStopped: return .failure(.usage("The guest machine has stopped and cannot go on; `reverse-stepi` goes back, `run` starts again."))
            case .running: break
            }
        }
        before = RegisterSnapshot(t.cpu)
        for i in stops.indices { if case .watchpoint(let a, let size, _) = stops[i].kind { stops[i].kind = .watchpoint(address: a, size: size, old: value(t, a, size) ?? 0) } }
        let limit = steps ?? options.maxInstructions
        let showEvents = steps != nil
        var done: UInt64 = 0
        // Nothing to check per step but breakpoints: run at engine speed (the last
        // reverseStepLimit steps of a stepi N one by one, so that they can be stepped back).
        let checked = stops.contains { if case .breakpoint = $0.kind { return false } else { return true } }
        let fast = checked ? 0 : steps.map { $0 > UInt64(reverseStepLimit) ? $0 - UInt64(reverseStepLimit) : 0 } ?? limit
        if fast > 0 {
            let (outcome, taken, events) = t.run(steps: fast, breakpoints: breakAddresses, interrupted: interrupted)
            done = taken
            if showEvents && events > 0 { flushOutput(t, final: true); showRecent(t, events) }
            if outcome != .running {
                flushOutput(t, final: true)
                report(outcome, t)
                return .success(())
            }
        }
        if fast > 0 && done > 0 && breakAddresses.contains(t.cpu.eip) {
            flushOutput(t, final: true)
            let a = t.cpu.eip
            for i in stops.indices {
                guard case .breakpoint(let at) = stops[i].kind, at == a else { continue }
                stops[i].hits += 1
                write("\nBreakpoint \(stops[i].number), \(Hex.word(a))\(t.symbols.gdbLabel(a).map { " " + $0 } ?? "")\n")
            }
            write(locationLine(t) + "\n")
            return .success(())
        }
        while done < limit {
            if interrupted() {
                flushOutput(t, final: true)
                write("\nProgram interrupted (Ctrl-C).\n" + locationLine(t) + "\n")
                return .success(())
            }
            let eip = t.cpu.eip
            let outcome = t.step()
            done += 1
            let events = t.lastStepEvents()
            if showEvents && !events.isEmpty { flushOutput(t, final: true); showRecent(t, events.count) }
            if outcome != .running {
                flushOutput(t, final: true)
                report(outcome, t)
                return .success(())
            }
            var hit = false
            for i in stops.indices {
                switch stops[i].kind {
                case .watchpoint(let a, let size, let old):
                    guard let now = value(t, a, size), now != old else { continue }
                    flushOutput(t, final: true)
                    stops[i].kind = .watchpoint(address: a, size: size, old: now)
                    stops[i].hits += 1
                    let label = t.symbols.gdbLabel(a).map { " " + $0 } ?? ""
                    write("\nWatchpoint \(stops[i].number): \(Hex.word(a))\(label) (\(size) byte\(size == 1 ? "" : "s"))\n\n")
                    write("Old value = \(Hex.word(UInt32(truncatingIfNeeded: old))) (\(old))\nNew value = \(Hex.word(UInt32(truncatingIfNeeded: now))) (\(now))\n")
                    write("written by \(instructionText(t, at: eip, marker: false))\n")
                    hit = true
                case .catchpoint(let kind, let reason):
                    for e in events where (kind == nil || e.kind == kind) && DebugSession.matches(e.reason, reason) {
                        flushOutput(t, final: true)
                        stops[i].hits += 1
                        write("\nCatchpoint \(stops[i].number) (\(e.kind.rawValue) \(e.reason))\n")
                        if !showEvents { showRecent(t, events.count) }
                        hit = true
                        break
                    }
                case .breakpoint(let a):
                    if a == t.cpu.eip && breakAddresses.contains(a) {
                        flushOutput(t, final: true)
                        stops[i].hits += 1
                        write("\nBreakpoint \(stops[i].number), \(Hex.word(a))\(t.symbols.gdbLabel(a).map { " " + $0 } ?? "")\n")
                        hit = true
                    }
                }
            }
            if hit { write(locationLine(t) + "\n"); return .success(()) }
            if done & 4095 == 0 { flushOutput(t, final: false) }
        }
        flushOutput(t, final: true)
        if steps == nil {
            write("\n[stopped after \(limit) instructions: --max-instructions \(options.maxInstructions) bounds one continue; continue goes on]\n")
        }
        write(locationLine(t) + "\n")
        return .success(())
    }

    private func report(_ outcome: StepOutcome, _ t: Debuggee) {
        ended = outcome
        switch outcome {
        case .running: break
        case .exited(let status):
            write("\n[guest exited with status \(status) after \(t.instructions) instructions]\n")
        case .signalled(_, let message):
            write("\nProgram received signal \(message)\n" + locationLine(t) + "\n")
        case .machineStopped(let why):
            write("\n[guest machine stopped: \(why)]\n" + locationLine(t) + "\n")
        }
    }

    /// Reason matching for `catch`: the whole reason, its leading number (exit reasons), or any
    /// part of it, ignoring case.
    static func matches(_ reason: String, _ pattern: String?) -> Bool {
        VMMEventKind.reason(reason, matches: pattern)
    }

    private func showRecent(_ t: Debuggee, _ n: Int) {
        let lines = t.recentEvents.suffix(min(n, 20))
        for l in lines { write("[vmm] \(l)\n") }
    }

    private func reverseStepi(_ arg: String) -> Result<Void, REPLError> {
        let t: Debuggee
        switch running() { case .success(let x): t = x; case .failure(let e): return .failure(e) }
        let n: Int
        switch count(arg, for: "reverse-stepi") { case .success(let x): n = x; case .failure(let e): return .failure(e) }
        if case .exited = ended {
            let (_, notes) = t.stepBack(0)
            if !t.isSystem { return .failure(.usage(notes.first ?? "The program has exited.")) }
        }
        guard t.reversibleSteps > 0 else {
            return .failure(.usage("No more reverse-execution history: the start of the program, or the \(reverseStepLimit) steps vsim keeps, is reached."))
        }
        before = RegisterSnapshot(t.cpu)
        let (undone, notes) = t.stepBack(n)
        if undone > 0 { ended = nil }
        for note in notes { write("note: \(note)\n") }
        if undone < n {
            write("No more reverse-execution history (stepped back \(undone) of \(n); vsim keeps the last \(reverseStepLimit) steps).\n")
        }
        write(locationLine(t) + "\n")
        return .success(())
    }

    private func restart() -> Result<Void, REPLError> {
        target = nil
        do { target = try makeTarget() } catch { return .failure(error) }
        ended = nil
        before = nil
        shown = [:]
        pendingLine = [:]
        nextExamineAddress = nil
        write("Starting program: \(program.displayName)\(options.arguments.isEmpty ? "" : " " + options.arguments.joined(separator: " "))\n")
        write(locationLine(target!) + "\n")
        return .success(())
    }

    private func kill() -> Result<Void, REPLError> {
        guard target != nil else { return .failure(.usage("The program is not being run.")) }
        target = nil
        ended = nil
        write("[guest killed]\n")
        return .success(())
    }

    // MARK: guest output

    /// Shows guest output written since the last call, each line marked with its stream. A
    /// partial last line waits for its newline unless `final`.
    private func flushOutput(_ t: Debuggee, final: Bool) {
        for (label, stream) in t.outputs {
            var mark = shown[label] ?? 0
            let bytes = stream.take(since: &mark)
            shown[label] = mark
            var pending = (pendingLine[label] ?? []) + bytes
            var lines: [ArraySlice<UInt8>] = []
            while let nl = pending.firstIndex(of: 0x0A) {
                lines.append(pending[..<nl])
                pending.removeSubrange(...nl)
            }
            if final && !pending.isEmpty { lines.append(pending[...]); pending = [] }
            pendingLine[label] = pending
            for l in lines {
                let tag = "[guest \(label)]"
                let text = String(decoding: l, as: UTF8.self)
                write(options.colour ? "\u{1B}[36m\(tag)\u{1B}[0m \(text)\n" : "\(tag) \(text)\n")
            }
        }
    }

    // MARK: breakpoints, watchpoints, catchpoints

    private func addBreakpoint(_ arg: String) -> Result<Void, REPLError> {
        let t = target
        let text = arg.hasPrefix("*") ? String(arg.dropFirst()) : arg
        let address: UInt32
        if text.isEmpty {
            guard let t else { return .failure(.usage("The program is not being run.")) }
            address = t.cpu.eip
        } else {
            switch evaluate(text, t) { case .success(let a): address = a; case .failure(let e): return .failure(e) }
        }
        let n = nextNumber
        nextNumber += 1
        stops.append(Stop(number: n, kind: .breakpoint(address)))
        breakAddresses.insert(address)
        write("Breakpoint \(n) at \(Hex.short(address))\(t?.symbols.gdbLabel(address).map { " " + $0 } ?? "")\n")
        return .success(())
    }

    private func value(_ t: Debuggee, _ a: UInt32, _ size: Int) -> UInt64? {
        let b = t.read(a, count: size)
        guard b.count == size else { return nil }
        return b.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    private func addWatchpoint(_ arg: String) -> Result<Void, REPLError> {
        let t: Debuggee
        switch running() { case .success(let x): t = x; case .failure(let e): return .failure(e) }
        var parts = arg.split(separator: " ").map(String.init)
        guard !parts.isEmpty else { return .failure(.usage("watch ADDR|SYMBOL [SIZE]: say where")) }
        var size = 4
        if parts.count >= 2, let s = Int(parts.last!) {
            guard [1, 2, 4].contains(s) else { return .failure(.usage("watch: SIZE is 1, 2 or 4 bytes")) }
            size = s
            parts.removeLast()
        }
        var text = parts.joined(separator: " ")
        if text.hasPrefix("*") { text.removeFirst() }
        let a: UInt32
        switch evaluate(text, t) { case .success(let x): a = x; case .failure(let e): return .failure(e) }
        guard let old = value(t, a, size) else { return .failure(.usage("Cannot access memory at address \(Hex.short(a))")) }
        let n = nextNumber
        nextNumber += 1
        stops.append(Stop(number: n, kind: .watchpoint(address: a, size: size, old: old)))
        write("Watchpoint \(n): \(Hex.word(a))\(t.symbols.gdbLabel(a).map { " " + $0 } ?? "") (\(size) byte\(size == 1 ? "" : "s"), now \(Hex.word(UInt32(truncatingIfNeeded: old))))\n")
        return .success(())
    }

    private func addCatchpoint(_ arg: String) -> Result<Void, REPLError> {
        let t: Debuggee
        switch running() { case .success(let x): t = x; case .failure(let e): return .failure(e) }
        let kindWord = String(arg.prefix { $0 != " " })
        let reason = String(arg.dropFirst(kindWord.count)).trimmed(" \t")
        guard let kind = VMMEventKind(rawValue: kindWord) else {
            return .failure(.usage("catch trap|exit|hypercall [REASON]: catch what? (got '\(kindWord)')"))
        }
        guard let vmm = t.vmm else {
            let vmmModes = VirtualizationStrategy.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(.usage("--mode \(modeName) has no VMM, so there are no traps, VM exits or hypercalls to catch; start the REPL with --mode \(vmmModes)"))
        }
        guard kind.recognizes(reason) else {
            return .failure(.usage("catch \(kind.rawValue): no \(kind.rawValue) reason matches '\(reason)', so the catchpoint would never stop; "
                                   + "the reasons are: \(kind.knownReasons.joined(separator: ", "))"))
        }
        let n = nextNumber
        nextNumber += 1
        stops.append(Stop(number: n, kind: .catchpoint(kind: kind, reason: reason.isEmpty ? nil : reason)))
        write("Catchpoint \(n) (\(kind.rawValue)\(reason.isEmpty ? "" : " " + reason))\n")
        // What each VMM logs: trap-and-emulate traps; VT-x exits; Xen-style PV hypercalls and the
        // traps it reflects (interrupts, faults); the BT VMM traps and its callouts.
        let produces: [VMMEventKind]? = ["trap": [.trap], "hvm": [.exit], "pv": [.trap, .hypercall],
                                         "bt": [.trap, .callout]][vmm.strategy.rawValue]
        if let produces, !produces.contains(kind) {
            write("note: the \(vmm.strategy.rawValue) VMM takes \(produces.map { $0.rawValue + "s" }.joined(separator: " and ")), not \(kind.rawValue)s: this catchpoint will not stop\n")
        }
        return .success(())
    }

    private func delete(_ arg: String) -> Result<Void, REPLError> {
        if arg.isEmpty {
            stops = []
            breakAddresses = []
            return .success(())
        }
        for w in arg.split(separator: " ") {
            guard let n = Int(w), let i = stops.firstIndex(where: { $0.number == n }) else {
                return .failure(.usage("No breakpoint number \(w)."))
            }
            stops.remove(at: i)
        }
        breakAddresses = Set(stops.compactMap { if case .breakpoint(let a) = $0.kind { return a } else { return nil } })
        return .success(())
    }

    // MARK: info

    private func info(_ arg: String) -> Result<Void, REPLError> {
        let word = String(arg.prefix { $0 != " " })
        let rest = String(arg.dropFirst(word.count)).trimmed(" \t")
        guard let topic = Commands.infoTopic(word.lowercased()) else {
            return .failure(.usage("info \(word.isEmpty ? "" : word + " ")what? \(Commands.infoTopics.joined(separator: ", "))"))
        }
        if topic == "breakpoints" { infoBreakpoints(); return .success(()) }
        let t: Debuggee
        switch running() { case .success(let x): t = x; case .failure(let e): return .failure(e) }
        switch topic {
        case "registers": return infoRegisters(t, rest)
        case "traps": infoTraps(t); return .success(())
        case "vmcs": infoVMCS(t); return .success(())
        case "tb":
            switch t.translationBlock(at: t.cpu.eip, views: rest.split(separator: " ").map(String.init)) {
            case .success(let text): write(text.hasSuffix("\n") ? text : text + "\n"); return .success(())
            case .failure(let e): return .failure(e)
            }
        default: return infoSymbol(t, rest)
        }
    }

    private func infoBreakpoints() {
        guard !stops.isEmpty else { write("No breakpoints, watchpoints or catchpoints.\n"); return }
        write("Num  Type        Address     What\n")
        for s in stops {
            let num = Hex.column(String(s.number), 5)
            var line: String
            switch s.kind {
            case .breakpoint(let a):
                line = num + Hex.column("breakpoint", 12) + Hex.column(Hex.word(a), 12) + (target?.symbols.gdbLabel(a) ?? "")
            case .watchpoint(let a, let size, _):
                line = num + Hex.column("watchpoint", 12) + Hex.column(Hex.word(a), 12) + "\(size) byte\(size == 1 ? "" : "s")"
                if let l = target?.symbols.gdbLabel(a) { line += " " + l }
            case .catchpoint(let kind, let reason):
                line = num + Hex.column("catchpoint", 12) + Hex.column("", 12) + (kind?.rawValue ?? "any") + (reason.map { " " + $0 } ?? "")
            }
            write(line.trimmed(" ") + "\n")
            if s.hits > 0 { write("        hit \(s.hits) time\(s.hits == 1 ? "" : "s")\n") }
        }
    }

    private func infoRegisters(_ t: Debuggee, _ which: String) -> Result<Void, REPLError> {
        let now = RegisterSnapshot(t.cpu)
        let cpu = t.cpu
        var rows: [(String, UInt32, String, UInt32?)] = []   // name, value, natural, old
        func old(_ f: (RegisterSnapshot) -> UInt32) -> UInt32? {
            guard let b = before else { return nil }
            let o = f(b)
            return o == f(now) ? nil : o
        }
        for (i, name) in ExpressionEvaluator.registers32.enumerated() {
            let v = now.gpr(i)
            let natural = (i == 4 || i == 5) ? Hex.short(v) : String(Int32(bitPattern: v))
            rows.append((name, v, natural, old { $0.gpr(i) }))
        }
        rows.append(("eip", now.eip, t.symbols.gdbLabel(now.eip) ?? "", old { $0.eip }))
        rows.append(("eflags", now.eflags, FlagsDisplay.decode(now.eflags), old { $0.eflags }))
        for (i, name) in ExpressionEvaluator.segmentNames.enumerated() {
            rows.append((name, UInt32(now.segments[i]), "", old { UInt32($0.segments[i]) }))
        }
        if t.isSystem {
            rows.append(("cr0", now.cr0, "", old { $0.cr0 }))
            rows.append(("cr2", now.cr2, "", old { $0.cr2 }))
            rows.append(("cr3", now.cr3, "", old { $0.cr3 }))
            rows.append(("cr4", now.cr4, "", old { $0.cr4 }))
            rows.append(("cpl", UInt32(now.cpl), String(now.cpl), old { UInt32($0.cpl) }))
        }
        let wanted = which.split(separator: " ").map { String($0).lowercased().replacingDollar() }
        if !wanted.isEmpty {
            for w in wanted where !rows.contains(where: { $0.0 == w }) {
                return .failure(.usage("Invalid register `\(w)'"))
            }
        }
        for r in rows where wanted.isEmpty || wanted.contains(r.0) {
            let changed = r.3 != nil
            var line = (changed ? "*" : " ") + Hex.column(r.0, 7) + Hex.column(Hex.word(r.1), 12) + r.2
            if let o = r.3 { line = line.trimmingTrailingSpaces() + "   (was \(Hex.word(o)))" }
            line = line.trimmingTrailingSpaces()
            if changed && options.colour { line = "\u{1B}[1;33m" + line + "\u{1B}[0m" }
            write(line + "\n")
            if r.0 == "eflags" {
                let j = FlagsDisplay.jumps(now.eflags, ecx: now.gpr(1))
                write("        taken:     " + j.taken.joined(separator: " ") + "\n")
                write("        not taken: " + j.notTaken.joined(separator: " ") + "\n")
                write("        lazy flags: \(cpu.lazyFlagsDescription)\n")
            }
        }
        if wanted.isEmpty && t.isSystem {
            write("  gdtr   base \(Hex.word(cpu.gdtr.base)) limit 0x\(String(cpu.gdtr.limit, radix: 16))\n")
            write("  idtr   base \(Hex.word(cpu.idtr.base)) limit 0x\(String(cpu.idtr.limit, radix: 16))\n")
            write("  ldtr   0x\(String(cpu.ldtr, radix: 16))   tr 0x\(String(cpu.tr, radix: 16))\n")
        }
        if before != nil && wanted.isEmpty { write("(* changed by the last command that ran the guest)\n") }
        return .success(())
    }

    private func infoTraps(_ t: Debuggee) {
        guard let vmm = t.vmm else {
            let vmmModes = VirtualizationStrategy.allCases.map(\.rawValue).joined(separator: ", ")
            write("--mode \(modeName) has no VMM: nothing traps, exits or makes hypercalls (the modes with one: \(vmmModes)).\n")
            return
        }
        write("VMM: \(vmm.strategy.rawValue), cost model \(vmm.cost.name), \(vmm.log.total) event\(vmm.log.total == 1 ? "" : "s"), \(vmm.log.cycles) modeled cycles in the VMM\n")
        for kind in VMMEventKind.allCases {
            let counts = vmm.log.counts(kind)
            let plural = switch kind {
            case .trap: "traps"
            case .exit: "VM exits"
            case .hypercall: "hypercalls"
            case .callout: "callouts"
            }
            if counts.isEmpty { write("\(plural): none\n"); continue }
            write("\(plural) by reason:\n")
            let width = counts.keys.map(\.count).max() ?? 0
            for (reason, n) in counts.sorted(by: { $0.key < $1.key }) {
                write("  " + reason + String(repeating: " ", count: width - reason.count) + "  \(n)\n")
            }
        }
        let recent = t.recentEvents.suffix(10)
        if !recent.isEmpty {
            write("last \(recent.count) event\(recent.count == 1 ? "" : "s"), oldest first:\n")
            for l in recent { write("  \(l)\n") }
        }
    }

    private func infoVMCS(_ t: Debuggee) {
        guard let vmm = t.vmm else {
            write("--mode \(modeName) has no VMM and no VMCS (--mode hvm models one).\n")
            return
        }
        if let h = vmm.hooks as? HardwareAssistVMM {
            let c = h.controls
            func yn(_ b: Bool) -> String { b ? "yes" : "no" }
            write("VMCS (modeled VT-x; controls as in the SDM Vol. 3C, 25.6):\n")
            write("  pin-based:  external-interrupt exiting \(yn(c.externalInterruptExiting))\n")
            write("  primary:    HLT exiting \(yn(c.hltExiting)), INVLPG exiting \(yn(c.invlpgExiting)), RDTSC exiting \(yn(c.rdtscExiting)),\n")
            write("              CR3-load exiting \(yn(c.cr3LoadExiting)), CR3-store exiting \(yn(c.cr3StoreExiting)), MOV-DR exiting \(yn(c.movDRExiting)),\n")
            write("              unconditional I/O exiting \(yn(c.unconditionalIOExiting)), use I/O bitmaps \(yn(c.useIOBitmaps)), use MSR bitmaps \(yn(c.useMSRBitmaps))\n")
            write("  secondary:  descriptor-table exiting \(yn(c.descriptorTableExiting)), enable EPT \(yn(c.enableEPT))\n")
            write("  exception bitmap \(Hex.word(c.exceptionBitmap))\n")
            write("  CR0 guest/host mask \(Hex.word(c.cr0GuestHostMask)), read shadow \(Hex.word(c.cr0ReadShadow))\n")
            write("  CR4 guest/host mask \(Hex.word(c.cr4GuestHostMask)), read shadow \(Hex.word(c.cr4ReadShadow))\n")
            if c.useIOBitmaps { write("  I/O bitmap ports: \(c.ioBitmap.sorted().map { "0x" + String($0, radix: 16) }.joined(separator: " "))\n") }
            if c.useMSRBitmaps {
                write("  MSR bitmaps: RDMSR exits for \(c.msrReadExiting.sorted().map { "0x" + String($0, radix: 16) }.joined(separator: " ").orNone), "
                      + "WRMSR exits for \(c.msrWriteExiting.sorted().map { "0x" + String($0, radix: 16) }.joined(separator: " ").orNone)\n")
            }
            write("exit information:\n")
            if let r = h.lastExitReason {
                write("  exit reason \(r.label)\n  exit qualification \(Hex.word(h.lastExitQualification))\n")
            } else {
                write("  no VM exit yet\n")
            }
        } else if let v = vmm.hooks as? TrapAndEmulateVMM {
            write("--mode trap has no VMCS: the trap-and-emulate VMM keeps the guest kernel's virtual CPU itself:\n")
            write("  virtual IF   \(v.virtualIF ? 1 : 0)\n")
            write("  virtual CR0  \(Hex.word(v.virtualCR0))\n  virtual CR3  \(Hex.word(v.virtualCR3))\n  virtual CR4  \(Hex.word(v.virtualCR4))\n")
            write("  virtual GDTR base \(Hex.word(v.virtualGDTR.base)) limit 0x\(String(v.virtualGDTR.limit, radix: 16))\n")
            write("  virtual IDTR base \(Hex.word(v.virtualIDTR.base)) limit 0x\(String(v.virtualIDTR.limit, radix: 16))\n")
            write("  virtual TR 0x\(String(v.virtualTR, radix: 16)), LDTR 0x\(String(v.virtualLDTR, radix: 16))\n")
            if let p = v.pendingInterrupt { write("  pending interrupt vector 0x\(String(p, radix: 16))\n") }
        } else {
            write("--mode \(modeName) has no VMCS (--mode hvm models one).\n")
        }
    }

    private func infoSymbol(_ t: Debuggee, _ arg: String) -> Result<Void, REPLError> {
        if arg.isEmpty {
            for e in t.symbols.entries { write("\(Hex.word(e.address))  \(e.name)\n") }
            return .success(())
        }
        if let a = t.symbols.byName[arg] { write("\(arg) = \(Hex.word(a))\n"); return .success(()) }
        switch evaluate(arg, t) {
        case .success(let a):
            if let l = t.symbols.gdbLabel(a) { write("\(Hex.word(a)) is \(l)\n") } else { write("No symbol matches \(arg).\n") }
            return .success(())
        case .failure(let e): return .failure(e)
        }
    }

    // MARK: memory and code

    private func examine(_ fmt: String, _ arg: String) -> Result<Void, REPLError> {
        let t: Debuggee
        switch running() { case .success(let x): t = x; case .failure(let e): return .failure(e) }
        var f: ExamineFormat
        switch ExamineFormat.parse(fmt, last: lastExamine) { case .success(let x): f = x; case .failure(let e): return .failure(e) }
        var address: UInt32
        if arg.isEmpty {
            guard let n = nextExamineAddress else { return .failure(.usage("Argument required (starting display address).")) }
            address = n
        } else {
            switch evaluate(arg, t) { case .success(let a): address = a; case .failure(let e): return .failure(e) }
        }
        // gdb's x_command: a plain `x` (no format, no address) repeats the last count, which
        // is remembered even when the examine fails; the format and size only when it succeeds.
        if fmt.isEmpty && arg.isEmpty { f.count = lastExamineCount }
        lastExamineCount = f.count
        func head(_ a: UInt32) -> String { Hex.short(a) + (t.symbols.gdbLabel(a).map { " " + $0 } ?? "") + ":" }
        switch f.format {
        case "s":
            for _ in 0..<f.count {
                let bytes = t.read(address, count: 4096)
                guard !bytes.isEmpty else { return .failure(.usage("Cannot access memory at address \(Hex.short(address))")) }
                let end = bytes.firstIndex(of: 0) ?? bytes.count
                let shownBytes = bytes[..<min(end, 200)]
                var s = "\"" + shownBytes.map { ExamineFormat.escape($0, quote: "\"") }.joined() + "\""
                if end > 200 { s += "..." }
                write(head(address) + "\t" + s + "\n")
                address = address &+ UInt32(min(end + 1, bytes.count))
            }
        case "i":
            for _ in 0..<f.count {
                let bytes = t.read(address, count: 15)
                guard !bytes.isEmpty else { return .failure(.usage("Cannot access memory at address \(Hex.short(address))")) }
                let marker = address == t.cpu.eip ? "=> " : "   "
                do throws(DecodeError) {
                    let insn = try Decoder.decode(bytes, address: address)
                    write(marker + head(address) + "\t" + ATTPrinter.format(insn, symbols: t.symbols) + "\n")
                    address = address &+ UInt32(insn.length)
                } catch {
                    write(marker + head(address) + "\t(bad)  \(error)\n")
                    address = address &+ 1
                }
            }
        default:
            var line = ""
            for i in 0..<f.count {
                let a = address &+ UInt32(i * f.size)
                let b = t.read(a, count: f.size)
                guard b.count == f.size else {
                    if !line.isEmpty { write(line + "\n") }
                    return .failure(.usage("Cannot access memory at address \(Hex.short(a &+ UInt32(b.count)))"))
                }
                let v = b.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
                if i % f.perLine == 0 {
                    if !line.isEmpty { write(line + "\n") }
                    line = head(a)
                }
                var item = f.render(v)
                if f.format == "a", let l = t.symbols.gdbLabel(UInt32(truncatingIfNeeded: v)) { item += " " + l }
                line += "\t" + item
            }
            if !line.isEmpty { write(line + "\n") }
            address = address &+ UInt32(f.count * f.size)
        }
        nextExamineAddress = address
        lastExamine = f
        lastExamine.count = 1
        return .success(())
    }

    private func printValue(_ fmt: String, _ arg: String) -> Result<Void, REPLError> {
        guard !arg.isEmpty else { return .failure(.usage("print EXPR: print what?")) }
        let v: UInt32
        switch evaluate(arg, target) { case .success(let x): v = x; case .failure(let e): return .failure(e) }
        var text = "\(Hex.short(v)) = \(v)"
        if Int32(bitPattern: v) < 0 { text += " = \(Int32(bitPattern: v))" }
        if let l = target?.symbols.gdbLabel(v) { text += " " + l }
        write("$ = " + text + "\n")
        return .success(())
    }

    private func disassemble(_ arg: String) -> Result<Void, REPLError> {
        let t: Debuggee
        switch running() { case .success(let x): t = x; case .failure(let e): return .failure(e) }
        var at = t.cpu.eip
        if !arg.isEmpty {
            switch evaluate(arg.hasPrefix("*") ? String(arg.dropFirst()) : arg, t) {
            case .success(let a): at = a
            case .failure(let e): return .failure(e)
            }
        }
        // 64-bit bounds: a range that ends at the top of the 32-bit address space stops there
        // (48 bytes from 0xfffffff0 used to wrap to 0x20, and the dump came out empty).
        var start = UInt64(at), end = min(UInt64(at) + 48, 1 << 32)
        if let f = t.symbols.function(containing: at) {
            start = UInt64(f.start)
            end = UInt64(f.end)
            write("Dump of assembler code for function \(f.name):\n")
        } else {
            write("Dump of assembler code from \(Hex.word(at)) to \(end < 1 << 32 ? Hex.word(UInt32(end)) : "0x100000000"):\n")
        }
        var a = UInt32(start)
        var offset = start
        var count = 0
        let fn = t.symbols.function(containing: at)
        while offset < end && count < 200 {
            let bytes = t.read(a, count: 15)
            // gdb: the dump stops with an error (on stderr, the command fails, no "End of
            // assembler dump."), whether the first address or a later one cannot be read.
            guard !bytes.isEmpty else { return .failure(.usage("Cannot access memory at address \(Hex.short(a))")) }
            let marker = a == t.cpu.eip ? "=> " : "   "
            let label = fn.map { "<+\(a &- $0.start)>" } ?? (t.symbols.gdbLabel(a) ?? "")
            do throws(DecodeError) {
                let insn = try Decoder.decode(bytes, address: a)
                write("\(marker)\(Hex.word(a)) \(label):\t\(ATTPrinter.format(insn, symbols: t.symbols))\n")
                offset += UInt64(insn.length)
            } catch {
                write("\(marker)\(Hex.word(a)) \(label):\t(bad)\n")
                offset += 1
            }
            a = UInt32(truncatingIfNeeded: offset)
            count += 1
        }
        write("End of assembler dump.\n")
        return .success(())
    }

    /// `=> 0x08049005 <_start+5>:  b8 04 00 00 00   mov    $0x4,%eax`.
    func locationLine(_ t: Debuggee) -> String { instructionText(t, at: t.cpu.eip, marker: true) }

    private func instructionText(_ t: Debuggee, at a: UInt32, marker: Bool) -> String {
        let label = t.symbols.gdbLabel(a).map { " " + $0 } ?? ""
        let bytes = t.read(a, count: 15)
        let prefix = (marker ? "=> " : "") + Hex.word(a) + label + ":"
        guard !bytes.isEmpty else { return prefix + "\t(cannot read memory here)" }
        do throws(DecodeError) {
            let insn = try Decoder.decode(bytes, address: a)
            let hex = bytes.prefix(Int(insn.length)).map { Hex.pad(String($0, radix: 16), 2) }.joined(separator: " ")
            return prefix + "\t" + Hex.column(hex, 21) + ATTPrinter.format(insn, symbols: t.symbols)
        } catch {
            return prefix + "\t(does not decode: \(error))"
        }
    }
}

extension String {
    func replacingDollar() -> String { hasPrefix("$") ? String(dropFirst()) : self }
    var orNone: String { isEmpty ? "none" : self }
}
