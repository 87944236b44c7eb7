import Guest
import Reports

/// The facade the command line (and later the REPL and the grader) call: resolve a program,
/// run it in a mode, compare modes, disassemble.
public enum VSim {
    /// vsim's version, shown by `vsim --version` and in report headers.
    public static let version = "0.1.0"

    /// The program `vsim compare` runs without PROG, and its default arguments: `sumsq N` with N
    /// chosen so that an interpreted run takes about 0.5–1 s in a release build.
    public static let defaultBenchmark = (name: "sumsq", arguments: ["30000000"])

    /// Resolves `program` to an ELF file (assembling a source into the cache).
    /// - Throws: ``VSimError`` (see ``ProgramResolver/resolve(_:)``).
    public static func resolve(_ program: ProgramReference) throws(VSimError) -> ResolvedProgram {
        try ProgramResolver().resolve(program)
    }

    /// Runs `program` once in `mode` with `arguments` as argv[1...].
    /// - Throws: ``VSimError`` when the run cannot start (missing or malformed program, a host
    ///   tool missing, `--trace` with a mode that cannot trace). A guest fault or a limit is a
    ///   normal result (see ``RunResult/exitStatus`` and ``RunResult/diagnostic``).
    public static func run(program: ProgramReference, mode: Mode, arguments: [String] = [],
                           options: RunOptions = RunOptions()) throws(VSimError) -> RunResult {
        if options.system && mode != .interpret {
            throw .usage("--system needs --mode interpret (the \(mode) mode runs the program without the guest kernel)")
        }
        if options.traces.contains(.traps) && mode != .trap && mode != .hvm && mode != .pv {
            throw .usage("--trace traps needs --mode trap, hvm or pv (only the modeled VMM takes traps, exits and hypercalls)")
        }
        if !options.traces.subtracting([.traps]).isEmpty && mode != .interpret {
            throw .usage("--trace needs --mode interpret (the \(mode) mode runs the guest where vsim cannot see each instruction or system call)")
        }
        let resolved = try resolve(program)
        return try mode.backend.run(resolved, arguments: arguments, options: options)
    }

    /// The `objdump -d`-style listing of `program`'s executable sections (see ``Disassembler``).
    /// - Throws: ``VSimError`` for a missing or malformed program.
    public static func disassemble(program: ProgramReference, syntax: Syntax = .att) throws(VSimError) -> String {
        let resolved = try resolve(program)
        let image: ELFImage
        do { image = try ELFImage(path: resolved.executablePath) } catch { throw .elf(error) }
        let shown: String
        if case .path(let p) = program, resolved.sourcePath == nil { shown = p } else { shown = resolved.executablePath }
        return Disassembler.listing(image, fileName: shown, syntax: syntax)
    }

    /// Runs `program` (default: the built-in benchmark) `runs` times in each of `modes`, the modes
    /// interleaved run by run after one unmeasured warm-up run each, guest stdout captured and
    /// stdin/stderr on /dev/null, and summarises the times. Outputs and exit statuses of every run
    /// are checked against the first; differences go to ``ComparisonReport/mismatches``.
    /// - Parameters:
    ///   - arguments: argv[1...]; nil means none, or the benchmark's default size for the built-in one.
    ///   - progress: called before each run with (mode, run number (0 = warm-up), runs).
    /// - Throws: ``VSimError`` for bad options (`runs` < 1, no modes) or a program that cannot start.
    public static func compare(program: ProgramReference?, modes: [Mode], runs: Int, arguments: [String]?,
                               options: RunOptions = RunOptions(),
                               progress: ((Mode, Int, Int) -> Void)? = nil) throws(VSimError) -> ComparisonReport {
        guard runs >= 1 else { throw .usage("--runs must be at least 1 (got \(runs))") }
        guard !modes.isEmpty else { throw .usage("--modes is empty; give a comma-separated list such as interpret,native") }
        let reference = program ?? .embedded(defaultBenchmark.name)
        let args = arguments ?? (program == nil ? defaultBenchmark.arguments : [])
        let resolved = try resolve(reference)
        var runOptions = options
        runOptions.io = .capture
        runOptions.traces = []

        var results: [Mode: [RunResult]] = [:]
        var mismatches: [String] = []
        var first: (mode: Mode, run: Int, result: RunResult)? = nil
        func check(_ r: RunResult, _ mode: Mode, _ run: Int) {
            guard let f = first else { first = (mode, run, r); return }
            let this = run == 0 ? "\(mode) warm-up run" : "\(mode) run \(run)"
            let that = f.run == 0 ? "\(f.mode) warm-up run" : "\(f.mode) run \(f.run)"
            if r.exitStatus != f.result.exitStatus {
                var m = "\(this) exited with status \(r.exitStatus) but \(that) with \(f.result.exitStatus)"
                if let d = r.diagnostic ?? f.result.diagnostic { m += " (\(d))" }
                mismatches.append(m)
            }
            if r.output != f.result.output {
                let a = r.output ?? [], b = f.result.output ?? []
                let at = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) ?? min(a.count, b.count)
                mismatches.append("\(this) printed different output than \(that) (\(a.count) vs \(b.count) bytes, first difference at byte \(at))")
            }
            if let n = r.instructions, let m = f.result.instructions, n != m {
                mismatches.append("\(this) executed \(n) instructions but \(that) \(m): the run is not deterministic")
            }
        }
        for run in 0...runs {
            for mode in modes {
                progress?(mode, run, runs)
                let r = try mode.backend.run(resolved, arguments: args, options: runOptions)
                check(r, mode, run)
                if run > 0 { results[mode, default: []].append(r) }
            }
        }
        let counted = modes.compactMap { results[$0]?.first?.instructions }.first
        let summaries = modes.map { mode -> ComparisonReport.ModeSummary in
            let rs = results[mode] ?? []
            let own = rs.first?.instructions
            let command = (["vsim", "run", "--mode", mode.rawValue, reference == .embedded(defaultBenchmark.name) && program == nil
                            ? resolved.executablePath : resolved.displayName] + (args.isEmpty ? [] : ["--"] + args))
                .joined(separator: " ")
            return ComparisonReport.ModeSummary(
                mode: mode.rawValue, command: command,
                wallTimes: Statistics(rs.map(\.wallTimeSeconds)),
                instructions: own ?? counted, instructionsFromOtherMode: own == nil && counted != nil,
                exitStatuses: rs.map(\.exitStatus), maxResidentBytes: rs.compactMap(\.maxResidentBytes).max())
        }
        let header = ComparisonReport.Header(vsimVersion: version, hostCPU: HostInfo.cpu(), kernel: HostInfo.kernel(),
                                             date: HostInfo.date(), program: reference.displayName, arguments: args,
                                             runs: runs)
        return ComparisonReport(header: header, modes: summaries,
                                baselineMode: modes.contains(.native) ? Mode.native.rawValue : nil,
                                mismatches: mismatches)
    }
}
