import Guest
import Hypervisor
import KVM
import Machine
#if canImport(Glibc)
import Glibc
#endif

extension KVMBackend {
    /// Where ``runFlat(_:options:)`` loads and enters a raw guest: 1 MiB, like the guest kernel.
    public static let flatLoadAddress: UInt32 = 0x0010_0000

    /// Runs a raw flat binary (e.g. `as --32` then `objcopy -O binary`) under KVM: loaded at
    /// ``flatLoadAddress`` in 32 MiB of RAM, entered there in 32-bit protected mode at CPL 0 with
    /// paging off, ESP = 0x80000, with the guest kernel's devices (COM1 at 0x3F8 as stdout, COM2
    /// at 0x2F8 as stderr, the exit device at 0x501). For small test guests and the exit-cost
    /// probe; the result is like a `--mode kvm` run's.
    public static func runFlat(_ code: [UInt8], options: RunOptions = RunOptions()) throws(VSimError) -> RunResult {
        if let why = unavailableReason(needsPaging: false) { throw .host(why, status: unavailableStatus) }
        let io = try GuestDescriptors(options.io)
        defer { io.close() }
        let start = ContinuousClock.now
        let (machine, com2) = try GuestKernelPlatform.machine(stdio: io.guestStdio)
        guard machine.mmu.loadPhysical(code, at: flatLoadAddress) else {
            throw .usage("the guest binary (\(code.count) bytes) does not fit in guest RAM at \(GuestDiagnostics.hex8x(flatLoadAddress))")
        }
        return try KVMRun.execute(machine: machine, entry: flatLoadAddress, eax: 0, ebx: 0, esp: 0x80000,
                                  extraDevices: [com2], io: io, options: options, start: start)
    }
}

/// Whether this host's KVM can run vsim's guest kernel, which turns on 32-bit (non-PAE) paging.
/// A KVM built on VT-x or AMD-V can; PVM (`kvm_pvm`, KVM without hardware virtualization, as
/// inside a Firecracker or cloud VM) runs only 64-bit PVM-aware guests and answers MOV to CR0.PG
/// in a 32-bit guest with #GP. The probe runs six instructions in a throwaway VM, once per process.
enum KVMPagingProbe {
    nonisolated(unsafe) static var cached: String?? = nil

    static func unsupportedReason() -> String? {
        if let c = cached { return c }
        let r = probe()
        cached = .some(r)
        return r
    }

    /// mov $0x2000,%eax; mov %eax,%cr3; mov %cr0,%eax; or $0x80000000,%eax; mov %eax,%cr0;
    /// mov $0x501,%dx; out %al,%dx (exit 0x11... any value); hlt. The page directory at 0x2000
    /// maps the first 4 MiB through the table at 0x3000.
    static let code: [UInt8] = [0xB8, 0x00, 0x20, 0x00, 0x00, 0x0F, 0x22, 0xD8, 0x0F, 0x20, 0xC0,
                                0x0D, 0x00, 0x00, 0x00, 0x80, 0x0F, 0x22, 0xC0,
                                0xB0, 0x2A, 0x66, 0xBA, 0x01, 0x05, 0xEE, 0xF4]

    static func probe() -> String? {
        var options = RunOptions()
        options.io = .discard
        options.timeLimit = .seconds(5)
        guard let machine = try? SystemMachine(input: -1, output: -1) else { return nil }
        var table: [UInt8] = []
        for i in 0..<1024 { withUnsafeBytes(of: UInt32(i << 12 | 3).littleEndian) { table += $0 } }
        _ = machine.mmu.loadPhysical(table, at: 0x3000)
        _ = machine.mmu.loadPhysical([0x03, 0x30, 0, 0], at: 0x2000)
        _ = machine.mmu.loadPhysical(code, at: KVMBackend.flatLoadAddress)
        guard let io = try? GuestDescriptors(.discard) else { return nil }
        defer { io.close() }
        guard let r = try? KVMRun.execute(machine: machine, entry: KVMBackend.flatLoadAddress, eax: 0, ebx: 0,
                                          esp: 0x80000, extraDevices: [], io: io, options: options,
                                          start: ContinuousClock.now) else { return nil }
        if r.exitStatus == 42 { return nil }
        let pvm = access("/sys/module/kvm_pvm", F_OK) == 0
            && access("/sys/module/kvm_intel", F_OK) != 0 && access("/sys/module/kvm_amd", F_OK) != 0
        return "kvm mode: this host's KVM cannot run the i386 guest kernel: turning on 32-bit paging (MOV to CR0.PG) in a test guest failed"
            + (r.diagnostic.map { " (\($0.replacingOccurrences(of: "vsim: ", with: "")))" } ?? "")
            + (pvm ? "; /dev/kvm here is PVM (kvm_pvm: KVM without VT-x/AMD-V, for 64-bit PVM-aware guests only)" : "")
            + "; vsim --mode kvm needs KVM on VT-x or AMD-V"
    }
}

