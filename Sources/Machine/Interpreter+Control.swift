/// Control transfer: JMP, CALL, RET, Jcc, JCXZ/JECXZ and LOOP/LOOPE/LOOPNE (Intel SDM Vol. 2A-2B,
/// the instructions' own pages). Far JMP/CALL and RETF go through protected-mode checks in
/// Interpreter+Protected.swift (``farTransfer(_:_:next:)``, ``farReturn(_:)``). Each handler sets EIP itself; `next` is the address of the
/// following instruction (the return address, or the fall-through of a branch not taken).
extension Interpreter {
    // Jcc, the hottest branch, is written out in the dispatch (Interpreter+Execute.swift).

    /// JMP rel8/rel16/rel32: the target was resolved at decode time.
    @inline(__always)
    func jmp(_ op: UnsafeMutablePointer<DecodedOp>) {
        eip = op.pointee.imm
    }

    /// JMP r/m16, r/m32: the target is read from the operand (16-bit: EIP's upper half is 0).
    @inline(__always)
    func jmpIndirect(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        eip = try readRM(op, op.pointee.size)
    }

    /// CALL rel16/rel32. With a 16-bit operand size CALL pushes IP, and EIP's upper half becomes
    /// 0 (SDM, CALL). The push is the last thing that can fault, so a fault leaves ESP and EIP.
    @inline(__always)
    func call(_ op: UnsafeMutablePointer<DecodedOp>, next: UInt32) throws(CPUException) {
        try push(op.pointee.size == 2 ? next & 0xFFFF : next, op.pointee.size)
        eip = op.pointee.imm
    }

    /// CALL r/m16, r/m32: the target is read before the return address is pushed.
    @inline(__always)
    func callIndirect(_ op: UnsafeMutablePointer<DecodedOp>, next: UInt32) throws(CPUException) {
        let target = try readRM(op, op.pointee.size)
        try push(op.pointee.size == 2 ? next & 0xFFFF : next, op.pointee.size)
        eip = target
    }

    /// RET and RET imm16: pop the return address, then release imm16 bytes of arguments.
    @inline(__always)
    func ret(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let target = try pop(op.pointee.size)
        s[GPR.esp] = s[GPR.esp] &+ op.pointee.imm
        eip = target
    }

    /// LOOP/LOOPE/LOOPNE rel8: decrement the count register without touching the flags, then
    /// jump while it is not zero (and, for LOOPE/LOOPNE, while ZF is 1/0). The address size
    /// picks CX or ECX (SDM, LOOP/LOOPcc: "the address-size attribute determines whether the
    /// count register is CX or ECX"), not the operand size.
    @inline(__always)
    func loop(_ op: UnsafeMutablePointer<DecodedOp>, _ h: H, next: UInt32) {
        let cx16 = op.pointee.addr16
        let count = (cx16 ? s[GPR.ecx] & 0xFFFF : s[GPR.ecx]) &- 1
        if cx16 { setR(GPR.ecxOffset, 2, count) } else { s[GPR.ecx] = count }
        var take = (count & (cx16 ? 0xFFFF : 0xFFFF_FFFF)) != 0
        if h == .loope { take = take && cond(4) }          // condition 4: ZF = 1
        else if h == .loopne { take = take && cond(5) }    // condition 5: ZF = 0
        eip = take ? op.pointee.imm : next
    }

    /// JCXZ/JECXZ rel8: jump when CX (16-bit address size) or ECX is zero; the count is tested,
    /// never changed, and no flag is read (SDM Vol. 2A, Jcc: "JCXZ/JECXZ ... the address-size
    /// attribute determines whether CX or ECX is tested").
    @inline(__always)
    func jcxz(_ op: UnsafeMutablePointer<DecodedOp>, next: UInt32) {
        let count = op.pointee.addr16 ? s[GPR.ecx] & 0xFFFF : s[GPR.ecx]
        eip = count == 0 ? op.pointee.imm : next
    }
}
