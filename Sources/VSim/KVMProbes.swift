import Guest
import Hypervisor
import KVM
import Machine
#if canImport(Glibc)
import Glibc
#endif
import Descriptions

extension KVMBackend {
    /// Where ``runFlat(_:options:)`` loads and enters a raw guest: 1 MiB, like the guest kernel.
    public static let flatLoadAddress: UInt32 = KVMRunLoop.flatLoadAddress

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
            throw .usage("the guest binary (\(code.count) bytes) does not fit in guest RAM at \(Hex.address(flatLoadAddress))")
        }
        return try KVMRun.execute(machine: machine, entry: flatLoadAddress, eax: 0, ebx: 0, esp: 0x80000,
                                  extraDevices: [com2], io: io, options: options, start: start)
    }
}

extension ExitCostProbe {
    /// This host's VM exit round trip in TSC cycles, for `--cpu host` (``HostCostModel``).
    static func hostExitCycles() throws -> Double {
        if let why = KVMBackend.unavailableReason(needsPaging: false) { throw VSimError.host(why, status: KVMBackend.unavailableStatus) }
        return try measure(iterations: 20_000).cycles
    }
}
