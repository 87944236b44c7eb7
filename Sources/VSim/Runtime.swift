/// Which of the runtime's platforms a mode builds its machine on (DESIGN.md: *Machine + Engine +
/// Platform → RunResult*). `native`, `qemu`, `container` and `ptrace` have none: the guest runs as a host
/// process outside vsim's machine.
public enum RuntimePlatform: Sendable, Equatable {
    /// ``LinuxUserPlatform``: the program alone, vsim serving the Linux i386 system calls.
    case linuxUser
    /// ``GuestKernelPlatform``: the guest kernel and the program, under the mode's VMM if it has one.
    case guestKernel
}

extension Mode {
    /// The platform the mode runs on (`system`: `--system` under interpret or translate), or nil
    /// when the guest runs outside vsim (native, qemu, container).
    public func platform(system: Bool) -> RuntimePlatform? {
        switch self {
        case .interpret, .translate: return system ? .guestKernel : .linuxUser
        case .native, .qemu, .container, .ptrace: return nil
        default: return .guestKernel
        }
    }

    /// The engine that runs the mode's machine in vsim (`engine`: `--engine` under the VMM modes):
    /// the translator under translate, the interpreter under interpret, `engine` under trap, hvm,
    /// pv, unikernel and bt (whose VMM runs the guest kernel from its own translation cache, and
    /// the guest's user code on `engine`); nil for kvm (the real CPU, ``KVMBackend``) and the
    /// modes without a platform.
    public func engine(_ engine: Engine) -> Engine? {
        switch self {
        case .interpret: return .interpret
        case .translate: return .translate
        case .native, .qemu, .container, .ptrace, .kvm: return nil
        default: return engine
        }
    }
}
