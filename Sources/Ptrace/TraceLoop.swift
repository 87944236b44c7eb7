import CPtraceShim
import Descriptions
#if canImport(Glibc)
import Glibc
#endif

/// The tracer's loop over ptrace stops (one thread: ptrace requests must come from the thread
/// that traces). See ``Tracer``.
struct TraceLoop {
    /// What the tracer knows about one traced thread between its stops.
    struct Thread {
        /// Between a system-call entry stop and its exit stop.
        var inSystemCall = false
        var name = ""
        /// Not counted (the exec that started the program).
        var counted = true
        /// The registers at entry when the tracer changed them (restored at exit).
        var saved: vsim_pt_regs? = nil
        /// The errno to return when the tracer refused the call at entry (ELOOP).
        var refused: Int32? = nil
        /// The argument registers at entry (i386: ebx ecx edx esi edi ebp).
        var arguments: [UInt32] = []
        var number = 0
        var compat = true
        /// Text of the entry for `--trace syscalls`.
        var shown = ""
        /// A new child whose first SIGSTOP is still to come.
        var fresh = false
    }

    let main: pid_t
    let spec: TraceSpec
    var threads: [pid_t: Thread] = [:]
    var counts: [String: UInt64] = [:]
    var errors: [String: UInt64] = [:]
    var rewritten: UInt64 = 0
    var stops: UInt64 = 0
    var tracerNanoseconds: UInt64 = 0
    var execSeen = false
    var exitStatus: Int32 = 127
    var signal: Int32? = nil

    init(main: pid_t, spec: TraceSpec) {
        self.main = main
        self.spec = spec
        threads[main] = Thread()
    }

    mutating func run() {
        var mainEnded = false
        while !threads.isEmpty {
            var status: Int32 = 0
            let tid = vsim_pt_wait(&status)
            if tid < 0 { break }   // ECHILD: nothing left
            let began = ContinuousClock.now
            stops += 1
            if WaitStatus.exited(status) || WaitStatus.signaled(status) {
                // exit and exit_group never return: their entry is the last stop.
                if let trace = spec.trace, let t = threads[tid], t.inSystemCall, t.counted {
                    trace("\(t.shown) = ?")
                }
                threads[tid] = nil
                if tid == main {
                    mainEnded = true
                    if WaitStatus.exited(status) {
                        exitStatus = WaitStatus.exitCode(status)
                    } else {
                        signal = WaitStatus.termSignal(status)
                        exitStatus = 128 + signal!
                    }
                    // Children the program left behind are tracees too: never leave one running.
                    for other in threads.keys { kill(other, SIGKILL) }
                }
                continue
            }
            guard WaitStatus.stopped(status) else { continue }
            if threads[tid] == nil { threads[tid] = Thread(fresh: true) }
            let stopSignal = WaitStatus.stopSignal(status)
            var deliver: Int32 = 0
            if stopSignal == SIGTRAP | 0x80 {
                systemCallStop(tid)
            } else if stopSignal == SIGTRAP, WaitStatus.event(status) != 0 {
                event(tid, WaitStatus.event(status))
            } else if stopSignal == SIGSTOP, threads[tid]!.fresh {
                threads[tid]!.fresh = false
            } else if [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU].contains(stopSignal), vsim_pt_is_group_stop(tid) == 1 {
                deliver = 0
            } else {
                deliver = stopSignal
            }
            tracerNanoseconds += DurationText.nanoseconds(ContinuousClock.now - began)
            if mainEnded { kill(tid, SIGKILL) }
            _ = vsim_pt_syscall(tid, deliver)
        }
    }

    private mutating func event(_ tid: pid_t, _ event: Int32) {
        switch Int(event) {
        case VSIM_PT_EVENT_EXEC:
            if !execSeen {
                // The program's first stop: its execve's exit comes next, not counted.
                execSeen = true
                threads[tid]!.inSystemCall = true
                threads[tid]!.counted = false
                threads[tid]!.name = "execve"
            }
        case VSIM_PT_EVENT_FORK, VSIM_PT_EVENT_VFORK, VSIM_PT_EVENT_CLONE:
            var message: UInt = 0
            if vsim_pt_event_message(tid, &message) == 0 {
                let child = pid_t(truncatingIfNeeded: message)
                if threads[child] == nil { threads[child] = Thread(fresh: true) }
            }
        default:
            break
        }
    }

    private mutating func systemCallStop(_ tid: pid_t) {
        var regs = vsim_pt_regs()
        guard vsim_pt_get_regs(tid, &regs) == 0 else { return }
        var t = threads[tid]!
        if !t.inSystemCall {
            t = Thread()
            t.inSystemCall = true
            t.compat = regs.cs == 0x23
            t.number = t.compat ? Int(Int32(truncatingIfNeeded: regs.orig_ax)) : Int(Int64(bitPattern: regs.orig_ax))
            t.name = SystemCallNames.name(t.number, compat: t.compat)
            t.arguments = [regs.bx, regs.cx, regs.dx, regs.si, regs.di, regs.bp].map { UInt32(truncatingIfNeeded: $0) }
            counts[t.name, default: 0] += 1
            if let root = spec.root, t.compat { rewriteEntry(tid, &t, regs, root) }
            if spec.trace != nil, t.shown.isEmpty {
                t.shown = "\(t.name)(" + t.arguments.prefix(3).map { "0x" + String($0, radix: 16) }.joined(separator: ", ") + ")"
            }
        } else {
            t.inSystemCall = false
            var value = t.compat ? Int64(Int32(truncatingIfNeeded: regs.ax)) : Int64(bitPattern: regs.ax)
            if let e = t.refused {
                value = -Int64(e)
            }
            if let saved = t.saved {
                var r = saved
                r.ax = UInt64(bitPattern: value)
                _ = vsim_pt_set_regs(tid, &r)
            }
            if let root = spec.root, t.compat, value > 0, !root.hostPath.isEmpty {
                value = rewriteResult(tid, t, value, root)
            }
            if (-4095)...(-1) ~= value, t.counted { errors[t.name, default: 0] += 1 }
            if let trace = spec.trace, t.counted {
                trace("\(t.shown.isEmpty ? t.name + "(...)" : t.shown) = \(value)")
            }
            t.saved = nil
            t.refused = nil
        }
        threads[tid] = t
    }

