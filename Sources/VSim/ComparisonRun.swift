import Guest
import Hypervisor
import Reports
#if canImport(Glibc)
import Glibc
#endif
import HostIO
import Descriptions

/// What `vsim compare` runs: which modes, how often, and with what.
public struct ComparisonPlan: Sendable {
    public var program: ProgramReference?
    public var modes: [Mode]
    /// Measured runs per mode (`--runs`), 1 to ``maxRuns``.
    public var runs: Int = 5
    /// Unmeasured warm-up runs per mode before the measured ones (`--warmup`), 0 to ``maxWarmup``.
    public var warmup: Int = 1
    /// The most measured runs per mode: 1,000, plenty for a median and a p90 (hyperfine's
    /// default is 10 runs), and a bound on how long one comparison can take.
    public static let maxRuns = 1000
    /// The most warm-up runs per mode: 100.
    public static let maxWarmup = 100

    /// Checks `--runs` (1 to ``maxRuns``) and `--warmup` (0 to ``maxWarmup``).
    /// - Throws: ``VSimError/usage(_:)`` (exit 64) naming the option, the value and the range.
    public static func checkCounts(runs: Int, warmup: Int) throws(VSimError) {
        guard (1...maxRuns).contains(runs) else {
            throw .usage("--runs must be from 1 to \(maxRuns) (got \(runs))")
        }
        guard (0...maxWarmup).contains(warmup) else {
            throw .usage("--warmup must be from 0 to \(maxWarmup) (got \(warmup))")
        }
    }
    public var arguments: [String]?
    public var options = RunOptions()
    /// The bytes every run reads as its stdin (nil: none, /dev/null).
    public var input: [UInt8]?

    public init(program: ProgramReference?, modes: [Mode]) {
        self.program = program
        self.modes = modes
    }

    /// The order of `--modes all`: from the slowest strategy to the physical limit (the qemu
    /// anchor only with `--with qemu-i386`).
    public static let allModes: [Mode] = [.interpret, .translate, .trap, .hvm] + Mode.allCases.filter {
        ![.interpret, .translate, .trap, .hvm, .kvm, .ptrace, .container, .native, .qemu].contains($0)
    } + [.kvm, .ptrace, .container, .native]

    /// Parses `--modes` ("all" or a list) and `--with` ("qemu-i386").
    public static func modes(_ list: String, with extra: [String]) throws(VSimError) -> [Mode] {
        var modes = list.trimmed(" ") == "all" ? allModes : try Mode.parseList(list)
        for e in extra {
            switch e {
            case "qemu-i386", "qemu":
                if !modes.contains(.qemu) {
                    // Beside translate (the strategy it anchors), else before native.
                    let at = modes.firstIndex(of: .translate).map { $0 + 1 } ?? modes.firstIndex(of: .native) ?? modes.count
                    modes.insert(.qemu, at: at)
                }
            default: throw .usage("unknown --with '\(e)'; known: qemu-i386")
            }
        }
        return modes
    }
}

