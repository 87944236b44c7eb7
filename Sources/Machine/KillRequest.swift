import Synchronization

/// A request, made on another host thread, that a run end as a process killed by SIGKILL: what
/// a harness does to the process it started once that process has passed a limit it enforces
/// (the grader's `max_output`, docs/lab-spec.md), whatever the process does with SIGPIPE.
///
/// The run's loops look at it where they look at their host deadline, so a run ends at most
/// ``Interpreter/deadlineCheckInterval`` (2^20) guest instructions after ``kill()``, halted or
/// not, whatever the guest does: ``SystemMachine`` stops with status 128 + 9 (its stop
/// convention for a signal, as 141 for a console whose reader has gone), and a user-mode
/// `LinuxProcess` ends as killed by signal 9. Nothing else about the run changes: counts up
/// to the stop are the engine's own.
///
/// Thread-safe: ``kill()`` from any thread, ``isRequested`` from the run's.
public final class KillRequest: Sendable {
    /// SIGKILL: the signal the run ends with (exit status 128 + 9 = 137).
    public static let signal: Int32 = 9

    private let requested = Atomic<Bool>(false)

    public init() {}

    /// Asks the run to end (idempotent).
    public func kill() { requested.store(true, ordering: .releasing) }

    /// Whether ``kill()`` was called.
    public var isRequested: Bool { requested.load(ordering: .acquiring) }
}
