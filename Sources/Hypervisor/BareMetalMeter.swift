import Machine
import X86

/// No VMM at all: the guest kernel on the machine as on bare hardware, priced with the same cost
/// model so that "native" can stand beside the VMMs in `vsim nanobench`. It changes nothing (every
/// event proceeds as without hooks); it charges what the hardware itself spends: `trapRoundTrip`
/// per exception, interrupt or INT n delivered through the IDT and returned from (Adams &
/// Agesen's native divzero), `portIO` per port access (their native `in`), and
/// `controlRegisterWrite` per MOV to a control register, CLTS or LMSW (serializing).
public final class BareMetalMeter: SystemHooks {
    public let log = VMMLog()
    public let cost: CostModel

    public init(machine: SystemMachine, cost: CostModel) {
        self.cost = cost
        machine.hooks = self
    }

    public func intercept(_ event: SystemEvent, machine: SystemMachine) -> InterceptResult {
        switch event {
        case .exception, .softwareInterrupt, .externalInterrupt:
            log.charge(cost.trapRoundTrip)
        case .interruptWindow:
            break
        case .instruction(let insn, _):
            switch insn.mnemonic {
            case .in, .out, .ins, .outs: log.charge(cost.portIO)
            case .clts, .lmsw: log.charge(cost.controlRegisterWrite)
            case .mov:
                if case .register(let r) = insn.operand0, r.kind == .control { log.charge(cost.controlRegisterWrite) }
            default: break
            }
        }
        return .proceed
    }

    public func modeledCycles(instructions: UInt64) -> UInt64 {
        UInt64((Double(instructions) * cost.cyclesPerInstruction).rounded()) &+ log.cycles
    }
}