extension VSim {
    /// `vsim compare`: every mode of `plan` run `plan.runs` times after `plan.warmup` unmeasured
    /// runs, the modes interleaved run by run so that drift hits all rows alike. Every run gets the
    /// same stdin (`plan.input`) and stderr on /dev/null; its stdout is streamed into a size and
    /// SHA-256 (``StreamedOutput``: bounded memory, no disk). Output, exit status and instruction
    /// count of every run are checked against the first run's; differences go to
    /// ``ComparisonReport/mismatches`` and mark the modes involved
    /// (``ComparisonReport/ModeSummary/disagrees``), whose counts are then not copied across
    /// modes. A mode that cannot run
    /// on this host (no `/dev/kvm`, no qemu-i386, no container support) stays in the report as
    /// an unavailable row with the reason.
    /// - Parameter progress: called before each run with (done, total, mode, run, runs); run 0
    ///   and below are warm-up runs.
    public static func runComparison(_ plan: ComparisonPlan,
                                     progress: ((Int, Int, Mode, Int, Int) -> Void)? = nil) throws(VSimError) -> ComparisonReport {
        try ComparisonPlan.checkCounts(runs: plan.runs, warmup: plan.warmup)
        guard !plan.modes.isEmpty else { throw .usage("--modes is empty; give a comma-separated list such as interpret,native, or all") }
        let reference = plan.program ?? .embedded(defaultBenchmark.name)
        let args = plan.arguments ?? (plan.program == nil ? defaultBenchmark.arguments : [])
        let resolved = try resolve(reference)
        var runOptions = plan.options
        runOptions.traces = []
        // The stdin bytes, in an unlinked file rewound before each run.
        var inputDescriptor: Int32? = nil
        if let input = plan.input {
            let fd = try TempFile.anonymous()
            inputDescriptor = fd
            if let code = HostIO.writeAll(fd, input) {
                close(fd)
                throw .host("cannot store stdin for the runs: \(HostError.describe(code))")
            }
        }
        defer { if let fd = inputDescriptor { close(fd) } }

        var unavailable: [Mode: String] = [:]
        for mode in plan.modes {
            if let why = Self.unavailableReason(mode) { unavailable[mode] = why }
        }
        var results: [Mode: [RunResult]] = [:]
        var mismatches: [String] = []
        var disagreeing: Set<Mode> = []
        var first: (mode: Mode, run: Int, result: RunResult, output: StreamedOutput.Summary)? = nil
        func name(_ mode: Mode, _ run: Int) -> String { run <= 0 ? "\(mode) warm-up run" : "\(mode) run \(run)" }
        // Instruction counts agree across user-mode runs; a mode with the guest kernel (trap,
        // hvm, pv, bt) also counts the kernel's instructions, so it is compared with itself only.
        func domain(_ m: Mode) -> String { GuestOption.modeledVMMs.contains(m) ? m.rawValue : "user" }
        var firstCounted: [String: (mode: Mode, run: Int, instructions: UInt64)] = [:]
        func check(_ r: RunResult, _ out: StreamedOutput.Summary, _ mode: Mode, _ run: Int) {
            guard let f = first else {
                first = (mode, run, r, out)
                if let n = r.instructions { firstCounted[domain(mode)] = (mode, run, n) }
                return
            }
            let this = name(mode, run), that = name(f.mode, f.run)
            if r.exitStatus != f.result.exitStatus {
                var m = "\(this) exited with status \(r.exitStatus) but \(that) with \(f.result.exitStatus)"
                if let d = r.diagnostic ?? f.result.diagnostic { m += " (\(d))" }
                mismatches.append(m)
                disagreeing.formUnion([mode, f.mode])
            }
            if out.size != f.output.size || out.sha256 != f.output.sha256 {
                let a = out.prefix, b = f.output.prefix
                let common = min(a.count, b.count)
                let where_: String
                if let at = (0..<common).first(where: { a[$0] != b[$0] }) {
                    where_ = "first difference at byte \(at)"
                } else if common < StreamedOutput.prefixLimit {
                    where_ = "first difference at byte \(common)"
                } else {
                    where_ = "the first \(common) bytes agree"
                }
                mismatches.append("\(this) printed different output than \(that) (\(out.size) vs \(f.output.size) bytes, \(where_))")
                disagreeing.formUnion([mode, f.mode])
            }
            if let n = r.instructions {
                if let c = firstCounted[domain(mode)] {
                    if n != c.instructions {
                        mismatches.append("\(this) executed \(n) instructions but \(name(c.mode, c.run)) \(c.instructions): the run is not deterministic")
                        disagreeing.formUnion([mode, c.mode])
                    }
                } else {
                    firstCounted[domain(mode)] = (mode, run, n)
                }
            }
        }
        let runnable = plan.modes.filter { unavailable[$0] == nil }
        let total = (plan.runs + plan.warmup) * runnable.count
        var done = 0
        for run in (1 - plan.warmup)...plan.runs {
            for mode in runnable where unavailable[mode] == nil {
                progress?(done, total, mode, run, plan.runs)
                done += 1
                if let fd = inputDescriptor { lseek(fd, 0, SEEK_SET) }
                let output = try StreamedOutput()
                runOptions.io = .stream(input: inputDescriptor, output: output)
                var r: RunResult
                do {
                    let cpu: CPUTimes
                    (r, cpu) = try CPUTimes.measure(spawnsChild: mode.spawnsHostProcess) { () throws(VSimError) in
                        try mode.backend.run(resolved, arguments: args, options: runOptions)
                    }
                    if r.cpuTimes == nil { r.cpuTimes = cpu }
                } catch {
                    _ = output.finish()
                    switch error {
                    case .toolMissing, .host:
                        unavailable[mode] = error.description
                        results[mode] = nil
                        continue
                    default: throw error
                    }
                }
                if let s = r.interruptedBy {
                    // A Ctrl-C (or SIGTERM, ...) while a container or a host process ran was
                    // forwarded to it: the user asked vsim to stop, so the comparison stops too,
                    // with 128+signal.
                    _ = output.finish()
                    let whom = mode == .container ? "the container, which was torn down" : "\(mode)'s process"
                    throw .interrupted(signal: s, "compare stopped by \(SignalName.of(s)) during \(mode)'s \(run < 1 ? "warm-up run" : "run \(run)") "
                        + "(vsim forwarded it to \(whom)); no report was made")
                }
                check(r, output.finish(), mode, run)
                if run > 0 { results[mode, default: []].append(r) }
            }
        }
        // A count holds for every mode only when they all computed the same thing, and only a
        // user-mode count (no guest kernel in it) describes the program that native runs.
        let counted = mismatches.isEmpty
            ? plan.modes.filter { domain($0) == "user" }.compactMap { results[$0]?.first?.instructions }.first : nil
        let summaries = plan.modes.map { mode -> ComparisonReport.ModeSummary in
            let command = ShellWord.line(["vsim", "run", "--mode", mode.rawValue, plan.program == nil ? resolved.executablePath : resolved.displayName]
                                         + (args.isEmpty ? [] : ["--"] + args))
            guard let rs = results[mode], !rs.isEmpty, unavailable[mode] == nil else {
                return .unavailable(mode: mode.rawValue, command: command, reason: unavailable[mode] ?? "no run finished")
            }
            let own = rs.first?.instructions
            var s = ComparisonReport.ModeSummary(
                mode: mode.rawValue, command: command, wallTimes: Statistics(rs.map(\.wallTimeSeconds)),
                instructions: own ?? counted, instructionsFromOtherMode: own == nil && counted != nil,
                exitStatuses: rs.map(\.exitStatus), maxResidentBytes: rs.compactMap(\.maxResidentBytes).max())
            let cpu = rs.compactMap(\.cpuTimes)
            if cpu.count == rs.count {
                s.userTimes = Statistics(cpu.map(\.userSeconds))
                s.systemTimes = Statistics(cpu.map(\.systemSeconds))
            }
            s.disagrees = disagreeing.contains(mode)
            s.optionsNotHonoured = plan.options.nonDefaultOptions
                .filter { $0.refusal(by: mode, system: plan.options.system) != nil }.sorted().map(\.rawValue)
            let one = rs[0]
            for (kind, counts) in [("traps", one.traps), ("exits", one.exits), ("hypercalls", one.hypercalls), ("callouts", one.callouts), ("host calls", one.hostCalls), ("host events", one.mode == .ptrace ? [:] : one.hostEvents), ("system calls", one.systemCalls)]
                where !counts.isEmpty { s.events[kind] = counts }
            s.modeledCycles = one.modeledCycles
            s.costModel = one.costModel
            if let cycles = one.modeledCycles, let model = Self.costModel(named: one.costModel) {
                s.modeledSeconds = Double(cycles) / (model.clockGHz * 1e9)
                if let n = counted, n > 0 { s.modeledSlowdown = Double(cycles) / (Double(n) * model.cyclesPerInstruction) }
            }
            let startups = rs.compactMap(\.startupNanoseconds)
            if startups.count == rs.count { s.startupTimes = Statistics(startups.map { Double($0) / 1e9 }) }
            let median = rs.sorted { $0.wallTimeNanoseconds < $1.wallTimeNanoseconds }[rs.count / 2]
            s.breakdown = breakdown(of: median)
            return s
        }
        let header = ComparisonReport.Header(vsimVersion: version, hostCPU: HostInfo.cpu(), kernel: HostInfo.kernel(),
                                             date: HostInfo.date(), program: reference.displayName, arguments: args,
                                             runs: plan.runs, warmup: plan.warmup, seed: plan.options.seed,
                                             programIsBuiltIn: reference.isBuiltIn)
        return ComparisonReport(header: header, modes: summaries,
                                baselineMode: plan.modes.contains(.native) ? Mode.native.rawValue : nil,
                                mismatches: mismatches)
    }

