import Machine
import X86
#if canImport(Glibc)
import Glibc
#endif
import Descriptions
import HostIO

/// What one system call did, as ``LinuxProcess/syscallRecorder`` sees it: its number, the value
/// for EAX, the exit status if it ended the process, and the guest memory it wrote.
public struct SyscallRecord: Sendable {
    public var number: UInt32
    public var value: Int32
    public var exitStatus: Int32?
    public var writes: [(address: UInt32, bytes: [UInt8])]
}

/// The host file descriptors that guest file descriptors 0, 1 and 2 stand for.
public struct GuestStdio: Sendable, Equatable {
    public var input: Int32
    public var output: Int32
    public var error: Int32
    public init(input: Int32, output: Int32, error: Int32) {
        self.input = input
        self.output = output
        self.error = error
    }
    /// vsim's own stdin, stdout and stderr.
    public static let inherited = GuestStdio(input: 0, output: 1, error: 2)
}

/// Why a ``LinuxProcess`` could not be set up.
public enum LinuxProcessError: Error, CustomStringConvertible, Sendable {
    /// The host refused to reserve or map guest memory (`detail` is what the host said).
    case memory(String)
    /// A segment overlaps the stack area below 0xC0000000.
    case segmentOverlapsStack(segment: Int, address: UInt32)
    /// argv + envp strings and pointers exceed a quarter of the stack limit, as Linux's E2BIG.
    case argumentsTooLong(bytes: Int, limit: Int)
    /// The `--root` directory cannot be opened (the message says why and what to do).
    case root(String)

    public var description: String {
        switch self {
        case .memory(let detail):
            return "cannot set up guest memory: \(detail); free host memory or address space and retry"
        case .segmentOverlapsStack(let i, let address):
            let stack = "(\(Hex.address(LinuxProcess.stackTop - LinuxProcess.stackLimit))–\(Hex.address(LinuxProcess.stackTop)))"
            if address >= LinuxProcess.stackTop {
                return "PT_LOAD program header \(i) at \(Hex.address(address)) lies above the guest stack \(stack), where vsim's "
                    + "user space ends (i386 Linux's 3 GiB split); link the program below \(Hex.address(LinuxProcess.stackTop - LinuxProcess.stackLimit))"
            }
            return "PT_LOAD program header \(i) at \(Hex.address(address)) overlaps the guest stack "
                + "\(stack); link the program lower"
        case .argumentsTooLong(let bytes, let limit):
            return "arguments and environment take \(bytes) bytes, more than the \(limit) Linux allows (E2BIG); pass fewer or shorter arguments"
        case .root(let message):
            return message
        }
    }

    /// `vsim` exit status: 70 for host memory trouble, 65 for an image that does not fit, 64 for
    /// E2BIG, 66 for a `--root` that cannot be opened.
    public var exitStatus: Int32 {
        switch self {
        case .memory: return 70
        case .segmentOverlapsStack: return 65
        case .argumentsTooLong: return 64
        case .root: return 66
        }
    }
}

/// How a guest run under ``LinuxProcess/run(maxInstructions:deadline:)`` ended.
public enum GuestTermination: Sendable {
    /// `exit`/`exit_group`: the status is already `& 0xFF`.
    case exited(status: Int32)
    /// A CPU exception Linux would turn into a signal (``CPUException/linuxSignal``).
    case fault(CPUException)
    /// The instruction budget ran out.
    case instructionLimit
    /// The host time limit passed.
    case timeLimit
    /// A signal that no CPU exception raised (kill, tkill, a timer) ended the process by its
    /// default action (terminate or core: exit status 128 + `signal`), or a signal frame could
    /// not be written (SIGSEGV); `detail` says which.
    case killed(signal: Int32, detail: String)
}