    /// Rewrites each path argument of the call `t` is entering (see ``PathSystemCalls``).
    private mutating func rewriteEntry(_ tid: pid_t, _ t: inout Thread, _ regs: vsim_pt_regs, _ root: PtraceRoot) {
        let paths = PathSystemCalls.arguments(of: t.number)
        guard !paths.isEmpty else { return }
        var changed = regs
        var scratch = (regs.sp & 0xffff_ffff) &- 256
        var shown: [String] = []
        var modified = false
        for a in paths {
            let pointer = t.arguments[a.index]
            guard pointer != 0, let path = Memory.readString(tid, UInt64(pointer)), !path.isEmpty else { continue }
            var base = "/"
            if !path.hasPrefix("/") {
                let fd = a.directory.map { Int32(bitPattern: t.arguments[$0]) } ?? AT_FDCWD
                guard let hostDirectory = Memory.procLink(tid, fd == AT_FDCWD ? "cwd" : "fd/\(fd)") else { continue }
                base = root.guestPath(forHost: hostDirectory) ?? "/"
            }
            guard let host = root.hostPath(for: path, base: base, followLast: a.follow.follows(t.arguments)) else {
                t.refused = ELOOP
                break
            }
            shown.append("\"\(path)\" -> \"\(host)\"")
            let bytes = Array(host.utf8) + [0]
            scratch = (scratch &- UInt64(bytes.count)) & ~15
            guard Memory.write(tid, scratch, bytes) else { t.refused = EFAULT; break }
            Registers.set(&changed, argument: a.index, to: scratch)
            modified = true
            rewritten += 1
        }
        if t.refused != nil {
            changed = regs
            changed.orig_ax = UInt64.max   // -1: the kernel skips the call; its result is set at exit
        }
        if t.refused != nil || modified {
            t.saved = regs
            _ = vsim_pt_set_regs(tid, &changed)
        }
        if spec.trace != nil, !shown.isEmpty { t.shown = "\(t.name)(\(shown.joined(separator: ", ")))" }
    }

    /// getcwd and readlink return host paths: shown as the guest's. Returns the new result.
    private mutating func rewriteResult(_ tid: pid_t, _ t: Thread, _ value: Int64, _ root: PtraceRoot) -> Int64 {
        let buffer: UInt32, size: UInt32, withNul: Bool
        switch t.number {
        case PathSystemCalls.getcwd: (buffer, size, withNul) = (t.arguments[0], t.arguments[1], true)
        case PathSystemCalls.readlink: (buffer, size, withNul) = (t.arguments[1], t.arguments[2], false)
        case PathSystemCalls.readlinkat: (buffer, size, withNul) = (t.arguments[2], t.arguments[3], false)
        default: return value
        }
        guard let bytes = Memory.read(tid, UInt64(buffer), Int(value)) else { return value }
        let host = String(decoding: withNul ? Array(bytes.prefix { $0 != 0 }) : bytes, as: UTF8.self)
        guard host.hasPrefix(root.hostPath + "/") || host == root.hostPath, let guest = root.guestPath(forHost: host) else { return value }
        var out = Array(guest.utf8)
        if withNul {
            out.append(0)
            guard out.count <= Int(size) else { return value }
        } else {
            out = Array(out.prefix(Int(size)))
        }
        guard Memory.write(tid, UInt64(buffer), out) else { return value }
        rewritten += 1
        var regs = vsim_pt_regs()
        guard vsim_pt_get_regs(tid, &regs) == 0 else { return value }
        regs.ax = UInt64(out.count)
        _ = vsim_pt_set_regs(tid, &regs)
        return Int64(out.count)
    }
}

/// The argument registers of an i386 system call by index.
enum Registers {
    static func set(_ r: inout vsim_pt_regs, argument index: Int, to value: UInt64) {
        switch index {
        case 0: r.bx = value
        case 1: r.cx = value
        case 2: r.dx = value
        case 3: r.si = value
        case 4: r.di = value
        default: r.bp = value
        }
    }
}

/// The tracee's memory and /proc links.
enum Memory {
    static func read(_ tid: pid_t, _ address: UInt64, _ count: Int) -> [UInt8]? {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = vsim_pt_read(tid, address, &bytes, UInt(count))
        return n == count ? bytes : nil
    }

    /// A NUL-terminated string of at most PATH_MAX bytes; nil when unreadable or unterminated.
    static func readString(_ tid: pid_t, _ address: UInt64) -> String? {
        var bytes = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let n = vsim_pt_read(tid, address, &bytes, UInt(bytes.count))
        guard n > 0, let end = bytes[..<Int(n)].firstIndex(of: 0) else { return nil }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    static func write(_ tid: pid_t, _ address: UInt64, _ bytes: [UInt8]) -> Bool {
        vsim_pt_write(tid, address, bytes, UInt(bytes.count)) == bytes.count
    }

    /// readlink of /proc/TID/`name` (cwd, fd/N): a host path, or nil.
    static func procLink(_ tid: pid_t, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/\(tid)/\(name)", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
