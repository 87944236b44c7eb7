/// vsim's paravirtual host-call interface: how the guest kernel (programs/kernel/kernel.s,
/// `sys_forward`) hands a system call it does not serve itself to the host, the way a
/// paravirtual device forwards work (virtio's request in guest memory and one doorbell write).
///
/// The kernel fills a **request block** of eight 32-bit words in its own memory:
///
/// | offset | field |
/// |---|---|
/// | 0 | the i386 system call number (EAX) |
/// | 4–24 | its six arguments (EBX ECX EDX ESI EDI EBP); pointers are the program's virtual addresses |
/// | 28 | the result, written by the host (a value or -errno) |
///
/// and hands the block's **guest-physical** address to the host with one 32-bit `outl` to
/// ``port`` (trap, hvm, bt, unikernel, kvm), or, under pv, with hypercall ``hypercall``
/// (EBX = the address; the result comes back in EAX as well). The host serves the call
/// synchronously: when the OUT or hypercall completes, word 28 holds the result.
///
/// This is **vsim's ABI, not Xen's**: Xen reserves hypercalls 48–55 (`__HYPERVISOR_arch_0` …
/// `_7`, xen/include/public/xen.h) for architecture-specific use, and vsim takes the first of
/// them; a real Xen would not answer it. The port is one no PC device uses.
public enum HostCall {
    /// The I/O port of the host-call device (a 32-bit OUT of the request block's address).
    public static let port: UInt16 = 0x505
    /// Xen's `__HYPERVISOR_arch_0`, which vsim's PV model answers as the host-call device.
    public static let hypercall: UInt32 = 48
    /// Bytes of the request block.
    public static let requestSize: UInt32 = 32
    /// Offset of the result word in the request block.
    public static let resultOffset: UInt32 = 28
}
