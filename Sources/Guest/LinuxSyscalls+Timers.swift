import Machine
#if canImport(Glibc)
import Glibc
#endif

/// Timers and sleeps on the guest clock (IntervalTimers.swift): `alarm` (27), `setitimer`
/// (104), `getitimer` (105); `nanosleep` (162), `clock_nanosleep` (267) and
/// `clock_nanosleep_time64` (407) in ``LinuxHostCalls`` below. A sleep moves the guest clock forward instead of waiting
/// on the host; a timer that expires meanwhile and leaves a signal to deliver ends it early
/// with -EINTR (the remaining time written back for relative sleeps).
extension LinuxProcess {
    static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    /// `alarm(seconds)`: ITIMER_REAL without interval; returns the seconds left of the previous
    /// alarm, rounded as `alarm_setitimer` does (up when under a second or half a second over).
    func alarm(_ seconds: UInt32) -> SyscallOutcome {
        let left = remaining(0)
        timers[0] = IntervalTimer(due: seconds == 0 ? nil : guestClock + UInt64(seconds) * LinuxProcess.nanosecondsPerSecond)
        reschedule = true
        var s = left / LinuxProcess.nanosecondsPerSecond
        let usec = left % LinuxProcess.nanosecondsPerSecond / 1000
        if (s == 0 && usec > 0) || usec >= 500_000 { s += 1 }
        return SyscallOutcome(value: Int32(truncatingIfNeeded: s), arguments: "\(seconds)")
    }

    /// `struct itimerval` (i386): it_interval {sec, usec}, it_value {sec, usec}.
    func setitimer(_ which: UInt32, _ new: UInt32, _ old: UInt32) -> SyscallOutcome {
        let args = "\(itimerName(which)), \(pointer(new)), \(pointer(old))"
        guard which <= 2 else { return .error(.EINVAL, args) }
        let i = Int(which)
        var armed: IntervalTimer? = nil
        if new != 0 {
            guard let raw = readGuest(new, 16) else { return .error(.EFAULT, args) }
            let w = SignalFrame.words(raw).map { Int32(bitPattern: $0) }
            guard w[1] >= 0, w[1] < 1_000_000, w[3] >= 0, w[3] < 1_000_000, w[0] >= 0, w[2] >= 0 else { return .error(.EINVAL, args) }
            let interval = UInt64(w[0]) * LinuxProcess.nanosecondsPerSecond + UInt64(w[1]) * 1000
            let value = UInt64(w[2]) * LinuxProcess.nanosecondsPerSecond + UInt64(w[3]) * 1000
            armed = IntervalTimer(due: value == 0 ? nil : guestClock + value, interval: value == 0 ? 0 : interval)
        }
        if old != 0 && !writeItimerval(i, at: old) { return .error(.EFAULT, args) }
        if let armed { timers[i] = armed; reschedule = true }
        return SyscallOutcome(value: 0, arguments: args)
    }

    func getitimer(_ which: UInt32, _ value: UInt32) -> SyscallOutcome {
        let args = "\(itimerName(which)), \(pointer(value))"
        guard which <= 2 else { return .error(.EINVAL, args) }
        return writeItimerval(Int(which), at: value) ? SyscallOutcome(value: 0, arguments: args) : .error(.EFAULT, args)
    }

    private func writeItimerval(_ i: Int, at address: UInt32) -> Bool {
        func split(_ ns: UInt64) -> [UInt32] {
            [UInt32(truncatingIfNeeded: ns / LinuxProcess.nanosecondsPerSecond), UInt32(ns % LinuxProcess.nanosecondsPerSecond / 1000)]
        }
        // A value that would read as 0 while armed reads as 1 µs, as Linux rounds it.
        var left = remaining(i)
        if left > 0 && left < 1000 { left = 1000 }
        return writeWords(split(timers[i].interval) + split(left), at: address)
    }

    private func itimerName(_ which: UInt32) -> String {
        which <= 2 ? ["ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"][Int(which)] : "\(which)"
    }
}

/// The user-mode process's clocks: the host's clocks for reading (as the native process reads
/// them; a lockstep replay takes the recorded values), its guest clock for sleeping.
extension LinuxProcess: GuestClock {
    public func reading(of clock: UInt32) -> (seconds: Int64, nanoseconds: Int64)? {
        var ts = timespec()
        guard clock_gettime(clockid_t(clock), &ts) == 0 else { return nil }
        return (Int64(ts.tv_sec), Int64(ts.tv_nsec))
    }