/// One i386 Linux process in user-mode emulation (like `qemu-i386`): the ELF image mapped into
/// ``GuestMemory`` with its segment permissions, the System V initial stack, the program break,
/// and the `int $0x80` system calls (``LinuxSyscalls.swift``), run by the ``Interpreter``.
///
/// Guest memory layout (as Linux i386 without address randomization):
/// - the PT_LOAD segments at their `p_vaddr`, page-granular, with `p_flags` permissions (a page
///   shared by two segments gets the union); bytes past `p_filesz` are zero (the bss);
/// - the program break from the first page boundary after the highest segment, growing up (`brk`);
/// - anonymous `mmap2` regions allocated downwards below the stack area;
/// - the stack: ``stackLimit`` bytes, read-write, ending at ``stackTop`` (0xC0000000).
///
/// Guest file descriptors 0, 1 and 2 are the host descriptors in ``stdio``; files the guest
/// opens are resolved in its root (``GuestRoot``, `--root`) and kept in its descriptor table
/// (``GuestFileTable``). Signals are delivered to handlers with Linux's i386 frames
/// (SignalDelivery.swift); the timers run on the guest clock (IntervalTimers.swift).
public final class LinuxProcess: SoftwareInterruptHandler {
    /// One past the highest stack byte (the i386 Linux `TASK_SIZE` with the 3G/1G split).
    public static let stackTop: UInt32 = 0xC000_0000
    /// Stack size: 8 MiB, the usual `ulimit -s`.
    public static let stackLimit: UInt32 = 8 << 20
    /// Process id returned by `getpid` (fixed, so runs are deterministic); `getppid` returns one less.
    public static let guestPID: Int32 = 1000
    /// The AT_PLATFORM string and `uname` machine.
    public static let platform = "i686"

    public let image: ELFImage
    public let memory: GuestMemory
    public let cpu: CPUState
    public let interpreter: Interpreter
    public let stdio: GuestStdio
    /// argv as placed on the initial stack.
    public let arguments: [String]
    /// envp as placed on the initial stack.
    public let environment: [String]

    /// When set, called with one strace-style line per system call (no newline), e.g.
    /// `write(1, "hello\n", 6) = 6`.
    public var syscallTrace: ((String) -> Void)?

    /// The host time limit of the run: a `read` or `write` that would block waits for its host
    /// descriptor at most until then, and the run then ends with ``GuestTermination/timeLimit``.
    /// ``run(maxInstructions:deadline:)`` sets it; an engine that drives ``step()`` itself sets
    /// it before. Nil: no limit.
    public var deadline: ContinuousClock.Instant? {
        get { hostCalls.deadline }
        set { hostCalls.deadline = newValue }
    }

    /// A harness's request from another thread that the process be killed (``KillRequest``: the
    /// grader past a test's `max_output`, whatever the guest does with SIGPIPE). With one set,
    /// ``run(maxInstructions:deadline:slice:)`` runs slices of at most
    /// ``Interpreter/deadlineCheckInterval`` instructions and looks at it before each, and a wait
    /// on the host (pause with nothing that could wake it) every 10 ms, so the run ends within
    /// that many instructions of the request, as killed by SIGKILL (137).
    public var killRequest: KillRequest?

    /// The current program break (`brk(0)`), and where it started.
    public internal(set) var programBreak: UInt32
    public let initialBreak: UInt32
    /// Initial ESP (address of argc).
    public let initialStackPointer: UInt32
    /// Address of the 16 AT_RANDOM bytes.
    public let randomBytesAddress: UInt32

