import Machine
#if canImport(Glibc)
import Glibc
#endif

/// Linux i386 error numbers vsim returns (negated in EAX), with strace's names.
enum Errno: Int32 {
    case EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, E2BIG = 7, EBADF = 9, EAGAIN = 11, ENOMEM = 12,
         EACCES = 13, EFAULT = 14, EEXIST = 17, EISDIR = 21, EINVAL = 22, EMFILE = 24, ENOTTY = 25,
         EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EPIPE = 32, ERANGE = 34, ENOSYS = 38, ESRCH = 3, ENODEV = 19

    var name: String { "\(self)" }

    /// The name for a host errno, or "E<n>".
    static func name(of value: Int32) -> String { Errno(rawValue: value)?.name ?? "E\(value)" }
}

/// What one system call did: the value for EAX, the argument text for the trace, and whether the
/// process ends.
struct SyscallOutcome {
    var value: Int32
    /// Arguments as strace shows them, without the parentheses.
    var arguments: String
    /// For -ENOSYS: why (e.g. "unknown to vsim").
    var note: String? = nil
    /// Set by `exit`/`exit_group`.
    var exitStatus: Int32? = nil
    /// Set when the call was still waiting for its host descriptor at the run's deadline.
    var timeLimit = false

    static func error(_ e: Errno, _ arguments: String, note: String? = nil) -> SyscallOutcome {
        SyscallOutcome(value: -e.rawValue, arguments: arguments, note: note)
    }

    /// The call would still block when the host time limit passed.
    static func timedOut(_ arguments: String) -> SyscallOutcome {
        SyscallOutcome(value: 0, arguments: arguments, timeLimit: true)
    }
}

