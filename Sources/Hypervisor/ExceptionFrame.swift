import Machine

/// The words a 32-bit interrupt or trap gate pushes when the VMM reflects an event into the guest
/// kernel (Intel SDM Vol. 3A, 6.12.1, Figure 6-4), from the highest address down: the interrupted
/// SS and ESP when the privilege level changes (`outerStack`), then EFLAGS, CS, EIP, and the error
/// code for the exceptions that have one. Shared by trap-and-emulate and paravirtualization.
func exceptionFrame(outerStack: (ss: UInt16, esp: UInt32)?, eflags: UInt32, cs: UInt16, eip: UInt32,
                    errorCode: UInt32?) -> [UInt32] {
    var frame: [UInt32] = []
    if let outerStack { frame = [UInt32(outerStack.ss), outerStack.esp] }
    frame += [eflags, UInt32(cs), eip]
    if let errorCode { frame.append(errorCode) }
    return frame
}

extension SystemMachine {
    /// Writes `frame` (highest address first) in 4-byte words below `esp` with supervisor
    /// rights, as the CPU pushes an exception frame.
    /// - Throws: the `CPUException` (#PF, #GP) of the first write that fails.
    func pushFrame(_ frame: [UInt32], below esp: UInt32) throws(CPUException) {
        var a = esp
        for w in frame {
            a &-= 4
            try writeLinear32(a, w)
        }
    }
}