    /// Set by an interrupt handler that must end the run with a fault (an `int n` Linux does not allow).
    var pendingFault: CPUException?
    /// Set when `exit`/`exit_group` ran.
    var exitStatus: Int32?
    /// Set when a system call waited on its host descriptor until ``deadline`` passed.
    var timedOut = false
    /// The file and time calls (descriptor table, root, working directory), on this process's
    /// memory and clocks.
    var hostCalls: LinuxHostCalls!
    /// The guest's descriptor table.
    var files: GuestFileTable { hostCalls.files }
    /// Where the guest's paths resolve (`--root`).
    var root: GuestRoot { hostCalls.root }
    /// Where the top-down search for a free `mmap2` range starts (1 MiB under the stack area,
    /// like Linux's stack guard gap); regions are placed at the highest free range below it.
    var mmapTop: UInt32
    /// Signal dispositions recorded by `rt_sigaction` (signal number → the i386 `struct
    /// kernel_sigaction`: handler, flags, restorer, mask).
    var signalActions: [Int: SignalAction] = [:]
    /// The blocked-signal mask (`rt_sigprocmask`).
    var signalMask: UInt64 = 0
    /// Generated signals not yet delivered (blocked, or waiting for the return to user mode).
    var pendingSignals: [GuestSignal] = []
    /// The mask `rt_sigsuspend` replaced, saved in the next handler's frame.
    var suspendedMask: UInt64?
    /// The alternate signal stack (`sigaltstack`).
    var altStack = AlternateStack()
    /// The last trap's number and error code, and the last `#PF` address (sigcontext trapno,
    /// err, cr2).
    var lastTrap: TrapRecord?
    var faultAddressForContext: UInt32 = 0
    /// Set when a signal ends the process (its number and what happened).
    var fatalSignal: (Int, String)?
    /// Signal frames set up so far (the lockstep checker compares them).
    public internal(set) var signalsDelivered: UInt64 = 0
    /// ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF.
    var timers = [IntervalTimer](repeating: IntervalTimer(), count: 3)
    /// Guest nanoseconds slept (the guest clock is instructions + this).
    var sleptNanoseconds: UInt64 = 0
    /// Set by a system call that changed the timers: the running slice ends after it, so that
    /// the next one stops where the timer expires.
    var reschedule = false
    /// System calls already reported as not implemented (each is reported once).
    var reportedUnimplemented: Set<String> = []
    /// When set, called after each system call with what it did (for a lockstep reference run).
    public var syscallRecorder: ((SyscallRecord) -> Void)?
    /// When set, the next recorded system call of the run this one mirrors: calls whose result
    /// depends on the host (reads, clocks, descriptor queries, writes) take the recorded result
    /// and guest-memory writes instead of asking the host again (`run --check`).
    public var syscallReplay: (() -> SyscallRecord?)?
    /// The guest-memory writes of the system call in progress, while recording.
    var recordedWrites: [(UInt32, [UInt8])]?
    /// Called once per system call vsim does not implement (it returns -ENOSYS), with a line
    /// for vsim's stderr; by default written to vsim's own stderr (host fd 2).
    public var notice: (String) -> Void = { line in
        StandardStreams.write(line + "\n", to: 2)
    }

