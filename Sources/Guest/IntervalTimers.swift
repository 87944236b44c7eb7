import Machine

/// The guest's clock for timers and sleeps, and its three interval timers (`setitimer`,
/// `alarm`; kernel/time/itimer.c).
///
/// **The clock is deterministic**: one guest nanosecond per retired guest instruction (a 1 GHz
/// CPU retiring one instruction per cycle), plus the time the guest slept (`nanosleep`,
/// `clock_nanosleep`, `pause` and `rt_sigsuspend` waiting for a timer move the clock forward
/// at once instead of waiting). So `alarm(1)` expires exactly 1,000,000,000 instructions later
/// under every engine, and a run with timers gives the same output and counters every time.
/// (`time`, `gettimeofday` and `clock_gettime` still read the host's clocks.)
///
/// ITIMER_REAL raises SIGALRM, ITIMER_VIRTUAL SIGVTALRM and ITIMER_PROF SIGPROF, all on this
/// clock (the guest has no system time apart from its user time), with `si_code` SI_KERNEL as
/// Linux's `it_real_fn` sends it. A timer expires before the instruction at which the clock
/// reaches it: the engines run in slices that end there (``LinuxProcess/instructionsUntilTimer``).
struct IntervalTimer: Equatable {
    /// Clock value at which it expires (nil: disarmed).
    var due: UInt64?
    /// Reload value in nanoseconds (0: one shot).
    var interval: UInt64 = 0
}

extension LinuxProcess {
    static let timerSignals = [SignalNumber.SIGALRM, SignalNumber.SIGVTALRM, SignalNumber.SIGPROF]

    /// The guest clock in nanoseconds (see ``IntervalTimer``).
    var guestClock: UInt64 { interpreter.instructionsExecuted &+ sleptNanoseconds }

    /// Instructions until the next timer expires (nil: none armed).
    var instructionsUntilTimer: UInt64? {
        var next: UInt64? = nil
        for t in timers { if let due = t.due, due < (next ?? UInt64.max) { next = due } }
        guard let next else { return nil }
        let now = guestClock
        return next > now ? next - now : 0
    }

    /// Posts the signal of every timer that has expired and reloads interval timers.
    func fireTimers() {
        let now = guestClock
        for i in timers.indices {
            guard let due = timers[i].due, due <= now else { continue }
            post(GuestSignal(number: LinuxProcess.timerSignals[i], code: SignalCode.SI_KERNEL))
            if timers[i].interval > 0 {
                var next = due + timers[i].interval
                if next <= now { next = now + timers[i].interval - (now - due) % timers[i].interval }
                timers[i].due = next
            } else {
                timers[i].due = nil
            }
        }
    }

    /// Moves the clock forward to `time` (a sleep), firing timers on the way: returns early, at
    /// the first expiry that leaves a deliverable signal pending. True when it reached `time`.
    func sleep(until time: UInt64) -> Bool {
        while guestClock < time {
            let next = timers.compactMap(\.due).filter { $0 > guestClock }.min() ?? UInt64.max
            sleptNanoseconds &+= min(time, next) - guestClock
            fireTimers()
            if hasDeliverableSignal { return guestClock >= time }
        }
        return true
    }

    /// The remaining time of timer `i` in nanoseconds (0: disarmed).
    func remaining(_ i: Int) -> UInt64 {
        guard let due = timers[i].due else { return 0 }
        return due > guestClock ? due - guestClock : 1
    }
}