/// The Linux i386 system calls vsim serves in user-mode emulation (`int $0x80`: EAX = number,
/// EBX ECX EDX ESI EDI EBP = arguments, EAX = result or -errno).
///
/// | nr | call | what vsim does |
/// |---|---|---|
/// | 1, 252 | exit, exit_group | ends the run with status `EBX & 0xFF` |
/// | 3 | read | reads from the host fd behind the guest fd (``GuestFileTable``) into checked guest memory |
/// | 4, 146 | write, writev | hands the guest buffer to the host fd; one that runs into unmapped memory gets the host kernel's own answer (a file takes the bytes before the hole, a pipe -EFAULT), as natively |
/// | 6 | close | the guest fd goes; the host fd is closed unless it is vsim's own stdin/stdout/stderr |
/// | 5, 295, 8, 19, 140, 180, 181, 195, 196, 300, 220, 85, 305, 33, 307, 439, 10, 40, 301, 39, 296, 38, 302, 41, 63, 330, 42, 331, 55, 221, 118, 148, 93, 194, 12, 133, 183 | the file calls, chdir, fchdir, getcwd | inside the guest's root (``LinuxHostCalls``, LinuxSyscalls+Files.swift) |
/// | 13, 78, 265, 403 | time, gettimeofday, clock_gettime(64) | the host clocks (``LinuxHostCalls`` on ``GuestClock``) |
/// | 20, 64, 224 | getpid, getppid, gettid | 1000, 999, 1000 (fixed: runs are deterministic) |
/// | 24 49 47 50 199–202 | get[e]uid/get[e]gid(32) | the host's ids (``LinuxHostCalls``: the guest kernel forwards them too) |
/// | 45 | brk | grows/shrinks the heap after the highest segment, never over a mapping |
/// | 54 | ioctl | TCGETS, TIOCGWINSZ answered from the host descriptor; others -ENOTTY |
/// | 122 | uname | Linux, nodename "vsim", the host's release and version, machine i686 |
/// | 192, 91, 125, 219, 163 | mmap2 (anonymous and private file maps), munmap, mprotect, madvise, mremap | Linux semantics (LinuxSyscalls+Memory.swift, +Remap.swift) |
/// | 174, 67, 175, 126, 176, 186, 37, 238, 270, 119, 173, 29, 179 | the signal calls | delivery with Linux's frames (LinuxSyscalls+Signals.swift, SignalDelivery.swift) |
/// | 27, 104, 105, 162, 267, 407 | alarm, setitimer, getitimer, nanosleep, clock_nanosleep(_time64) | on the guest clock (LinuxSyscalls+Timers.swift) |
/// | 258, 311, 386 | set_tid_address, set_robust_list, rseq | pid / accepted / -ENOSYS as without CONFIG_RSEQ |
/// | 243, 244 | set_thread_area, get_thread_area | TLS GDT slots 12–14 (LinuxSyscalls+ThreadArea.swift) |
/// | 197, 383 | fstat64, statx | the host's fstat/stat, i386 layouts |
/// | 355, 116 | getrandom, sysinfo | seeded bytes / host RAM (``LinuxHostCalls``) |
/// | 76, 191, 340 | getrlimit, ugetrlimit, prlimit64 (read only) | the host's limits |
/// | other | | -ENOSYS, and vsim names the call once on its stderr |
///
/// A buffer the guest passes is checked page by page as the guest would access it: a bad pointer
/// gives -EFAULT, never a crash.
///
/// `read` and `write` wait for their host descriptor with `poll` no longer than the run's
/// ``LinuxProcess/deadline`` (writes go out in pieces of at most PIPE_BUF, 4096 bytes, each after
/// the descriptor polled writable), so a guest blocked on a pipe or terminal still ends at the
/// host time limit: the call does not complete, EIP stays on its `int $0x80`, and the run ends
/// with ``GuestTermination/timeLimit`` (SIGXCPU, 152, as a native run killed at the limit).
extension LinuxProcess: GuestAddressSpace {
    func systemCall(cpu: CPUState) -> InterruptOutcome {
        let number = cpu[reg32: 0]
        let a = [cpu[reg32: 3], cpu[reg32: 1], cpu[reg32: 2], cpu[reg32: 6], cpu[reg32: 7], cpu[reg32: 5]]
        var replayed: (String, SyscallOutcome)? = nil
        let fileMapping = number == 192 && a[3] & 0x20 == 0
        // Every call consumes its record (the recording run recorded every call).
        if let replay = syscallReplay, let record = replay(), record.number == number,
           LinuxProcess.hostDependent.contains(number) || fileMapping {
            if fileMapping { replayFileMapping(a, record) }
            else { for w in record.writes { _ = writeGuest(w.bytes, at: w.address) } }
            replayed = ("syscall_\(number)", SyscallOutcome(value: record.value, arguments: "replayed", exitStatus: record.exitStatus))
        }
        if syscallRecorder != nil { recordedWrites = [] }
        let (name, outcome) = replayed ?? dispatch(number, a)
        if let recorder = syscallRecorder {
            recorder(SyscallRecord(number: number, value: outcome.value, exitStatus: outcome.exitStatus,
                                   writes: (recordedWrites ?? []).map { (address: $0.0, bytes: $0.1) }))
            recordedWrites = nil
        }
        if outcome.value == -Errno.ENOSYS.rawValue, let note = outcome.note, !reportedUnimplemented.contains(name) {
            reportedUnimplemented.insert(name)
            let why = note == LinuxProcess.unimplemented ? "" : " (\(note))"
            notice("vsim: the guest's system call \(number) (\(name)) is not implemented by vsim\(why); it returned -ENOSYS")
        }
        if let trace = syscallTrace {
            var line = "\(name)(\(outcome.arguments)) = "
            if outcome.exitStatus != nil {
                line += "?"
            } else if outcome.timeLimit {
                line += "? <unfinished: the host time limit passed>"
            } else if outcome.value < 0 && outcome.value > -4096 {
                let e = -outcome.value
                line += "\(outcome.value) \(Errno.name(of: e)) (\(outcome.note ?? String(cString: strerror(e))))"
            } else if ["brk", "mmap2"].contains(name) {
                line += "0x" + String(UInt32(bitPattern: outcome.value), radix: 16)
            } else {
                line += "\(outcome.value)"
            }
            trace(line)
            if let status = outcome.exitStatus { trace("+++ exited with \(status) +++") }
        }
        if outcome.timeLimit {
            timedOut = true
            cpu.eip &-= 2       // still at the `int $0x80` (CD 80), as the unfinished call leaves it
            return .stop(exitStatus: 128 + 24)
        }
        if let status = outcome.exitStatus {
            exitStatus = status
            return .stop(exitStatus: status)
        }
        cpu[reg32: 0] = UInt32(bitPattern: outcome.value)
        // A write to a pipe nobody reads: EPIPE, and the kernel sends the writer SIGPIPE (vsim
        // itself ignores SIGPIPE, StandardStreams.ignoreSIGPIPE, so the guest gets it from here).
        if outcome.value == -EPIPE && LinuxHostCalls.writeCalls.contains(number) {
            post(GuestSignal(number: SignalNumber.SIGPIPE, code: SignalCode.SI_USER, sender: (LinuxProcess.guestPID, getuid())))
        }
        // The return to user mode: signals that are now deliverable (kill, raise, an unblocking
        // sigprocmask or sigreturn) enter their handlers with EAX holding the result.
        if !pendingSignals.isEmpty { deliverPending() }
        if let (signal, _) = fatalSignal { return .stop(exitStatus: 128 + Int32(signal)) }
        if reschedule { return .stop(exitStatus: 0) }
        return .resume
    }

