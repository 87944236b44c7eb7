import Descriptions
/// A strategy for running the guest (`--mode`). See ../shared/DESIGN.md, "The strategies".
///
/// Adding a strategy: add a case, say in ``isAvailable`` whether it runs yet, write an
/// ``ExecutionBackend`` for it, and return that from ``backend``. Everything else (`run`,
/// `compare`, the reports) goes through the protocol.
public enum Mode: String, CaseIterable, Sendable, CustomStringConvertible {
    /// vsim's interpreter, one x86 instruction at a time, serving Linux system calls itself.
    case interpret
    /// The same ELF as a plain host process: the physical limit.
    case native
    /// x86 blocks lowered to the vsim RISC target, optimized, cached and chained (like QEMU TCG).
    case translate
    /// The same ELF under the host's qemu-i386 (an outside anchor for translate).
    case qemu
    /// The same ELF as a native process in new namespaces with cgroup limits and its own root.
    case container
    /// The same ELF as a native process under ptrace(2), PRoot-style: every system call stopped
    /// at entry and exit, counted, and its paths rewritten for `--root` (module Ptrace).
    case ptrace
    /// The guest kernel at ring 1 under vsim's trap-and-emulate VMM (module Hypervisor).
    case trap
    /// The guest kernel at ring 0 in modeled VMX non-root operation (VT-x).
    case hvm
    /// The paravirtual guest kernel at ring 1 with Xen-style hypercalls (module Hypervisor).
    case pv
    /// The unmodified guest kernel at ring 1, its code binary-translated with sensitive
    /// instructions rewritten into VMM callouts (VMware's software VMM; module Hypervisor).
    case bt
    /// The program and a library OS (the guest kernel built with UNIKERNEL=1) in one address
    /// space at ring 0, booted directly by the VT-x model: no user/kernel switch.
    case unikernel
    /// The same guest kernel on real hardware virtualization through `/dev/kvm` (module KVM).
    case kvm

    /// One line for `--help` and reports.
    public var summary: String {
        switch self {
        case .interpret: return "vsim's interpreter, one instruction at a time (like Bochs / qemu-i386 user mode)"
        case .native: return "the same ELF as a plain host process (the physical limit)"
        case .translate: return "x86 blocks translated to the vsim RISC target, cached and chained (like QEMU TCG)"
        case .qemu: return "the same ELF under the host's qemu-i386 (needs qemu-user)"
        case .container: return "the same ELF natively in a fresh container: namespaces, cgroups, its own root (like runc/crun)"
        case .ptrace: return "the same ELF natively under ptrace(2), stopped at every system call, paths rewritten so --root DIR is / without root or namespaces (like PRoot, udocker's P modes)"
        case .trap: return "the guest kernel deprivileged to ring 1 under a trap-and-emulate VMM (classic, Robin & Irvine's holes included)"
        case .hvm: return "the guest kernel at ring 0 in modeled VT-x non-root mode; VM exits by VMCS controls"
        case .pv: return "the paravirtual guest kernel at ring 1 calling the VMM through Xen-style hypercalls (int $0x82)"
        case .unikernel: return "the program at ring 0 beside a library OS (the guest kernel built as a unikernel), booted directly by the VT-x model: system calls without a privilege change"
        case .bt: return "the guest kernel at ring 1, its code binary-translated with sensitive instructions rewritten into VMM callouts (VMware's software VMM)"
        case .kvm: return "the same guest kernel on real hardware virtualization through /dev/kvm; real VM exits"
        }
    }

    public var description: String { rawValue }

    /// Whether the guest runs as a host process that vsim spawns (native, qemu, container, ptrace),
    /// rather than inside vsim's own process.
    public var spawnsHostProcess: Bool { self == .native || self == .qemu || self == .container || self == .ptrace }

    /// Whether this build of vsim can run the mode.
    public var isAvailable: Bool { true }

    /// The backend that runs programs in this mode.
    public var backend: any ExecutionBackend {
        switch self {
        case .interpret: return InterpreterBackend()
        case .native: return NativeBackend()
        case .translate: return TranslatorBackend()
        case .qemu: return QemuBackend()
        case .container: return ContainerBackend()
        case .ptrace: return PtraceBackend()
        case .trap: return SystemBackend(mode: .trap)
        case .hvm: return SystemBackend(mode: .hvm)
        case .pv: return SystemBackend(mode: .pv)
        case .bt: return SystemBackend(mode: .bt)
        case .unikernel: return SystemBackend(mode: .unikernel)
        case .kvm: return KVMBackend()
        }
    }

    /// Parses a comma-separated list ("interpret,native").
    /// - Throws: ``VSimError/usage(_:)`` naming the unknown mode and the known ones.
    public static func parseList(_ text: String) throws(VSimError) -> [Mode] {
        var modes: [Mode] = []
        for part in text.split(separator: ",").map({ $0.trimmed(" ") }) where !part.isEmpty {
            guard let m = Mode(rawValue: part) else {
                throw .usage("unknown mode '\(part)' in --modes; known modes: \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !modes.contains(m) { modes.append(m) }
        }
        if modes.isEmpty { throw .usage("--modes is empty; give a comma-separated list such as interpret,native") }
        return modes
    }
}


/// Runs a resolved program in one mode.
public protocol ExecutionBackend {
    var mode: Mode { get }
    /// Runs `program` with `arguments` (argv[1...]; argv[0] is the program path).
    /// - Returns: how the guest ended, with counters and host measurements.
    /// - Throws: ``VSimError`` when the run cannot start (malformed image, host failure).
    ///   A guest that faults or runs out of budget is a normal ``RunResult``, not an error.
    func run(_ program: ResolvedProgram, arguments: [String], options: RunOptions) throws(VSimError) -> RunResult
}