/// The host's real VM exit round trip, measured as kvm-unit-tests' `vmexit` test does: a guest
/// loop of CPUID (each one a VM exit that KVM handles in the kernel), against the same loop
/// with a two-byte NOP in its place, so that what the loop itself costs cancels out.
public enum ExitCostProbe {
    public struct Measurement: Sendable {
        public var iterations: Int
        /// Host time and TSC cycles of one CPUID exit and re-entry.
        public var nanoseconds: Double
        public var cycles: Double
        /// CPUID exits KVM counted during the loop (nil without tracepoint counters).
        public var countedExits: UInt64?
        /// One whole iteration of the CPUID loop (CPUID, the loop's own three instructions), ns
        /// and cycles, VM creation included pro rata.
        public var iterationNanoseconds: Double
        public var iterationCycles: Double
        /// True when the loop without CPUID cost as much as with it (a KVM that emulates every
        /// instruction of this guest, like PVM): the exit cost is then the whole iteration.
        public var emulated: Bool
    }

    /// The loop: mov $n,%esi; 1: xor %eax,%eax; cpuid (or xchg %ax,%ax); dec %esi; jnz 1b;
    /// xor %eax,%eax; mov $0x501,%dx; out %al,%dx; hlt.
    public static func loop(iterations n: UInt32, cpuid: Bool) -> [UInt8] {
        var code: [UInt8] = [0xBE]
        withUnsafeBytes(of: n.littleEndian) { code += $0 }
        code += [0x31, 0xC0] + (cpuid ? [0x0F, 0xA2] : [0x66, 0x90]) + [0x4E, 0x75, 0xF9]
        code += [0x31, 0xC0, 0x66, 0xBA, 0x01, 0x05, 0xEE, 0xF4]
        return code
    }

    public static func measure(iterations: Int = 100_000) throws(VSimError) -> Measurement {
        var options = RunOptions()
        options.io = .discard
        func timed(_ cpuid: Bool) throws(VSimError) -> (ns: Double, cycles: Double, exits: UInt64?) {
            let code = loop(iterations: UInt32(iterations), cpuid: cpuid)
            let t0 = ContinuousClock.now, c0 = readTimeStampCounter()
            let r = try KVMBackend.runFlat(code, options: options)
            let c1 = readTimeStampCounter(), t1 = ContinuousClock.now
            guard r.exitStatus == 0 else { throw .host("the exit-cost probe guest did not finish: \(r.diagnostic ?? "status \(r.exitStatus)")") }
            return (Double(nanoseconds(t1 - t0)), Double(c1 &- c0), r.exits[ExitReason.cpuid.label])
        }
        _ = try timed(true)      // warm-up
        var best: (ns: Double, cycles: Double, ins: Double, icycles: Double)? = nil
        var exits: UInt64? = nil
        for _ in 0..<3 {
            let with = try timed(true), without = try timed(false)
            exits = with.exits
            let n = Double(iterations)
            let d = (ns: (with.ns - without.ns) / n, cycles: (with.cycles - without.cycles) / n, ins: with.ns / n, icycles: with.cycles / n)
            if best == nil || d.ins < best!.ins { best = d }
        }
        let b = best!
        let emulated = b.ns < 0.05 * b.ins
        return Measurement(iterations: iterations, nanoseconds: emulated ? b.ins : b.ns, cycles: emulated ? b.icycles : b.cycles,
                           countedExits: exits, iterationNanoseconds: b.ins, iterationCycles: b.icycles, emulated: emulated)
    }
}

extension ExitCostProbe {
    /// This host's VM exit round trip in TSC cycles, for `--cpu host` (``HostCostModel``).
    static func hostExitCycles() throws -> Double {
        try measure(iterations: 20_000).cycles
    }
}
