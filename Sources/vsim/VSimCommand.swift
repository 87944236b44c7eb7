import ArgumentParser
import VSim
#if canImport(Glibc)
import Glibc
#endif

@main
struct VSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vsim",
        abstract: "Run one i386 guest program under many virtualization strategies, measured.",
        discussion: """
        PROG is a static i386 Linux ELF executable, a .s/.S source that vsim assembles with \
        `as --32` and links with `ld -m elf_i386`, or a .c source that it compiles with \
        `gcc -m32 -static -O2 ... -lm`, into a cache ($XDG_CACHE_HOME/vsim, ~/.cache/vsim, \
        or $TMPDIR/vsim-cache-UID without HOME; see docs/user-guide.md).

        Modes: \(Mode.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; ")).

        Exit status (all of them, with what to do: docs/exit-status.md):
          0-255       the guest's own exit status (`vsim run`)
          128+signal  the guest was ended by a fault, as Linux would end it:
                      #DE -> SIGFPE 136, #UD -> SIGILL 132, #GP/#PF -> SIGSEGV 139,
                      INT3 -> SIGTRAP 133; 134: the guest machine stopped
          152         the guest ran past --max-instructions or the host
                      --time-limit (128+SIGXCPU)
          141         also: vsim's own stdout or stderr is a pipe whose reader
                      has gone (`vsim compare | head -1`); vsim stops there
          64          usage error (bad option or argument)
          65          malformed input: not an ELF, truncated, wrong
                      class/machine/type, entry outside every segment
          66          the program file does not exist or cannot be read
          69          a required host tool is missing (as, ld, cpp, gcc) or
                      building the source failed
          73          an output file cannot be created: the assembly cache
                      directory (cannot be created, written or trusted) or a
                      `compare --export-*` file
          70          internal error in vsim (a bug: please report it)
          1           `vsim compare`: runs disagreed (different output or exit
                      status)
        """,
        version: VSim.version,
        subcommands: [RunCommand.self, DisasmCommand.self, CompareCommand.self, ContainerCommand.self, ImageCommand.self, TranslateCommand.self, ReplCommand.self,
                      LabCommand.self, GradeCommand.self, HomeworkCommand.self, NanobenchCommand.self]
    )

    /// Keeps a closed stdin, stdout or stderr from being reused by the first file vsim opens, and
    /// hands `lab` and `grade` to the vsim-lab executable (``LabExecutable``) before any parsing.
    static func main() {
        StandardDescriptors.reserve()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if LabExecutable.runs(arguments) { Glibc.exit(LabExecutable.exec(arguments)) }
        main(nil)
    }
}

/// Runs a facade call and ends vsim with its ``ExitStatus`` if it throws one.
func exiting(_ body: () throws(ExitStatus) -> Void) {
    do { try body() } catch { exitVSim(error.code) }
}

/// Ends vsim with `status` (the guest's, or a command's documented status), printing nothing more:
/// what swift-argument-parser does for a thrown ``ExitCode``, but without the usage text it builds
/// first and then leaves unprinted (0.47 M host instructions, 2.5% of a `vsim run` of a program that
/// exits 1: docs/performance.md). Buffered standard output is flushed by exit(3), as before.
func exitVSim(_ status: Int32) -> Never { Glibc.exit(status) }
