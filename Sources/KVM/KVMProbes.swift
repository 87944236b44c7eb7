import Hypervisor
import Machine
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

extension KVMRunLoop {
    /// Where a raw flat guest is loaded and entered: 1 MiB, like the guest kernel.
    public static let flatLoadAddress: UInt32 = 0x0010_0000
}

/// Whether this host's KVM can run vsim's guest kernel, which turns on 32-bit (non-PAE) paging.
/// A KVM built on VT-x or AMD-V can; PVM (`kvm_pvm`, KVM without hardware virtualization, as
/// inside a Firecracker or cloud VM) runs only 64-bit PVM-aware guests and answers MOV to CR0.PG
/// in a 32-bit guest with #GP. The probe runs six instructions in a throwaway VM, once per process.
public enum KVMPagingProbe {
    nonisolated(unsafe) static var cached: String?? = nil

    public static func unsupportedReason() -> String? {
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
        guard let machine = try? SystemMachine(input: -1, output: -1) else { return nil }
        var table: [UInt8] = []
        for i in 0..<1024 { withUnsafeBytes(of: UInt32(i << 12 | 3).littleEndian) { table += $0 } }
        _ = machine.mmu.loadPhysical(table, at: 0x3000)
        _ = machine.mmu.loadPhysical([0x03, 0x30, 0, 0], at: 0x2000)
        _ = machine.mmu.loadPhysical(code, at: KVMRunLoop.flatLoadAddress)
        guard let r = try? KVMRunLoop.run(machine: machine, entry: KVMRunLoop.flatLoadAddress, eax: 0, ebx: 0, esp: 0x80000,
                                          deadline: .now + .seconds(5)) else { return nil }
        let why: String
        switch r.stop {
        case .exited(42): return nil
        case .exited(let status): why = "the test guest exited with status \(status)"
        case .timeLimit: why = "guest machine stopped by the host time limit of 5 s"
        case .machine(let m): why = "guest machine stopped: \(m) -> status 134"
        }
        let pvm = access("/sys/module/kvm_pvm", F_OK) == 0
            && access("/sys/module/kvm_intel", F_OK) != 0 && access("/sys/module/kvm_amd", F_OK) != 0
        return "kvm mode: this host's KVM cannot run the i386 guest kernel: turning on 32-bit paging (MOV to CR0.PG) in a test guest failed"
            + " (\(why))"
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

    /// Measures the exit round trip (best of three rounds after a warm-up).
    /// - Throws: ``KVMRunLoop/Failure`` when KVM cannot run the loop or the loop does not finish.
    public static func measure(iterations: Int = 100_000) throws(KVMRunLoop.Failure) -> Measurement {
        func timed(_ cpuid: Bool) throws(KVMRunLoop.Failure) -> (ns: Double, cycles: Double, exits: UInt64?) {
            let code = loop(iterations: UInt32(iterations), cpuid: cpuid)
            let t0 = ContinuousClock.now, c0 = readTimeStampCounter()
            let machine: SystemMachine
            do { machine = try SystemMachine(input: -1, output: -1) } catch {
                throw .probe("cannot set up the probe's machine: \(error)")
            }
            _ = machine.mmu.loadPhysical(code, at: KVMRunLoop.flatLoadAddress)
            let r = try KVMRunLoop.run(machine: machine, entry: KVMRunLoop.flatLoadAddress, eax: 0, ebx: 0, esp: 0x80000,
                                       deadline: .now + .seconds(60))
            let c1 = readTimeStampCounter(), t1 = ContinuousClock.now
            guard r.stop == .exited(0) else { throw .probe("the exit-cost probe guest did not finish: \(r.stop)") }
            return (Double(DurationText.nanoseconds(t1 - t0)), Double(c1 &- c0), r.exits[ExitReason.cpuid.label])
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
