import Foundation
import Guest
import Machine
import Testing
import VSim
#if canImport(Glibc)
import Glibc
#endif

/// Under the guest kernel, every path by which the program writes its stdout stops the machine
/// once the pipe's reader has gone, with 141 (128 + SIGPIPE), the status the console (the UART)
/// already gave: a write forwarded to the host-call device (a `dup` of fd 1, under every kernel
/// mode: the PV kernel's `host_call` hypercall reaches the same device) stops it the same way,
/// through ``SystemMachine/outputReaderGone()``. Oracles:
/// - HostCallPrograms/stdout_epipe.s ignores SIGPIPE and every EPIPE and writes for ever
///   (natively it never ends): the run must end with 141 long before its 5,000,000-instruction
///   budget (without the stop it would end there, `.instructionLimit`), and its forwarded
///   writes are counted as host calls (the path under test was taken);
/// - HostCallPrograms/own_pipe_epipe.s writes to a pipe of its own whose reader it closed and
///   exits with -result: 32 (EPIPE) natively, and the same under every mode: only the run's
///   own output losing its reader stops the machine.
/// No kill request is involved (nothing reads the output at all): the stop is the write's.
@Suite("A guest output whose reader has gone")
struct OutputReaderGoneTests {
    static let directory = ProgramsHarness.repositoryRoot + "/Tests/VSimTests/HostCallPrograms"
    static let budget: UInt64 = 5_000_000

    /// Every mode that runs the guest kernel, on both engines: the VMM modes and `--system`.
    static let kernelRuns: [(mode: Mode, engine: Engine)] =
        HostCallTests.kernelModes + [(.interpret, .interpret), (.translate, .translate)]

    /// Boots `exe` under `mode` on `engine` with the guest's stdout (and stderr) the write end of
    /// a pipe whose read end is already closed, and runs it to its end or `budget`.
    static func runWithReaderGone(_ exe: String, mode: Mode, engine: Engine) throws -> (SystemStopReason, [String: UInt64]) {
        signal(SIGPIPE, SIG_IGN)        // as the grader: this process must see EPIPE, not die of SIGPIPE
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        defer { close(ends[1]) }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        var options = RunOptions()
        options.environment = []
        let program = try VSim.resolve(.path(exe))
        let platform = try GuestKernelPlatform(mode: mode, program: program, arguments: [], options: options)
        let booted = try platform.boot(stdio: GuestStdio(input: null, output: ends[1], error: ends[1]))
        let kernelEngine = try GuestKernelEngine(machine: booted.machine, engine: engine)
        let stop = kernelEngine.run(maxInstructions: budget, deadline: .now + .seconds(600))
        booted.monitor?.finish(stop, machine: booted.machine)
        return (stop, booted.hostCalls.calls)
    }

    @Test("a forwarded write to stdout's pipe without a reader stops the machine with 141, in every kernel mode on both engines")
    func forwardedWriteStopsTheMachine() throws {
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "readergone")
        let exe = try ProgramsHarness.build(sourcePath: Self.directory + "/stdout_epipe.s", into: dir)
        for (mode, engine) in Self.kernelRuns {
            let (stop, calls) = try Self.runWithReaderGone(exe, mode: mode, engine: engine)
            #expect(stop == .exited(status: 128 + 13), "\(mode) on \(engine): \(stop)")
            #expect(calls["dup"] == 1, "\(mode) on \(engine): the dup was forwarded: \(calls)")
            #expect((calls["write"] ?? 0) >= 1, "\(mode) on \(engine): the writes were forwarded: \(calls)")
        }
    }

    @Test("a pipe of the program's own without a reader: -EPIPE to the program, the machine goes on (exit 32, as natively)")
    func ownPipeDoesNotStopTheMachine() throws {
        try ProgramsHarness.requireTools(["as", "ld"])
        let dir = try ProgramsHarness.temporaryDirectory(prefix: "ownpipe")
        let exe = try ProgramsHarness.build(sourcePath: Self.directory + "/own_pipe_epipe.s", into: dir)
        let native = try ProgramsHarness.run([exe], directExecutable: true)
        #expect(native.status == 32, "natively: \(native.status) \(native.stderr)")
        for (mode, engine) in Self.kernelRuns {
            let (stop, calls) = try Self.runWithReaderGone(exe, mode: mode, engine: engine)
            #expect(stop == .exited(status: native.status), "\(mode) on \(engine): \(stop)")
            #expect(calls["write"] == 1, "\(mode) on \(engine): \(calls)")
        }
    }
}