    /// Maps `image`, builds the initial stack and points the CPU at `e_entry`.
    ///
    /// - Parameters:
    ///   - argv: the arguments, `argv[0]` first (conventionally the program path).
    ///   - envp: `NAME=value` strings.
    ///   - stdio: host descriptors behind guest fds 0, 1, 2.
    ///   - executablePath: the AT_EXECFN string (default: `argv[0]`, or the image path).
    ///   - randomSeed: seed of the ``SeededGenerator`` that fills the AT_RANDOM bytes.
    ///   - root: the host directory the guest sees as `/` (nil: no file system, ``GuestRoot``).
    /// - Throws: ``LinuxProcessError``.
    public init(image: ELFImage, argv: [String], envp: [String], stdio: GuestStdio = .inherited,
                executablePath: String? = nil, randomSeed: UInt64 = SeededGenerator.defaultSeed,
                root: String? = nil) throws(LinuxProcessError) {
        self.image = image
        self.stdio = stdio
        self.arguments = argv
        self.environment = envp
        do { memory = try GuestMemory() } catch { throw .memory("reserving the 4 GiB guest address space: \(error)") }
        cpu = CPUState()
        interpreter = Interpreter(cpu: cpu, memory: memory)

        let stackBottom = LinuxProcess.stackTop - LinuxProcess.stackLimit
        for segment in image.segments where segment.endAddress > UInt64(stackBottom) {
            throw .segmentOverlapsStack(segment: segment.index, address: segment.virtualAddress)
        }
        try LinuxProcess.mapSegments(image, into: memory)

        let brk = LinuxProcess.pageRoundUp(image.highestAddress)
        initialBreak = brk
        programBreak = brk
        mmapTop = stackBottom - (1 << 20)       // a 1 MiB gap under the stack, like Linux's stack guard gap

        // No-execute as Linux enforces it for a 32-bit process on an NX CPU: without PT_GNU_STACK
        // the process has READ_IMPLIES_EXEC (nothing is checked); with it, a fetch from a page
        // without execute permission is a #PF (SIGSEGV), and the stack is executable only when
        // PT_GNU_STACK has PF_X.
        memory.executeDisable = image.stackPermissions != nil
        let stackExecutable = image.stackPermissions?.contains(.execute) ?? true
        do {
            try memory.map(address: stackBottom, size: LinuxProcess.stackLimit,
                           permissions: stackExecutable ? [.read, .write, .execute] : [.read, .write])
        } catch { throw .memory("mapping the stack at \(Hex.address(stackBottom)): \(error)") }
        var random = SeededGenerator(seed: randomSeed)
        let layout = try InitialStack.build(image: image, argv: argv, envp: envp,
                                            executablePath: executablePath ?? argv.first ?? image.path,
                                            randomBytes: random.bytes(16), top: LinuxProcess.stackTop,
                                            limit: Int(LinuxProcess.stackLimit) / 4)
        let guestMemory = memory
        do {
            try layout.bytes.withUnsafeBytes { try guestMemory.load($0, at: layout.stackPointer) }
        } catch { throw .memory("writing the initial stack: \(error)") }
        initialStackPointer = layout.stackPointer
        randomBytesAddress = layout.randomBytesAddress

        cpu.eip = image.entry
        for r in 0..<8 { cpu[reg32: r] = 0 }
        cpu[reg32: 4] = layout.stackPointer
        interpreter.interruptHandler = self
        hostCalls = try LinuxHostCalls(space: self, clock: self, stdio: stdio, root: root, executablePath: image.path,
                                       randomSeed: randomSeed, notice: { [unowned self] line in self.notice(line) })
    }

    /// Runs on the interpreter until the guest exits, dies of a signal, or a limit is reached;
    /// faults and signals with handlers are delivered on the way.
    /// - Parameters:
    ///   - maxInstructions: instruction budget for this call.
    ///   - deadline: host time after which the run stops (nil: none).
    public func run(maxInstructions: UInt64, deadline: ContinuousClock.Instant?) -> GuestTermination {
        var budget = maxInstructions
        if !hasSignalWork && exitStatus == nil && killRequest == nil {
            // No timer, nothing pending: one slice, as before signals existed (the lockstep
            // checker calls this once per block).
            self.deadline = deadline
            let start = interpreter.instructionsExecuted
            let r = termination(for: interpreter.run(maxInstructions: maxInstructions, deadline: deadline))
            let used = interpreter.instructionsExecuted - start
            switch r {
            case .fault(let e) where !e.isDebuggerBreakpoint:
                guard takeFault(e) else { return fatalEnding ?? r }
            case .instructionLimit where used < maxInstructions:
                break                          // a system call ended the slice
            default:
                return r
            }
            budget = maxInstructions - used
        }
        return run(maxInstructions: budget, deadline: deadline) { [interpreter] n in
            self.termination(for: interpreter.run(maxInstructions: n, deadline: deadline))
        }
    }

    /// Runs the guest through `slice` (an engine: the interpreter, or the translator whose main
    /// loop steps instructions through ``executeInstruction()``) in slices that end where an
    /// interval timer expires: delivers CPU exceptions to their handlers (``takeFault(_:)``)
    /// and expired timers' signals, and returns when the guest exits or dies, or at the budget
    /// (``GuestTermination/instructionLimit``) or `deadline`. `slice(n)` runs at most `n`
    /// instructions and returns how it stopped (``GuestTermination/instructionLimit`` when the
    /// count ran out or a system call ended the slice early).
    public func run(maxInstructions: UInt64, deadline: ContinuousClock.Instant?,
                    slice: (UInt64) -> GuestTermination) -> GuestTermination {
        if let status = exitStatus { return .exited(status: status) }
        self.deadline = deadline
        let start = interpreter.instructionsExecuted
        let end = start &+ maxInstructions < start ? UInt64.max : start + maxInstructions
        while true {
            if killRequest?.isRequested == true { return Self.killedByRequest }
            let work = hasSignalWork
            if work, let ending = signalsAtSliceStart() { return ending }
            let now = interpreter.instructionsExecuted
            if now >= end { return .instructionLimit }
            var n = end - now
            if work, let t = instructionsUntilTimer { n = min(n, max(t, 1)) }
            if killRequest != nil { n = min(n, Interpreter.deadlineCheckInterval) }
            let result = slice(n)
            switch result {
            case .fault(let e) where !e.isDebuggerBreakpoint:
                if takeFault(e) { continue }
                if let (signal, detail) = fatalSignal { return .killed(signal: Int32(signal), detail: detail) }
                return result
            case .instructionLimit:
                continue
            default:
                return result
            }
        }
    }

