/// POP r/m, PUSHA/POPA, PUSHF/POPF, ENTER (Intel SDM Vol. 2B). The stack is 32-bit (flat SS
/// with B = 1): ESP moves by the *operand* size (2 under 0x66, else 4).
extension Interpreter {
    /// POP r/m: ESP is incremented *before* the destination address is computed (SDM "POP":
    /// "If the ESP register is used as a base register ... computes the effective address after
    /// it increments the ESP register").
    func popToMemory(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size
        let oldESP = s[GPR.esp]
        let v = try rd(oldESP &+ segBase(2), sz)
        s[GPR.esp] = oldESP &+ UInt32(sz)
        let addr = ea(op)
        do throws(CPUException) { try wr(addr, sz, v) } catch {
            s[GPR.esp] = oldESP
            throw error
        }
    }

    /// PUSHA/PUSHAD: EAX ECX EDX EBX (original ESP) EBP ESI EDI; all-or-nothing.
    func pusha(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, n = UInt32(sz)
        let top = s[GPR.esp] &- 8 * n
        try checkWritable(top &+ segBase(2), 8 * n)
        let orig = s[GPR.esp]
        var a = s[GPR.esp]
        for i in 0..<8 {
            a = a &- n
            let v = i == 4 ? orig : s[i]
            try wr(a &+ segBase(2), sz, v)
        }
        s[GPR.esp] = top
    }

    /// POPA/POPAD: EDI ESI EBP (skip) EBX EDX ECX EAX.
    func popa(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, n = UInt32(sz)
        var vals = (UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0))
        try withUnsafeMutableBytes(of: &vals) { (p: UnsafeMutableRawBufferPointer) throws(CPUException) in
            for i in 0..<8 {
                let v = try rd(s[GPR.esp] &+ UInt32(i) * n &+ segBase(2), sz)
                p.storeBytes(of: v, toByteOffset: i * 4, as: UInt32.self)
            }
            for i in 0..<8 where i != 3 {
                let v = p.load(fromByteOffset: i * 4, as: UInt32.self)
                setR(UInt8((7 - i) * 4), sz, v)
            }
        }
        s[GPR.esp] = s[GPR.esp] &+ 8 * n
    }

    @inline(__always) var iopl: UInt8 { UInt8((flagsRest >> 12) & 3) }

    /// EFLAGS image pushed by PUSHF(D): VM and RF read as 0 (SDM "PUSHF").
    func eflagsForPush() -> UInt32 {
        (statusFlags | flagsRest) & ~(EFLAGS.vm | EFLAGS.rf)
    }

    /// POPF(D) in protected mode (SDM "POPF"): IOPL changes only at CPL 0, IF only when
    /// CPL <= IOPL, VM/VIF/VIP never, RF is cleared; other changes are silently dropped (the
    /// "sensitive but unprivileged" behavior). 16-bit POPF writes only bits 15:0.
    func writeEflags(_ v: UInt32, size: UInt8) {
        var allowed: UInt32 = EFLAGS.arithmetic | EFLAGS.tf | EFLAGS.df | EFLAGS.nt | EFLAGS.ac | EFLAGS.id
        if cpu.cpl == 0 { allowed |= EFLAGS.iopl }
        if cpu.cpl <= iopl { allowed |= EFLAGS.if }
        if size == 2 { allowed &= 0xFFFF }
        let old = statusFlags | flagsRest
        let new = ((old & ~allowed) | (v & allowed)) & ~EFLAGS.rf
        setFlags(new & EFLAGS.arithmetic)
        flagsRest = (new & EFLAGS.implemented & ~EFLAGS.arithmetic) | EFLAGS.reserved1
    }

    /// ENTER imm16, imm8 (SDM "ENTER"), nesting level taken MOD 32; all-or-nothing.
    func enter(_ op: UnsafeMutablePointer<DecodedOp>) throws(CPUException) {
        let sz = op.pointee.size, n = UInt32(sz)
        let alloc = op.pointee.imm & 0xFFFF
        let level = op.pointee.imm2 & 0x1F
        let ss = segBase(2)
        // Read the frame pointers to copy first (they may fault).
        var copied: [UInt32] = []
        var ebp = s[GPR.ebp]
        if level > 1 {
            for _ in 1..<level {
                ebp = ebp &- n
                copied.append(try rd(ebp &+ ss, sz))
            }
        }
        let pushes = 1 + UInt32(copied.count) + (level > 0 ? 1 : 0)
        try checkWritable(s[GPR.esp] &- pushes * n &+ ss, pushes * n)
        var esp = s[GPR.esp] &- n
        try wr(esp &+ ss, sz, s[GPR.ebp])
        let frameTemp = esp
        for v in copied { esp = esp &- n; try wr(esp &+ ss, sz, v) }
        if level > 0 { esp = esp &- n; try wr(esp &+ ss, sz, frameTemp) }
        setR(GPR.ebpOffset, sz, frameTemp)
        s[GPR.esp] = esp &- alloc
    }
}
