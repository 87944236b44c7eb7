/// A guest option of `vsim run`, `vsim compare` and `vsim repl`, and the one place that knows
/// which modes honour it. Every front end asks ``GuestOption/check(_:modes:system:)`` with the
/// options the user actually gave, so an option a mode cannot honour is refused with the same
/// message in every command, never silently ignored.
public enum GuestOption: String, CaseIterable, Sendable, Comparable {
    case maxInstructions = "--max-instructions"
    case timeLimit = "--time-limit"
    case traceInstructions = "--trace insns"
    case traceSyscalls = "--trace syscalls"
    case traceTraps = "--trace traps"
    case system = "--system"
    case timer = "--timer"
    case cpu = "--cpu"
    case costModel = "--cost-model"
    case umip = "--umip"
    case ept = "--ept"
    case engine = "--engine"
    case seed = "--seed"
    case root = "--root"
    case memory = "--memory"

    public static func < (a: GuestOption, b: GuestOption) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The option that `--trace KIND` stands for.
    public static func trace(_ kind: TraceKind) -> GuestOption {
        switch kind {
        case .insns: return .traceInstructions
        case .syscalls: return .traceSyscalls
        case .traps: return .traceTraps
        }
    }

    /// The modes under which vsim's own machine runs the guest (and counts its instructions).
    static let emulated: Set<Mode> = [.interpret, .translate, .trap, .hvm, .pv, .bt, .unikernel]
    /// The modes that run the guest kernel under a modeled VMM.
    static let modeledVMMs: Set<Mode> = [.trap, .hvm, .pv, .bt, .unikernel]

    /// Why `mode` cannot honour this option (nil: it can). `system` says whether `--system` is
    /// given too (it brings the guest kernel to interpret and translate).
    public func refusal(by mode: Mode, system: Bool) -> String? {
        let kernel = Self.modeledVMMs.contains(mode) || ((mode == .interpret || mode == .translate) && system)
        switch self {
        case .timeLimit:
            return nil
        case .maxInstructions:
            return Self.emulated.contains(mode) ? nil
                : "\(rawValue) counts guest instructions, which only vsim's own machine does (interpret, translate, trap, hvm, pv, bt, unikernel); the \(mode) mode runs the guest on the host CPU: use --time-limit"
        case .traceSyscalls:
            return mode == .interpret || mode == .ptrace ? nil
                : "\(rawValue) needs --mode interpret or ptrace (the \(mode) mode runs the guest where vsim cannot see each system call)"
        case .traceInstructions:
            return mode == .interpret ? nil
                : "\(rawValue) needs --mode interpret (the \(mode) mode runs the guest where vsim cannot see each instruction)"
        case .traceTraps:
            return Self.modeledVMMs.contains(mode) ? nil
                : "\(rawValue) needs --mode trap, hvm, pv, bt or unikernel (only the modeled VMM takes traps, exits, hypercalls and callouts)"
        case .system:
            return mode == .interpret || mode == .translate ? nil
                : "\(rawValue) needs --mode interpret or translate (\(Self.modeledVMMs.contains(mode) ? "the \(mode) mode always runs the guest kernel" : "the \(mode) mode runs the program without vsim's machine"))"
        case .timer:
            return kernel ? nil
                : "\(rawValue) sets the guest kernel's timer: it needs --mode trap, hvm, pv, bt or unikernel, or --system with interpret or translate"
        case .cpu, .costModel:
            return Self.modeledVMMs.contains(mode) ? nil
                : "\(rawValue) picks the modeled VMM's cost model: it needs --mode trap, hvm, pv, bt or unikernel (the \(mode) mode has no modeled cycles)"
        case .umip:
            return mode == .trap ? nil
                : "\(rawValue) sets CR4.UMIP for the trap-and-emulate VMM: it needs --mode trap"
        case .ept:
            return mode == .hvm || mode == .unikernel ? nil
                : "\(rawValue) chooses nested (EPT) or shadow paging for the VT-x model: it needs --mode hvm or unikernel"
        case .engine:
            return Self.modeledVMMs.contains(mode) ? nil
                : "\(rawValue) picks what runs the guest under a modeled VMM: it needs --mode trap, hvm, pv, bt or unikernel (for the translator alone use --mode translate, with --system for the guest kernel)"
        case .seed:
            return Self.emulated.contains(mode) || mode == .kvm ? nil
                : "\(rawValue) seeds the AT_RANDOM bytes vsim gives the guest; under \(mode) the host kernel gives them"
        case .memory:
            return kernel || mode == .kvm ? nil
                : "\(rawValue) sets the guest RAM of the guest kernel's machine: it needs --mode trap, hvm, pv, bt, unikernel or kvm, or --system with interpret or translate"
        case .root:
            // One meaning in every mode that honours it: the directory the program sees as /.
            return mode == .ptrace || Self.emulated.contains(mode) || mode == .kvm ? nil
                : "\(rawValue) gives the program a directory as / under interpret and translate (vsim serves its files, like qemu-i386 -L), "
                    + "under the guest kernel (trap, hvm, pv, bt, unikernel, kvm, --system: the kernel forwards file calls to vsim's host-call device) "
                    + "or ptrace (paths rewritten at each system call, PRoot-style); "
                    + (mode == .container ? "the container mode takes its root from vsim container --rootfs" : "under \(mode) the host kernel serves the program's files")
        }
    }

    /// Refuses the first of `given` that none of `modes` can honour (for `run` and `repl` one
    /// mode; for `compare` an option is accepted when at least one compared mode honours it,
    /// and the others run without it).
    /// - Throws: ``VSimError/usage(_:)`` with the reason, naming the option and the mode.
    public static func check(_ given: Set<GuestOption>, modes: [Mode], system: Bool) throws(VSimError) {
        for option in given.sorted() {
            let refusals = modes.compactMap { option.refusal(by: $0, system: system) }
            if refusals.count == modes.count, let first = refusals.first {
                throw .usage(modes.count == 1 ? first
                    : "none of the compared modes (\(modes.map(\.rawValue).joined(separator: ", "))) honours \(option.rawValue): \(first)")
            }
        }
    }
}