    /// How a run ends at its ``killRequest``: SIGKILL, which no handler or SIG_IGN can take.
    static let killedByRequest = GuestTermination.killed(
        signal: KillRequest.signal, detail: "SIGKILL from the harness that runs it (the grader, past the test's max_output)")

    /// How a signal ended the guest, if one did.
    public var fatalEnding: GuestTermination? {
        fatalSignal.map { .killed(signal: Int32($0.0), detail: $0.1) }
    }

    /// Whether a timer is armed or a signal is pending (else an engine may run without slicing).
    public var hasSignalWork: Bool {
        !pendingSignals.isEmpty || fatalSignal != nil || timers[0].due != nil || timers[1].due != nil || timers[2].due != nil
    }

    /// Fires expired timers and delivers what is pending; the ending if a signal killed the guest.
    func signalsAtSliceStart() -> GuestTermination? {
        if instructionsUntilTimer == 0 { fireTimers() }
        if !pendingSignals.isEmpty { deliverPending() }
        if let (signal, detail) = fatalSignal { return .killed(signal: Int32(signal), detail: detail) }
        return nil
    }

    /// Executes one instruction with signal delivery (a fault with a handler enters the handler;
    /// an expired timer's signal is delivered first); nil while the guest goes on.
    public func step() -> GuestTermination? {
        if let status = exitStatus { return .exited(status: status) }
        if let ending = signalsAtSliceStart() { return ending }
        switch executeInstruction() {
        case .fault(let e)? where !e.isDebuggerBreakpoint:
            if takeFault(e) { return nil }
            if let (signal, detail) = fatalSignal { return .killed(signal: Int32(signal), detail: detail) }
            return .fault(e)
        case .instructionLimit?:
            return nil
        case let other:
            return other
        }
    }

    /// Executes the instruction at EIP on the interpreter, serving a system call, without
    /// delivering a fault to a handler: the fault comes back (as from an engine's slice) for
    /// ``run(maxInstructions:deadline:slice:)`` to deliver. For an engine's main loop (the
    /// translator's step hook). ``GuestTermination/instructionLimit``: the instruction ended the
    /// slice (a system call changed the timers).
    public func executeInstruction() -> GuestTermination? {
        if let status = exitStatus { return .exited(status: status) }
        return interpreter.step().map(termination(for:))
    }

    func termination(for reason: StopReason) -> GuestTermination {
        if timedOut { return .timeLimit }
        if let fault = pendingFault {
            pendingFault = nil
            return .fault(fault)
        }
        if let (signal, detail) = fatalSignal { return .killed(signal: Int32(signal), detail: detail) }
        switch reason {
        case .exited(let status):
            if let s = exitStatus { return .exited(status: s) }
            if reschedule { reschedule = false; return .instructionLimit }
            return .exited(status: status)
        case .exception(let e): return .fault(e)
        case .instructionLimit: return .instructionLimit
        case .timeLimit: return .timeLimit
        }
    }

    // MARK: SoftwareInterruptHandler

