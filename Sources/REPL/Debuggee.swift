import Guest
import Hypervisor
import Machine
import X86

/// How a step (or a run of steps) left the guest.
enum StepOutcome: Equatable {
    /// The guest can go on.
    case running
    /// The program exited (exit system call, or the guest kernel's exit device) with this status.
    case exited(status: Int32)
    /// The program received a fatal signal (a CPU exception, as Linux would deliver it).
    case signalled(signal: Int32, message: String)
    /// The guest machine cannot go on (triple fault, HLT forever, no device, the VMM ended it).
    case machineStopped(String)
}

/// One trap, VM exit or hypercall the modeled VMM took during the last step.
struct VMMEventSummary: Equatable {
    var kind: VMMEventKind
    var reason: String
}

/// The guest as the REPL sees it, whatever runs it: a Linux process in user-mode emulation
/// (``UserProcessTarget``) or the guest kernel on the system-level machine, with or without a
/// modeled VMM (``SystemTarget``).
protocol Debuggee: AnyObject {
    var cpu: CPUState { get }
    /// Instructions retired so far.
    var instructions: UInt64 { get }
    var symbols: DebugSymbols { get }
    /// The guest's output streams, labelled ("stdout", "stderr").
    var outputs: [(label: String, stream: GuestOutput)] { get }
    /// Whether control registers, CPL and descriptor tables matter (the guest kernel runs).
    var isSystem: Bool { get }
    /// The modeled VMM, if the mode has one.
    var vmm: VirtualMachineMonitor? { get }

    /// One step: one guest instruction, or (system modes) one event handled before it.
    func step() -> StepOutcome
    /// Up to `limit` steps at engine speed (the mode's engine in large slices, nothing checked
    /// per step), stopping early when the guest stops, when `interrupted` says so (asked between
    /// slices, a fraction of a second apart) or, when `breakpoints` is not empty, right after a
    /// step that reaches one of them (then one instruction at a time with only that check).
    /// Returns how the guest is, the steps taken and the VMM events taken.
    func run(steps limit: UInt64, breakpoints: Set<UInt32>, interrupted: () -> Bool) -> (outcome: StepOutcome, steps: UInt64, events: Int)
    /// Bytes at linear address `address` as the debugger sees them, without side effects; fewer
    /// than `count` (possibly none) when the range reaches an unreadable or unmapped page.
    func read(_ address: UInt32, count: Int) -> [UInt8]
    /// VMM events of the last step.
    func lastStepEvents() -> [VMMEventSummary]
    /// The latest VMM events as `--trace traps` lines, oldest first.
    var recentEvents: [String] { get }

    /// How many steps ``stepBack(_:)`` can undo now.
    var reversibleSteps: Int { get }
    /// Undoes up to `n` steps; returns the number undone and notes for the student.
    func stepBack(_ n: Int) -> (undone: Int, notes: [String])
    /// The translation block the translator makes at `pc`, as `vsim translate` prints it, or a
    /// reason why there is none.
    func translationBlock(at pc: UInt32, views: [String]) -> Result<String, REPLError>
}

/// RARS keeps 2000 backsteps (`BackstepLimit` in its Config.properties); vsim does the same.
let reverseStepLimit = 2000

/// The size of the next slice of a run at engine speed: grown or shrunk so that a slice takes
/// about a tenth of a second, so Ctrl-C, asked between slices, stops a run within a second
/// whatever the engine's speed.
struct EngineSlice {
    private var size: UInt64 = 1 << 20
    private var started = ContinuousClock.now

    /// The next slice, at most `remaining`; starts its clock.
    mutating func next(_ remaining: UInt64) -> UInt64 {
        started = ContinuousClock.now
        return min(size, remaining)
    }

    /// The slice ran: adjust the size to its time.
    mutating func ran() {
        let took = ContinuousClock.now - started
        if took < .milliseconds(50) { size = min(size * 2, 1 << 32) } else if took > .milliseconds(200) { size = max(size / 2, 1 << 12) }
    }
}
