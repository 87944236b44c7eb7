import Guest
#if canImport(Glibc)
import Glibc
#endif
import HostIO

/// What to trace on stderr during a run (`--trace`).
public enum TraceKind: String, CaseIterable, Sendable {
    /// Each instruction before it executes: address, bytes, AT&T text (interpret only).
    case insns
    /// Each system call, strace-style (interpret only).
    case syscalls
    /// Each trap or VM exit the modeled VMM takes: guest EIP, instruction, reason, what the VMM
    /// did, modeled cycles (trap, hvm).
    case traps
}

/// The engine that executes guest instructions under the guest kernel (`--engine`).
public enum Engine: String, CaseIterable, Sendable {
    case interpret, translate
}

/// Where the guest's standard descriptors go.
public enum GuestIO: Sendable, Equatable {
    /// vsim's own stdin, stdout and stderr.
    case inherit
    /// stdin from /dev/null, stdout captured whole into ``RunResult/output`` (through an unlinked
    /// temporary file), stderr to /dev/null.
    case capture
    /// stdin from /dev/null, stdout and stderr to /dev/null.
    case discard
    /// What `compare` uses: stdin from `input` (an open host descriptor, read from its current
    /// offset; nil: /dev/null), stdout streamed into `output` (size, SHA-256 and a bounded
    /// prefix, nothing stored), stderr to /dev/null. ``RunResult/output`` stays nil.
    case stream(input: Int32?, output: StreamedOutput)
}

/// Options of one run.
public struct RunOptions: Sendable {
    /// The default instruction budget: 10 billion (about a minute of interpretation).
    public static let defaultMaxInstructions: UInt64 = 10_000_000_000
    /// The default host time limit: 60 s.
    public static let defaultTimeLimit: Duration = .seconds(60)

    /// Guest instructions before the run stops with SIGXCPU (152). Interpret only.
    public var maxInstructions: UInt64 = RunOptions.defaultMaxInstructions
    /// Host wall time before the run stops with SIGXCPU (152); every mode.
    public var timeLimit: Duration = RunOptions.defaultTimeLimit
    public var traces: Set<TraceKind> = []
    /// Run the guest kernel of programs/kernel/ with the program (`--system`, interpret only).
    public var system = false
    /// The guest kernel source (`.s`) to boot instead of ``GuestKernel/sourcePath`` (a lab that
    /// has students change the kernel); nil: the default kernel. Built into the cache like it.
    public var kernelSource: String? = nil
    /// Guest instructions between two timer interrupts under `--system` (nil: the default,
    /// ``SystemBackend/defaultTimerPeriod``; 0: no timer).
    public var timerPeriod: UInt32? = nil
    /// The cost-model preset (`--cpu`: merom, nehalem, haswell, cascadelake) for trap and hvm.
    public var cpu: String = "haswell"
    /// A file of `name = value` lines overriding cost-model constants (`--cost-model`).
    public var costModelPath: String? = nil
    /// Set CR4.UMIP under trap: SGDT SIDT SLDT SMSW STR then fault and the VMM emulates them.
    public var umip = false
    /// interpret with the guest kernel: price the run with ``BareMetalMeter`` (vsim nanobench's
    /// native-equivalent row).
    var bareMetalCycles = false
    /// Under hvm: EPT on (true) or off (false, shadow paging); nil: the cost preset's CPU.
    public var ept: Bool?
    /// What executes the guest under the guest kernel (`--engine`; trap, hvm, pv, unikernel, and
    /// bt's user code): the translator (default: the faster, and every count, trap, exit,
    /// hypercall, callout and modeled cycle is the same on both, since the machine's loop hands
    /// the engine exactly the instructions up to the next event) or the interpreter.
    /// `--mode translate --system` implies translate; `--mode interpret --system` runs the
    /// interpreter whatever this says (``Mode/engine(_:)``).
    public var engine: Engine = .translate
    public var io: GuestIO = .inherit
    /// The guest's environment (`NAME=value`); nil passes vsim's own.
    public var environment: [String]? = nil
    /// Seed of vsim's generator (AT_RANDOM bytes).
    public var seed: UInt64 = SeededGenerator.defaultSeed
    /// The host directory the program sees as `/` (`--root`): under interpret and translate
    /// without `--system` vsim serves its files from there (nil: the guest has no file system,
    /// ``GuestRoot`` in the Guest module); under ptrace the tracer rewrites paths into it (nil:
    /// the host's `/`).
    public var root: String? = nil
    /// Whether interpret and translate measure the run's peak resident set (``PeakMemory``:
    /// a reset of the kernel's high-water mark before, `/proc/self/status` read after) into
    /// ``RunResult/maxResidentBytes``; `vsim run`, which never shows it, turns it off
    /// (0.7 M host instructions of a do-nothing run's 18.8 M: docs/performance.md).
    public var measurePeakMemory = true
    /// Guest RAM in bytes for the guest kernel's machine (`--memory`; ``GuestMemorySize``: a
    /// multiple of 4 MiB from 8 MiB to 3 GiB); nil: ``GuestMemorySize/default``, 32 MiB.
    public var memory: UInt32? = nil
    /// Receives trace lines (without newline); default: stderr.
    public var traceSink: @Sendable (String) -> Void = { line in writeStandardError(line + "\n") }

    public init() {}

    /// The options set to other than their defaults, which ``VSim/run(program:mode:arguments:options:)``
    /// checks against the mode (``GuestOption``).
    public var nonDefaultOptions: Set<GuestOption> {
        let defaults = RunOptions()
        var set = Set(traces.map(GuestOption.trace))
        if maxInstructions != defaults.maxInstructions { set.insert(.maxInstructions) }
        if system { set.insert(.system) }
        if timerPeriod != nil { set.insert(.timer) }
        if cpu != defaults.cpu { set.insert(.cpu) }
        if costModelPath != nil { set.insert(.costModel) }
        if umip { set.insert(.umip) }
        if ept != nil { set.insert(.ept) }
        if engine != defaults.engine { set.insert(.engine) }
        if root != nil { set.insert(.root) }
        if memory != nil { set.insert(.memory) }
        return set
    }
}

/// Writes `text` to fd 2 in one write where possible; a reader that has gone ends vsim with 141
/// (``StandardStreams/write(_:to:)``: a `--trace` read by `head` stops the run there).
public func writeStandardError(_ text: String) {
    StandardStreams.write(text, to: 2)
}