    /// `int $0x80` is a system call; `int $3` a breakpoint (SIGTRAP); `int $4` an overflow trap;
    /// any other vector faults with `#GP` as on Linux, where those gates have DPL 0 (SIGSEGV).
    public func softwareInterrupt(_ vector: UInt8, cpu: CPUState, memory: GuestMemory) -> InterruptOutcome {
        switch vector {
        case 0x80:
            return systemCall(cpu: cpu)
        case 3:
            pendingFault = CPUException(vector: .bp, eip: cpu.eip, detail: "int $0x3")
        case 4:
            pendingFault = CPUException(vector: .of, eip: cpu.eip, detail: "int $0x4")
        default:
            pendingFault = CPUException(vector: .gp, errorCode: UInt32(vector) << 3 | 2, eip: cpu.eip &- 2,
                                        detail: "int $0x\(String(vector, radix: 16)): the gate is not open to user mode (Linux only allows int $0x80, $3, $4)")
        }
        return .stop(exitStatus: 128 + pendingFault!.linuxSignal)
    }

    // MARK: Memory helpers

    static func pageRoundUp(_ value: UInt64) -> UInt32 {
        let page = UInt64(GuestMemory.pageSize)
        return UInt32(truncatingIfNeeded: min((value + page - 1) / page * page, 0xFFFF_F000))
    }

    static func pageRoundDown(_ value: UInt32) -> UInt32 { value & ~(GuestMemory.pageSize - 1) }

    /// Maps the segments page by page (the union of permissions where two share a page) and loads
    /// their file bytes.
    static func mapSegments(_ image: ELFImage, into memory: GuestMemory) throws(LinuxProcessError) {
        let spans = image.segments.filter { $0.memorySize > 0 }.map { s in
            (start: UInt64(pageRoundDown(s.virtualAddress)), end: UInt64(pageRoundUp(s.endAddress)),
             permissions: pagePermissions(s.permissions))
        }
        let bounds = Set(spans.flatMap { [$0.start, $0.end] }).sorted()
        var runs: [(start: UInt64, end: UInt64, permissions: PagePermissions)] = []
        for (lo, hi) in zip(bounds, bounds.dropFirst()) {
            let covering = spans.filter { $0.start <= lo && hi <= $0.end }
            guard !covering.isEmpty else { continue }
            let perms = covering.reduce(PagePermissions()) { $0.union($1.permissions) }
            if let last = runs.last, last.end == lo, last.permissions == perms {
                runs[runs.count - 1].end = hi
            } else {
                runs.append((lo, hi, perms))
            }
        }
        for run in runs {
            do {
                try memory.map(address: UInt32(run.start), size: UInt32(run.end - run.start), permissions: run.permissions)
            } catch {
                throw .memory("mapping \(Hex.address(UInt32(run.start)))–\(Hex.address(UInt32(truncatingIfNeeded: run.end))): \(error)")
            }
        }
        for s in image.segments where !s.fileBytes.isEmpty {
            do {
                try s.fileBytes.withUnsafeBytes { try memory.load($0, at: s.virtualAddress) }
            } catch { throw .memory("loading program header \(s.index) at \(Hex.address(s.virtualAddress)): \(error)") }
        }
    }

    static func pagePermissions(_ p: ELFSegmentPermissions) -> PagePermissions {
        var out: PagePermissions = []
        if p.contains(.read) { out.insert(.read) }
        if p.contains(.write) { out.insert(.write) }
        if p.contains(.execute) { out.insert(.execute) }
        return out
    }
}

/// The i386 System V initial process stack, laid out as Linux's `create_elf_tables` does
/// (fs/binfmt_elf.c), without randomization:
///
/// ```
/// top (0xC0000000) - 4:   AT_EXECFN string, envp strings, argv strings (argv[0] lowest)
///                         "i686\0" (AT_PLATFORM), 16 AT_RANDOM bytes, padding to 16
/// ESP (16-byte aligned):  argc, argv[0..argc-1], NULL, envp[0..], NULL, auxv pairs, AT_NULL
/// ```
struct InitialStack {
    var stackPointer: UInt32
    var randomBytesAddress: UInt32
    /// Bytes from `stackPointer` up to `top`.
    var bytes: [UInt8]