    /// The note of a system call vsim does not implement at all.
    static let unimplemented = "unknown to vsim"

    /// Runs system call `number` with arguments `a` (EBX…EBP); returns its name and outcome.
    func dispatch(_ number: UInt32, _ a: [UInt32]) -> (String, SyscallOutcome) {
        func fd(_ v: UInt32) -> Int32 { Int32(bitPattern: v) }
        func hexs(_ count: Int) -> String { a.prefix(count).map { "0x" + String($0, radix: 16) }.joined(separator: ", ") }
        switch number {
        case 1: return ("exit", exitCall(a[0]))
        case 252: return ("exit_group", exitCall(a[0]))
        case 20: return ("getpid", SyscallOutcome(value: LinuxProcess.guestPID, arguments: ""))
        case 224: return ("gettid", SyscallOutcome(value: LinuxProcess.guestPID, arguments: ""))
        case 64: return ("getppid", SyscallOutcome(value: LinuxProcess.guestPID - 1, arguments: ""))
        case 45: return ("brk", brk(a[0]))
        case 122: return ("uname", uname(a[0]))
        case 192: return ("mmap2", mmap2(a))
        case 91: return ("munmap", munmap(a[0], a[1]))
        case 125: return ("mprotect", mprotect(a[0], a[1], a[2]))
        case 174: return ("rt_sigaction", rtSigaction(a[0], a[1], a[2], a[3]))
        case 67: return ("sigaction", sigaction(a[0], a[1], a[2]))
        case 175: return ("rt_sigprocmask", rtSigprocmask(a[0], a[1], a[2], a[3]))
        case 126: return ("sigprocmask", sigprocmask(a[0], a[1], a[2]))
        case 176: return ("rt_sigpending", rtSigpending(a[0], a[1]))
        case 186: return ("sigaltstack", sigaltstack(a[0], a[1]))
        case 37: return ("kill", kill(a[0], a[1]))
        case 238: return ("tkill", tkill(nil, a[0], a[1]))
        case 270: return ("tgkill", tkill(Int32(bitPattern: a[0]), a[1], a[2]))
        case 119: return ("sigreturn", sigreturn())
        case 173: return ("rt_sigreturn", rtSigreturn())
        case 29: return ("pause", pause())
        case 179: return ("rt_sigsuspend", rtSigsuspend(a[0], a[1]))
        case 27: return ("alarm", alarm(a[0]))
        case 104: return ("setitimer", setitimer(a[0], a[1], a[2]))
        case 105: return ("getitimer", getitimer(a[0], a[1]))
        case 258: return ("set_tid_address", SyscallOutcome(value: LinuxProcess.guestPID, arguments: hexs(1)))
        case 243: return ("set_thread_area", setThreadArea(a[0]))
        case 244: return ("get_thread_area", getThreadArea(a[0]))
        case 163: return ("mremap", mremap(a))
        case 219: return ("madvise", madvise(a[0], a[1], a[2]))
        case 76: return ("getrlimit", getrlimit(a[0], a[1], wide: false))
        case 191: return ("ugetrlimit", getrlimit(a[0], a[1], wide: false))
        case 340: return ("prlimit64", getrlimit(a[1], a[3], wide: true, pid: a[0], newLimit: a[2]))
        case 311:
            // The robust-futex list matters to threads, which vsim does not run: accepted.
            return ("set_robust_list", a[1] == 12 ? SyscallOutcome(value: 0, arguments: hexs(2)) : .error(.EINVAL, hexs(2)))
        case 386:
            // As a kernel without CONFIG_RSEQ: glibc then does without restartable sequences.
            return ("rseq", .error(.ENOSYS, hexs(4)))
        default:
            if let served = hostCalls.dispatch(number, a) { return served }
            let name = LinuxProcess.syscallName(number)
            return (name, .error(.ENOSYS, hexs(6), note: LinuxProcess.unimplemented))
        }
    }

    // MARK: Descriptors

    /// The host fd behind guest fd `fd` (``LinuxHostCalls/hostDescriptor(_:)``).
    func hostDescriptor(_ fd: Int32) -> Int32? { hostCalls.hostDescriptor(fd) }

    // MARK: Guest memory checks

    /// Whether every page of `[address, address + count)` is mapped with `permission`.
    public func accessible(_ address: UInt32, _ count: UInt32, _ permission: PagePermissions) -> Bool {
        if count == 0 { return true }
        if UInt64(address) + UInt64(count) > (1 << 32) { return false }
        var page = LinuxProcess.pageRoundDown(address)
        let last = LinuxProcess.pageRoundDown(address &+ (count - 1))
        while true {
            guard let p = memory.permissions(at: page), p.contains(permission) else { return false }
            if page == last { return true }
            page &+= GuestMemory.pageSize
        }
    }

