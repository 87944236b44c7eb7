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