    /// The cost model a result names (a preset, `host`, or a preset + file: the preset's clock).
    static func costModel(named name: String?) -> CostModel? {
        guard let name else { return nil }
        let base = name.split(separator: "+").first.map(String.init) ?? name
        return base == "host" ? HostCostModel.cached : try? CostModel.preset(base)
    }

    /// Why `mode` cannot run on this host, checked before any run (nil: try it).
    static func unavailableReason(_ mode: Mode) -> String? {
        switch mode {
        case .kvm: return KVMBackend.unavailableReason()
        case .qemu: return QemuBackend.executable == nil ? "qemu-i386 is not on PATH (apt-get install qemu-user)" : nil
        default: return nil
        }
    }

    /// Where a run's time went: measured for kvm and ptrace (the tracer's time at the stops); for the modeled VMMs the cost model's shares
    /// (guest instructions × CPI, event round trips, the VMM's work) of the wall time; for the
    /// rest, start-up (where measured) and the guest.
    static func breakdown(of r: RunResult) -> TimeBreakdown? {
        let wall = r.wallTimeSeconds
        let startup = Double(r.startupNanoseconds ?? 0) / 1e9
        if let cycles = r.modeledCycles, cycles > 0, let name = r.costModel {
            let base = name.split(separator: "+").first.map(String.init) ?? name
            guard let model = base == "host" ? HostCostModel.cached : try? CostModel.preset(base) else { return nil }
            let guest = Double(r.instructions ?? 0) * model.cyclesPerInstruction
            let trips = Double(r.traps.values.reduce(0, +)) * Double(model.trapRoundTrip)
                + Double(r.exits.values.reduce(0, +)) * Double(model.vmExitRoundTrip)
                + Double(r.hypercalls.values.reduce(0, +)) * Double(model.hypercallRoundTrip)
                + Double(r.callouts.values.reduce(0, +)) * Double(model.btCallout)
            let work = max(0, Double(cycles) - guest - trips)
            let sum = guest + trips + work
            guard sum > 0 else { return nil }
            return TimeBreakdown(guest: wall * guest / sum, exits: wall * trips / sum, vmm: wall * work / sum, startup: 0, basis: "modeled")
        }
        if r.mode == .kvm {
            let vmm = Double(r.exitHandlingNanoseconds ?? 0) / 1e9
            return TimeBreakdown(guest: max(0, wall - startup - vmm), exits: 0, vmm: vmm, startup: startup, basis: "measured")
        }
        if r.mode == .ptrace, let tracer = r.tracerNanoseconds {
            // The tracer is ptrace's monitor: its time at the stops is the "VMM work"; the rest
            // (the program, its system calls, the stops' round trips through the kernel) is the guest's.
            let vmm = min(wall, Double(tracer) / 1e9)
            return TimeBreakdown(guest: wall - vmm, exits: 0, vmm: vmm, startup: 0, basis: "measured")
        }
        if r.startupNanoseconds != nil {
            return TimeBreakdown(guest: max(0, wall - startup), exits: 0, vmm: 0, startup: startup, basis: "measured")
        }
        return TimeBreakdown(guest: wall, exits: 0, vmm: 0, startup: 0, basis: "measured")
    }
}