    public func readGuest(_ address: UInt32, _ count: UInt32) -> [UInt8]? {
        guard accessible(address, count, .read) else { return nil }
        return try? memory.read(at: address, count: Int(count))
    }

    /// System calls whose results depend on the host (its descriptors, clocks and memory
    /// figures): a lockstep reference run replays them (``syscallReplay``).
    /// File calls are among them: they touch the host's files and the descriptor table (a
    /// replaying run never opens anything itself).
    static let hostDependent: Set<UInt32> = [3, 4, 13, 54, 78, 116, 146, 197, 265, 383, 403, 12, 133, 183,
        5, 6, 8, 10, 19, 33, 38, 39, 40, 41, 42, 55, 63, 85, 93, 118, 140, 148, 180, 181, 194, 195, 196,
        220, 221, 295, 296, 300, 301, 302, 305, 307, 330, 331, 439]

    public func writeGuest(_ bytes: [UInt8], at address: UInt32) -> Bool {
        guard accessible(address, UInt32(bytes.count), .write) else { return false }
        recordedWrites?.append((address, bytes))
        var ok = true
        bytes.withUnsafeBytes { b in
            do { try memory.write(b, at: address) } catch { ok = false }
        }
        return ok
    }

    /// What of the guest buffer `[address, address + count)` vsim hands the host kernel, or nil
    /// when the range passes the top of the address space (Linux's `access_ok` fails: -EFAULT).
    ///
    /// Guest memory lives at `memory.base + address` and unmapped guest pages are PROT_NONE on
    /// the host, so the host kernel meets the same hole the native process would and answers as
    /// it would natively: a regular file takes the bytes before the hole and the call returns
    /// their count, a pipe refuses with -EFAULT. `length` therefore runs to the end of the
    /// buffer when the first page the guest may not read is unmapped; it stops at that page
    /// when the page is mapped without read permission (host-readable, so vsim stops there).
    /// `readable` is the prefix the guest may read.
    public func hostSpan(_ address: UInt32, _ count: UInt32) -> (readable: UInt32, pieces: [UnsafeRawBufferPointer])? {
        guard let (readable, length) = hostLength(address, count) else { return nil }
        return (readable, [UnsafeRawBufferPointer(start: memory.base + Int(address), count: length)])
    }

    func hostLength(_ address: UInt32, _ count: UInt32) -> (readable: UInt32, length: Int)? {
        let end = UInt64(address) + UInt64(count)
        guard end <= 1 << 32 else { return nil }
        var page = UInt64(LinuxProcess.pageRoundDown(address))
        while page < end {
            let prefix = UInt32(max(page, UInt64(address)) - UInt64(address))
            guard let p = memory.permissions(at: UInt32(page)) else { return (prefix, Int(count)) }
            if !p.contains(.read) { return (prefix, Int(prefix)) }
            page += UInt64(GuestMemory.pageSize)
        }
        return (count, Int(count))
    }

    // MARK: Calls

    func exitCall(_ status: UInt32) -> SyscallOutcome {
        let s = Int32(status & 0xFF)
        return SyscallOutcome(value: 0, arguments: "\(Int32(bitPattern: status))", exitStatus: s)
    }

    func uname(_ buffer: UInt32) -> SyscallOutcome {
        let args = "0x" + String(buffer, radix: 16)
        var host = utsname()
        _ = Glibc.uname(&host)
        func field<T>(_ value: inout T) -> String {
            withUnsafeBytes(of: &value) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        }
        let fields = ["Linux", "vsim", field(&host.release), field(&host.version), LinuxProcess.platform, "(none)"]
        var bytes: [UInt8] = []
        for f in fields {
            var b = Array(f.utf8.prefix(64))
            b += [UInt8](repeating: 0, count: 65 - b.count)
            bytes += b
        }
        guard writeGuest(bytes, at: buffer) else { return .error(.EFAULT, args) }
        return SyscallOutcome(value: 0, arguments: "{sysname=\"Linux\", nodename=\"vsim\", ...}")
    }

    /// strace's rendering of a buffer: C escapes, at most 32 bytes then `...`.
    static func quote(_ bytes: [UInt8], limit: Int = 32) -> String {
        var out = "\""
        for b in bytes.prefix(limit) {
            switch b {
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x0D: out += "\\r"
            case 0x0C: out += "\\f"
            case 0x0B: out += "\\v"
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += "\\" + String(b, radix: 8)
            }
        }
        out += "\""
        if bytes.count > limit { out += "..." }
        return out
    }
}
