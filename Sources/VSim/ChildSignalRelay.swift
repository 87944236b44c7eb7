#if canImport(Glibc)
import Glibc
#endif

/// Passes SIGINT, SIGTERM, SIGHUP and SIGQUIT that vsim receives on to the host processes that
/// run a guest for it (`native`, `qemu`), as container mode passes them to its init
/// (docs/containers.md, "Signals"). Without it, `kill VSIM` (a CI job's or a grader's timeout,
/// systemd) ended vsim by the signal's default action and left the child running as an orphan.
///
/// A Ctrl-C at a terminal reaches the child anyway (the whole foreground process group gets it);
/// the relay is for a signal sent to vsim alone. The handler is installed for a signal only
/// where its disposition is the default one (an ignored signal, as under `nohup`, stays
/// ignored), on the first registration, and stays: with no child registered it restores the
/// default action and raises the signal again, so vsim ends as it did without the relay.
///
/// A registration is ended by ``finish()`` after the child has exited and before it is reaped
/// (as ``Watchdog/finish()``), so the handler never signals a reused pid.
struct ChildSignalRelay {
    static let relayed: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    /// How many children may be registered at once (runs of one vsim on several threads, as in
    /// the tests); a child beyond them is not relayed to.
    static let slots = 64
    private let slot: Int

    /// Registers `pid`: from now until ``finish()`` the four signals to vsim are sent to it.
    init(pid: pid_t) {
        relayLock.lock()
        defer { relayLock.unlock() }
        ChildSignalRelay.installOnce()
        guard let free = (0..<ChildSignalRelay.slots).first(where: { relayTable[$0] == 0 }) else { slot = -1; return }
        relayTable[ChildSignalRelay.slots + free] = 0
        relayTable[free] = pid
        slot = free
    }

    /// Ends the registration. Returns the signal that was relayed to the child, if any (the
    /// first of them): vsim was asked to stop (``RunResult/interruptedBy``).
    func finish() -> Int32? {
        guard slot >= 0 else { return nil }
        relayLock.lock()
        defer { relayLock.unlock() }
        relayTable[slot] = 0
        let signal = relayTable[ChildSignalRelay.slots + slot]
        return signal == 0 ? nil : signal
    }

    nonisolated(unsafe) private static var installed = false

    /// Installs the handler (once) and from now on keeps the four signals from ending vsim: the
    /// handler still relays them to the registered children, then records the first one and
    /// writes a byte to `notify` (``StopSignal``), instead of the default action.
    static func hold(notify: Int32) {
        relayLock.lock()
        defer { relayLock.unlock() }
        installOnce()
        relayTable[2 * slots + 1] = notify
        relayTable[2 * slots] = 1
    }

    /// The first signal received since ``hold(notify:)`` (0: none).
    static var heldSignal: Int32 { relayTable[2 * slots + 2] }

    static func installOnce() {
        guard !installed else { return }
        installed = true
        _ = relayTable[0]   // initialized here, never in the handler
        for s in relayed {
            var current = sigaction()
            guard sigaction(s, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil else { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = relaySignal
            sigfillset(&action.sa_mask)
            action.sa_flags = Int32(SA_RESTART)
            sigaction(s, &action, nil)
        }
    }
}

/// The registered children's pids (0: a free slot), then, slot by slot, the first signal relayed
/// to each (0: none), then three words for ``ChildSignalRelay/hold(notify:)``: whether signals
/// are held (1), the descriptor to notify, the first signal held (0: none). Allocated before the
/// handler is installed; the handler only loads and stores aligned 32-bit words in it.
private let relayTable: UnsafeMutablePointer<Int32> = {
    let table = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * ChildSignalRelay.slots + 3)
    table.initialize(repeating: 0, count: 2 * ChildSignalRelay.slots + 3)
    return table
}()

private let relayLock = RelayLock()

/// A pthread mutex (the VSim module does not import Foundation for NSLock).
final class RelayLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
}

/// The handler: kill(2), write(2) and raise(3) only, all async-signal-safe.
private func relaySignal(_ signal: Int32) {
    var relayed = false
    for i in 0..<ChildSignalRelay.slots {
        let pid = relayTable[i]
        guard pid > 0 else { continue }
        kill(pid, signal)
        if relayTable[ChildSignalRelay.slots + i] == 0 { relayTable[ChildSignalRelay.slots + i] = signal }
        relayed = true
    }
    let held = 2 * ChildSignalRelay.slots
    if relayTable[held] == 1 {
        // A harness (``StopSignal``) stops on its own: record the signal, wake its thread.
        let saved = errno
        if relayTable[held + 2] == 0 { relayTable[held + 2] = signal }
        var byte: UInt8 = 1
        _ = write(relayTable[held + 1], &byte, 1)
        errno = saved
        return
    }
    guard !relayed else { return }
    // No child runs: the default action, as before the handler was installed (the signal is
    // blocked while the handler runs and is delivered when it returns).
    Glibc.signal(signal, SIG_DFL)
    raise(signal)
}