    // Auxiliary vector keys (include/uapi/linux/auxvec.h).
    static let AT_NULL: UInt32 = 0, AT_PHDR: UInt32 = 3, AT_PHENT: UInt32 = 4, AT_PHNUM: UInt32 = 5,
               AT_PAGESZ: UInt32 = 6, AT_BASE: UInt32 = 7, AT_FLAGS: UInt32 = 8, AT_ENTRY: UInt32 = 9,
               AT_UID: UInt32 = 11, AT_EUID: UInt32 = 12, AT_GID: UInt32 = 13, AT_EGID: UInt32 = 14,
               AT_PLATFORM: UInt32 = 15, AT_HWCAP: UInt32 = 16, AT_CLKTCK: UInt32 = 17,
               AT_SECURE: UInt32 = 23, AT_RANDOM: UInt32 = 25, AT_EXECFN: UInt32 = 31, AT_SYSINFO: UInt32 = 32

    /// - Parameter sysinfo: the entry point of system calls as function calls (`AT_SYSINFO`: on
    ///   i386 Linux the vDSO's `__kernel_vsyscall`; under the unikernel the library OS's own
    ///   entry); nil leaves `AT_SYSINFO` out (a program then uses `int $0x80`).
    static func build(image: ELFImage, argv: [String], envp: [String], executablePath: String,
                      randomBytes: [UInt8], top: UInt32, limit: Int, sysinfo: UInt32? = nil) throws(LinuxProcessError) -> InitialStack {
        // Strings, built downwards from top - 4.
        var area: [UInt8] = []              // grows at the front: area[0] is at address `low`
        var low = top - 4
        area = [0, 0, 0, 0]
        func push(_ bytes: [UInt8]) -> UInt32 {
            area.insert(contentsOf: bytes, at: 0)
            low -= UInt32(bytes.count)
            return low
        }
        func cstring(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }

        let stringBytes = ([executablePath] + argv + envp).reduce(0) { $0 + $1.utf8.count + 1 }
        let pointerBytes = (argv.count + envp.count + 3) * 4 + 64 * 4
        if stringBytes + pointerBytes > limit {
            throw .argumentsTooLong(bytes: stringBytes + pointerBytes, limit: limit)
        }
        let execfn = push(cstring(executablePath))
        var envAddresses: [UInt32] = []
        for e in envp.reversed() { envAddresses.insert(push(cstring(e)), at: 0) }
        var argAddresses: [UInt32] = []
        for a in argv.reversed() { argAddresses.insert(push(cstring(a)), at: 0) }
        // arch_align_stack without randomization: 16-byte alignment.
        let aligned = low & ~15
        _ = push([UInt8](repeating: 0, count: Int(low - aligned)))
        let platform = push(cstring(LinuxProcess.platform))
        let random = push(randomBytes)

        let auxv: [(UInt32, UInt32)] = (sysinfo.map { [(AT_SYSINFO, $0)] } ?? []) + [
            (AT_HWCAP, 0), (AT_PAGESZ, GuestMemory.pageSize), (AT_CLKTCK, 100),
            (AT_PHDR, image.programHeaderAddress), (AT_PHENT, UInt32(image.programHeaderEntrySize)),
            (AT_PHNUM, UInt32(image.programHeaderCount)), (AT_BASE, 0), (AT_FLAGS, 0), (AT_ENTRY, image.entry),
            (AT_UID, getuid()), (AT_EUID, geteuid()), (AT_GID, getgid()), (AT_EGID, getegid()),
            (AT_SECURE, 0), (AT_RANDOM, random), (AT_EXECFN, execfn), (AT_PLATFORM, platform), (AT_NULL, 0),
        ]
        var words: [UInt32] = [UInt32(argv.count)]
        words += argAddresses + [0] + envAddresses + [0]
        for (k, v) in auxv { words += [k, v] }
        let sp = (low - UInt32(words.count * 4)) & ~15
        var table = [UInt8](repeating: 0, count: Int(low - sp))
        for (i, w) in words.enumerated() {
            for b in 0..<4 { table[i * 4 + b] = UInt8(truncatingIfNeeded: w >> (8 * UInt32(b))) }
        }
        return InitialStack(stackPointer: sp, randomBytesAddress: random, bytes: table + area)
    }
}
