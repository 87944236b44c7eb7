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
    ///   tool missing, an option the mode cannot honour: see ``GuestOption``). A guest fault or a limit is a
    ///   normal result (see ``RunResult/exitStatus`` and ``RunResult/diagnostic``).
    public static func run(program: ProgramReference, mode: Mode, arguments: [String] = [],
                           options: RunOptions = RunOptions()) throws(VSimError) -> RunResult {
        try GuestOption.check(options.nonDefaultOptions, modes: [mode], system: options.system)
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

    /// Runs `program` (default: the built-in benchmark) `runs` times in each of `modes` after one
    /// unmeasured warm-up run each, the modes interleaved: ``runComparison(_:progress:)`` with a
    /// plan made of these arguments.
    /// - Parameters:
    ///   - arguments: argv[1...]; nil means none, or the benchmark's default size for the built-in one.
    ///   - input: the bytes every run reads as its stdin (nil: none).
    /// - Throws: ``VSimError`` for bad options (`runs` < 1, no modes) or a program that cannot start.
    public static func compare(program: ProgramReference?, modes: [Mode], runs: Int, arguments: [String]?,
                               options: RunOptions = RunOptions(), input: [UInt8]? = nil) throws(VSimError) -> ComparisonReport {
        var plan = ComparisonPlan(program: program, modes: modes)
        plan.runs = runs
        plan.arguments = arguments
        plan.options = options
        plan.input = input
        return try runComparison(plan)
    }
}
