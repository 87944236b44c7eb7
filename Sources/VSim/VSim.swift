import Guest
import Reports
#if canImport(Glibc)
import Glibc
#endif

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
        if options.system && mode != .interpret && mode != .translate {
            throw .usage("--system needs --mode interpret or translate (the \(mode) mode runs the program without vsim's machine)")
        }
        if options.engine == .translate && mode != .trap && mode != .hvm && mode != .pv {
            throw .usage("--engine translate is for --mode trap, hvm or pv (use --mode translate, with --system for the guest kernel)")
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
    /// interleaved run by run after one unmeasured warm-up run each, and summarises the times.
    /// Every run gets the same stdin (`input`, or /dev/null when nil) and stderr on /dev/null; its
    /// stdout is streamed into a size and SHA-256 (``StreamedOutput``: bounded memory, no disk).
    /// Output and exit status of every run are checked against the first run's; differences go to
    /// ``ComparisonReport/mismatches`` and mark the modes involved
    /// (``ComparisonReport/ModeSummary/disagrees``), whose counts are then not copied across modes.
    /// - Parameters:
    ///   - arguments: argv[1...]; nil means none, or the benchmark's default size for the built-in one.
    ///   - input: the bytes every run reads as its stdin (nil: none).
    ///   - progress: called before each run with (mode, run number (0 = warm-up), runs).
    /// - Throws: ``VSimError`` for bad options (`runs` < 1, no modes) or a program that cannot start.
    public static func compare(program: ProgramReference?, modes: [Mode], runs: Int, arguments: [String]?,
                               options: RunOptions = RunOptions(), input: [UInt8]? = nil,
                               progress: ((Mode, Int, Int) -> Void)? = nil) throws(VSimError) -> ComparisonReport {
        guard runs >= 1 else { throw .usage("--runs must be at least 1 (got \(runs))") }
        guard !modes.isEmpty else { throw .usage("--modes is empty; give a comma-separated list such as interpret,native") }
        let reference = program ?? .embedded(defaultBenchmark.name)
        let args = arguments ?? (program == nil ? defaultBenchmark.arguments : [])
        let resolved = try resolve(reference)
        var runOptions = options
        runOptions.traces = []
        // The stdin bytes, in an unlinked file rewound before each run.
        var inputDescriptor: Int32? = nil
        if let input {
            let fd = try TempFile.anonymous()
            inputDescriptor = fd
            var done = 0
            while done < input.count {
                let n = input.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { close(fd); throw .host("cannot store stdin for the runs: \(String(cString: strerror(errno)))") }
                done += n
            }
        }
        defer { if let fd = inputDescriptor { close(fd) } }

        var results: [Mode: [RunResult]] = [:]
        var mismatches: [String] = []
        var disagreeing: Set<Mode> = []
        var first: (mode: Mode, run: Int, result: RunResult, output: StreamedOutput.Summary)? = nil
        // Instruction counts agree across user-mode runs; a mode with the guest kernel (trap,
        // hvm, pv) also counts the kernel's instructions, so it is compared with itself only.
        func domain(_ m: Mode) -> String { m == .trap || m == .hvm || m == .pv ? m.rawValue : "user" }
        var firstCounted: [String: (mode: Mode, run: Int, instructions: UInt64)] = [:]
        func check(_ r: RunResult, _ out: StreamedOutput.Summary, _ mode: Mode, _ run: Int) {
            guard let f = first else {
                first = (mode, run, r, out)
                if let n = r.instructions { firstCounted[domain(mode)] = (mode, run, n) }
                return
            }
            let this = run == 0 ? "\(mode) warm-up run" : "\(mode) run \(run)"
            let that = f.run == 0 ? "\(f.mode) warm-up run" : "\(f.mode) run \(f.run)"
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
                        let other = c.run == 0 ? "\(c.mode) warm-up run" : "\(c.mode) run \(c.run)"
                        mismatches.append("\(this) executed \(n) instructions but \(other) \(c.instructions): the run is not deterministic")
                        disagreeing.formUnion([mode, c.mode])
                    }
                } else {
                    firstCounted[domain(mode)] = (mode, run, n)
                }
            }
        }
        for run in 0...runs {
            for mode in modes {
                progress?(mode, run, runs)
                if let fd = inputDescriptor { lseek(fd, 0, SEEK_SET) }
                let output = try StreamedOutput()
                runOptions.io = .stream(input: inputDescriptor, output: output)
                let r: RunResult
                do { r = try mode.backend.run(resolved, arguments: args, options: runOptions) } catch {
                    _ = output.finish()
                    throw error
                }
                check(r, output.finish(), mode, run)
                if run > 0 { results[mode, default: []].append(r) }
            }
        }
        // A count holds for every mode only when they all computed the same thing.
        let counted = mismatches.isEmpty ? modes.compactMap { results[$0]?.first?.instructions }.first : nil
        let summaries = modes.map { mode -> ComparisonReport.ModeSummary in
            let rs = results[mode] ?? []
            let own = rs.first?.instructions
            let command = (["vsim", "run", "--mode", mode.rawValue, reference == .embedded(defaultBenchmark.name) && program == nil
                            ? resolved.executablePath : resolved.displayName] + (args.isEmpty ? [] : ["--"] + args))
                .joined(separator: " ")
            var summary = ComparisonReport.ModeSummary(
                mode: mode.rawValue, command: command,
                wallTimes: Statistics(rs.map(\.wallTimeSeconds)),
                instructions: own ?? counted, instructionsFromOtherMode: own == nil && counted != nil,
                exitStatuses: rs.map(\.exitStatus), maxResidentBytes: rs.compactMap(\.maxResidentBytes).max())
            summary.disagrees = disagreeing.contains(mode)
            return summary
        }
        let header = ComparisonReport.Header(vsimVersion: version, hostCPU: HostInfo.cpu(), kernel: HostInfo.kernel(),
                                             date: HostInfo.date(), program: reference.displayName, arguments: args,
                                             runs: runs)
        return ComparisonReport(header: header, modes: summaries,
                                baselineMode: modes.contains(.native) ? Mode.native.rawValue : nil,
                                mismatches: mismatches)
    }
}
