import KVM
import Machine
import Translation

/// The KVM engine of the runtime: a ``GuestKernelPlatform`` machine's RAM and devices run on the
/// real CPU through `/dev/kvm` (``KVM/KVMRunLoop``): one VM, one vCPU started in 32-bit protected
/// mode at `entry` with EAX, EBX and ESP as given, the machine's devices serving KVM_EXIT_IO.
/// The VM is created by the first ``run(maxInstructions:deadline:)`` and torn down when it
/// ends: KVM runs the guest to its end (or the deadline); it cannot stop at an instruction count,
/// which the real CPU does not keep for vsim (`--max-instructions` is refused for `kvm`).
public final class KVMEngine: GuestEngine {
    public let machine: SystemMachine
    let entry: UInt32, eax: UInt32, ebx: UInt32, esp: UInt32
    /// How the one run ended (nil before it).
    public private(set) var outcome: KVMRunLoop.Outcome?

    /// - Parameters: `entry`, `eax`, `ebx`, `esp`: the vCPU's registers at the first KVM_RUN
    ///   (the boot protocol's: kernel entry, boot magic, boot-information address).
    public init(machine: SystemMachine, entry: UInt32, eax: UInt32, ebx: UInt32, esp: UInt32) {
        self.machine = machine
        self.entry = entry
        self.eax = eax
        self.ebx = ebx
        self.esp = esp
    }

    /// Runs the guest to its end or `deadline`; `maxInstructions` is not honoured (see above).
    /// A second call returns the first run's outcome.
    /// - Returns: the run loop's outcome, or the ``KVM/KVMRunLoop/Failure`` that kept it from
    ///   running (no usable `/dev/kvm`, a failed ioctl).
    public func run(maxInstructions: UInt64, deadline: ContinuousClock.Instant?) -> Result<KVMRunLoop.Outcome, KVMRunLoop.Failure> {
        if let outcome { return .success(outcome) }
        do {
            // No deadline: a year (KVM's watchdog needs one).
            let o = try KVMRunLoop.run(machine: machine, entry: entry, eax: eax, ebx: ebx, esp: esp,
                                       deadline: deadline ?? .now + .seconds(365 * 86_400))
            outcome = o
            return .success(o)
        } catch {
            return .failure(error)
        }
    }

    public var translationCounters: TranslationCounters? { nil }
}