    /// Moves the guest clock forward (a timer that expires meanwhile and leaves a signal to
    /// deliver ends the sleep early); the running slice ends after the call.
    public func sleep(nanoseconds: UInt64) -> UInt64 {
        reschedule = true
        guard nanoseconds > 0 else { return 0 }
        let target = guestClock.addingReportingOverflow(nanoseconds)
        let end = target.overflow ? UInt64.max : target.partialValue
        return sleep(until: end) ? 0 : end - guestClock
    }
}

/// nanosleep and clock_nanosleep on the ``GuestClock``: a sleep moves the guest clock forward
/// instead of waiting on the host; one that a signal ends early returns -EINTR (the remaining
/// time written back for relative sleeps).
extension LinuxHostCalls {
    /// `nanosleep(req, rem)` with the i386 `struct timespec` {sec, nsec}.
    func nanosleep(_ request: UInt32, _ rem: UInt32) -> SyscallOutcome {
        let args = "\(pointer(request)), \(pointer(rem))"
        guard let raw = readGuest(request, 8) else { return .error(.EFAULT, args) }
        let w = SignalFrame.words(raw)
        return sleepFor(seconds: Int64(Int32(bitPattern: w[0])), nanoseconds: Int64(Int32(bitPattern: w[1])),
                        absolute: nil, rem: rem, wide: false, args: args)
    }

    /// `clock_nanosleep(clock, flags, req, rem)` (`wide`: the time64 form, `struct
    /// __kernel_timespec` {sec 64, nsec 64}). TIMER_ABSTIME (1) sleeps until the clock reads the
    /// time given (the host's clock is read once to know how far that is).
    func clockNanosleep(_ clock: UInt32, _ flags: UInt32, _ request: UInt32, _ rem: UInt32, wide: Bool) -> SyscallOutcome {
        let args = "\(clock), \(flags), \(pointer(request)), \(pointer(rem))"
        guard [0, 1, 7].contains(clock) else { return .error(.EINVAL, args) }   // CPU-time clocks: EINVAL
        guard let raw = readGuest(request, wide ? 16 : 8) else { return .error(.EFAULT, args) }
        let w = SignalFrame.words(raw)
        let sec = wide ? Int64(bitPattern: UInt64(w[0]) | UInt64(w[1]) << 32) : Int64(Int32(bitPattern: w[0]))
        let nsec = Int64(Int32(bitPattern: wide ? w[2] : w[1]))
        var absolute: Int64? = nil
        if flags & 1 != 0 {
            let now = self.clock.reading(of: clock) ?? (0, 0)
            absolute = now.seconds &* 1_000_000_000 &+ now.nanoseconds
        }
        var outcome = sleepFor(seconds: sec, nanoseconds: nsec, absolute: absolute, rem: rem, wide: wide, args: args)
        outcome.arguments = args
        return outcome
    }

    /// Sleeps `seconds.nanoseconds` (or until that time when `absolute` is the clock's reading
    /// now) on the guest clock.
    private func sleepFor(seconds: Int64, nanoseconds: Int64, absolute: Int64?, rem: UInt32, wide: Bool, args: String) -> SyscallOutcome {
        guard nanoseconds >= 0, nanoseconds < 1_000_000_000, seconds >= 0 || absolute != nil else { return .error(.EINVAL, args) }
        var duration = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if duration.overflow { duration.partialValue = Int64.max - 1_000_000_000 }
        var ns = duration.partialValue + nanoseconds
        if let now = absolute { ns -= now }
        let left = clock.sleep(nanoseconds: UInt64(max(ns, 0)))
        if left == 0 { return SyscallOutcome(value: 0, arguments: args) }
        if absolute == nil && rem != 0 {
            let s = left / LinuxProcess.nanosecondsPerSecond, n = UInt32(left % LinuxProcess.nanosecondsPerSecond)
            let words = wide ? [UInt32(truncatingIfNeeded: s), UInt32(truncatingIfNeeded: s >> 32), n, 0] : [UInt32(truncatingIfNeeded: s), n]
            guard writeWords(words, at: rem) else { return .error(.EFAULT, args) }
        }
        return .error(.EINTR, args)
    }

    private func pointer(_ p: UInt32) -> String { p == 0 ? "NULL" : "0x" + String(p, radix: 16) }
}
