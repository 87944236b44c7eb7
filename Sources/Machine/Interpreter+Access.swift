/// The general registers' places in the register file (``CPUState/raw``), in the order of their
/// ModRM encoding (Intel SDM Vol. 2A, Table 2-1): word indices for 32-bit access through `s[...]`,
/// and byte offsets for ``Interpreter/getR(_:_:)`` and ``Interpreter/setR(_:_:_:)``, whose size
/// argument picks the part (EAX at 4 bytes, AX at 2, AL at 1; AH is the byte at offset 1).
enum GPR {
    static let eax = 0, ecx = 1, edx = 2, ebx = 3, esp = 4, ebp = 5, esi = 6, edi = 7
    static let eaxOffset: UInt8 = 0, ecxOffset: UInt8 = 4, edxOffset: UInt8 = 8, ebxOffset: UInt8 = 12,
               espOffset: UInt8 = 16, ebpOffset: UInt8 = 20, esiOffset: UInt8 = 24, ediOffset: UInt8 = 28,
               ahOffset: UInt8 = 1
}

/// Operand access for the interpreter: registers, effective addresses, guest memory with the
/// page-permission fast path, and the lazy-flags state, on the raw pointers of a
/// ``HotContext``. Everything here is inlined into the run loop; ``Interpreter`` has the same
/// accessors, which forward here (Interpreter+Access.swift, below).
extension HotContext {
    // MARK: registers

    /// Reads a register operand of `size` bytes at byte offset `off` of the register file.
    @inline(__always) func getR(_ off: UInt8, _ size: UInt8) -> UInt32 {
        let p = sb + Int(off)
        switch size {
        case 4: return p.load(as: UInt32.self)
        case 2: return UInt32(p.load(as: UInt16.self))
        default: return UInt32(p.load(as: UInt8.self))
        }
    }

    /// Writes the low `size` bytes of `v` to a register operand (upper bytes of the 32-bit
    /// register are kept for 8/16-bit writes, as on i386).
    @inline(__always) func setR(_ off: UInt8, _ size: UInt8, _ v: UInt32) {
        let p = sb + Int(off)
        switch size {
        case 4: p.storeBytes(of: v, as: UInt32.self)
        case 2: p.storeBytes(of: UInt16(truncatingIfNeeded: v), as: UInt16.self)
        default: p.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
        }
    }

    @inline(__always) func r32(_ off: UInt8) -> UInt32 { (sb + Int(off)).load(as: UInt32.self) }
    /// The byte register at byte offset `off` (AL ... BH), zero-extended.
    @inline(__always) func r8(_ off: UInt8) -> UInt32 {
        UInt32(UnsafeMutablePointer<UInt8>(OpaquePointer(s))[Int(off)])
    }
    @inline(__always) func setR32(_ off: UInt8, _ v: UInt32) { (sb + Int(off)).storeBytes(of: v, as: UInt32.self) }

    @inline(__always) var eip: UInt32 {
        get { s[CPUState.iEIP] }
        nonmutating set { s[CPUState.iEIP] = newValue }
    }

    // MARK: addresses

    /// Offset (effective address, Intel SDM Vol. 1, 3.7.5) of the memory operand, before the
    /// segment base: base + index << scale + disp, truncated to 16 bits under 0x67.
    @inline(__always) func offset(_ op: UnsafeMutablePointer<DecodedOp>) -> UInt32 {
        var a = s[Int(op.pointee.base)] &+ (s[Int(op.pointee.index)] &<< UInt32(op.pointee.scale)) &+ op.pointee.disp
        if op.pointee.flags & DecodedOp.fAddr16 != 0 { a &= 0xFFFF }
        return a
    }

    /// Linear address of the memory operand (segment base added).
    @inline(__always) func ea(_ op: UnsafeMutablePointer<DecodedOp>) -> UInt32 {
        offset(op) &+ s[CPUState.iSegBase + Int(op.pointee.seg)]
    }

    /// ``ea(_:)`` of an op made only for 32-bit addressing (no 0x67 prefix: ``DecodedOp/init(_:)``
    /// gives the forms that use this, such as ``H/mov32RM`` and ``H/mov8MR``, no `fAddr16` op).
    @inline(__always) func ea32(_ op: UnsafeMutablePointer<DecodedOp>) -> UInt32 {
        s[Int(op.pointee.base)] &+ (s[Int(op.pointee.index)] &<< UInt32(op.pointee.scale)) &+ op.pointee.disp
            &+ s[CPUState.iSegBase + Int(op.pointee.seg)]
    }

    /// ``ea32(_:)`` of a memory operand [base + index] (scale 1, no displacement) in a segment
    /// whose base is 0 (the `bi` forms, ``Interpreter/specializeAddressing(_:_:_:)``): the
    /// linear address is the offset.
    @inline(__always) func ea32bi(_ op: UnsafeMutablePointer<DecodedOp>) -> UInt32 {
        s[Int(op.pointee.base)] &+ s[Int(op.pointee.index)]
    }

    /// ``ea32(_:)`` of a memory operand [base + disp] (no index) in a segment whose base is 0
    /// (the `bd` forms, ``Interpreter/specializeAddressing(_:_:_:)``).
    @inline(__always) func ea32bd(_ op: UnsafeMutablePointer<DecodedOp>) -> UInt32 {
        s[Int(op.pointee.base)] &+ op.pointee.disp
    }

    // MARK: guest memory

    /// Reads `size` bytes at linear address `a` (needs R; `#PF` otherwise).
    @inline(__always) func rd(_ a: UInt32, _ size: UInt8) throws(CPUException) -> UInt32 {
        let e = pt[Int(a >> 12)]
        if _fastPath(e & (GuestMemory.pR | GuestMemory.pS) == GuestMemory.pR && (a & 0xFFF) <= 0x1000 - UInt32(size)) {
            let p = mem + Int(a)
            switch size {
            case 4: return p.loadUnaligned(as: UInt32.self)
            case 2: return UInt32(p.loadUnaligned(as: UInt16.self))
            default: return UInt32(p.load(as: UInt8.self))
            }
        }
        return try rdSlow(a, size, write: false).unwrapped()
    }

    /// ``rd(_:_:)`` of one byte (which cannot cross a page).
    @inline(__always) func rd8(_ a: UInt32) throws(CPUException) -> UInt32 {
        let e = pt[Int(a >> 12)]
        if _fastPath(e & (GuestMemory.pR | GuestMemory.pS) == GuestMemory.pR) {
            return UInt32(mem.load(fromByteOffset: Int(a), as: UInt8.self))
        }
        return try rdSlow(a, 1, write: false).unwrapped()
    }

    @inline(__always) func rd32(_ a: UInt32) throws(CPUException) -> UInt32 {
        let e = pt[Int(a >> 12)]
        if _fastPath(e & (GuestMemory.pR | GuestMemory.pS) == GuestMemory.pR && (a & 0xFFF) <= 0xFFC) {
            return (mem + Int(a)).loadUnaligned(as: UInt32.self)
        }
        return try rdSlow(a, 4, write: false).unwrapped()
    }

    /// Reads the operand of a read-modify-write instruction: needs W as well (x86 reports a
    /// write fault, error code bit 1, for a read-modify-write to a read-only page).
    @inline(__always) func rdRMW(_ a: UInt32, _ size: UInt8) throws(CPUException) -> UInt32 {
        let e = pt[Int(a >> 12)]
        if _fastPath(e & (GuestMemory.pW | GuestMemory.pS) == GuestMemory.pW && (a & 0xFFF) <= 0x1000 - UInt32(size)) {
            let p = mem + Int(a)
            switch size {
            case 4: return p.loadUnaligned(as: UInt32.self)
            case 2: return UInt32(p.loadUnaligned(as: UInt16.self))
            default: return UInt32(p.load(as: UInt8.self))
            }
        }
        return try rdSlow(a, size, write: true).unwrapped()
    }

    /// Writes the low `size` bytes of `v` at `a` (needs W; `#PF` otherwise, nothing written).
    @inline(__always) func wr(_ a: UInt32, _ size: UInt8, _ v: UInt32) throws(CPUException) {
        let e = pt[Int(a >> 12)]
        if _fastPath(e & (GuestMemory.pW | GuestMemory.pS | GuestMemory.pCode) == GuestMemory.pW
                        && (a & 0xFFF) <= 0x1000 - UInt32(size)) {
            let p = mem + Int(a)
            switch size {
            case 4: p.storeBytes(of: v, as: UInt32.self)
            case 2: p.storeBytes(of: UInt16(truncatingIfNeeded: v), as: UInt16.self)
            default: p.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
            }
            return
        }
        try wrSlow(a, size, v).unwrapped()
    }

    /// ``wr(_:_:_:)`` of one byte (the low byte of `v`).
    @inline(__always) func wr8(_ a: UInt32, _ v: UInt32) throws(CPUException) {
        let e = pt[Int(a >> 12)]
        if _fastPath(e & (GuestMemory.pW | GuestMemory.pS | GuestMemory.pCode) == GuestMemory.pW) {
            mem.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: Int(a), as: UInt8.self)
            return
        }
        try wrSlow(a, 1, v).unwrapped()
    }

    @inline(__always) func wr32(_ a: UInt32, _ v: UInt32) throws(CPUException) {
        let e = pt[Int(a >> 12)]
        if _fastPath(e & (GuestMemory.pW | GuestMemory.pS | GuestMemory.pCode) == GuestMemory.pW && (a & 0xFFF) <= 0xFFC) {
            (mem + Int(a)).storeBytes(of: v, as: UInt32.self)
            return
        }
        try wrSlow(a, 4, v).unwrapped()
    }

    // MARK: r/m operands

    /// Reads the r/m operand (register or memory) with the instruction's operand size.
    @inline(__always) func readRM(_ op: UnsafeMutablePointer<DecodedOp>, _ size: UInt8) throws(CPUException) -> UInt32 {
        if op.pointee.flags & DecodedOp.fMem != 0 { return try rd(ea(op), size) }
        return getR(op.pointee.rm, size)
    }

    // MARK: lazy flags

    @inline(__always) func setCC(_ kind: UInt32, _ w: UInt8, _ res: UInt32, _ a: UInt32, _ b: UInt32) {
        s[CPUState.iOp] = kind << 2 | UInt32(w)
        s[CPUState.iRes] = res
        s[CPUState.iSrc1] = a
        s[CPUState.iSrc2] = b
    }

}

/// The accessors above on the interpreter itself (through ``Interpreter/hot``), for the forms
/// outside the hot loop, and the slow paths of guest memory.
extension Interpreter {
    /// The raw pointers of this interpreter as a value (``HotContext``).
    @inline(__always) var hot: HotContext { HotContext(s: s, mem: mem, ip: Unmanaged.passUnretained(self)) }

    @inline(__always) func getR(_ off: UInt8, _ size: UInt8) -> UInt32 { hot.getR(off, size) }
    @inline(__always) func setR(_ off: UInt8, _ size: UInt8, _ v: UInt32) { hot.setR(off, size, v) }
    @inline(__always) func r32(_ off: UInt8) -> UInt32 { hot.r32(off) }
    @inline(__always) func setR32(_ off: UInt8, _ v: UInt32) { hot.setR32(off, v) }
    @inline(__always) var eip: UInt32 {
        get { s[CPUState.iEIP] }
        set { s[CPUState.iEIP] = newValue }
    }
    @inline(__always) var flagsRest: UInt32 {
        get { s[CPUState.iFlags] }
        set { s[CPUState.iFlags] = newValue }
    }
    @inline(__always) func offset(_ op: UnsafeMutablePointer<DecodedOp>) -> UInt32 { hot.offset(op) }
    @inline(__always) func ea(_ op: UnsafeMutablePointer<DecodedOp>) -> UInt32 { hot.ea(op) }
    @inline(__always) func segBase(_ seg: UInt8) -> UInt32 { s[CPUState.iSegBase + Int(seg)] }
    @inline(__always) func ea32(_ op: UnsafeMutablePointer<DecodedOp>) -> UInt32 { hot.ea32(op) }
    @inline(__always) func rd(_ a: UInt32, _ size: UInt8) throws(CPUException) -> UInt32 { try hot.rd(a, size) }
    @inline(__always) func rd8(_ a: UInt32) throws(CPUException) -> UInt32 { try hot.rd8(a) }
    @inline(__always) func rd32(_ a: UInt32) throws(CPUException) -> UInt32 { try hot.rd32(a) }
    @inline(__always) func rdRMW(_ a: UInt32, _ size: UInt8) throws(CPUException) -> UInt32 { try hot.rdRMW(a, size) }
    @inline(__always) func wr(_ a: UInt32, _ size: UInt8, _ v: UInt32) throws(CPUException) { try hot.wr(a, size, v) }
    @inline(__always) func wr8(_ a: UInt32, _ v: UInt32) throws(CPUException) { try hot.wr8(a, v) }
    @inline(__always) func wr32(_ a: UInt32, _ v: UInt32) throws(CPUException) { try hot.wr32(a, v) }
    @inline(__always) func readRM(_ op: UnsafeMutablePointer<DecodedOp>, _ size: UInt8) throws(CPUException) -> UInt32 {
        try hot.readRM(op, size)
    }
    @inline(__always) func setCC(_ kind: UInt32, _ w: UInt8, _ res: UInt32, _ a: UInt32, _ b: UInt32) {
        hot.setCC(kind, w, res, a, b)
    }

    @inline(never)
    func rdSlow(_ a: UInt32, _ size: UInt8, write: Bool) throws(CPUException) -> UInt32 {
        let last = a &+ UInt32(size) &- 1
        if write {
            try memory.checkWrite(a)
            if last >> 12 != a >> 12 { try memory.checkWrite(last & ~0xFFF) }
        }
        try memory.checkRead(a)
        if last >> 12 != a >> 12 { try memory.checkRead(last & ~0xFFF) }
        var v: UInt32 = 0
        for i in 0..<UInt32(size) {
            v |= UInt32(mem.load(fromByteOffset: Int(a &+ i), as: UInt8.self)) << (8 * i)
        }
        return v
    }

    @inline(never)
    func wrSlow(_ a: UInt32, _ size: UInt8, _ v: UInt32) throws(CPUException) {
        let last = a &+ UInt32(size) &- 1
        try memory.checkWrite(a)
        if last >> 12 != a >> 12 { try memory.checkWrite(last & ~0xFFF) }
        // A page holding code is host read-only while the translator runs (GuestMemory+HostProtection).
        memory.withHostAccess(address: a, count: Int(size)) {
            for i in 0..<UInt32(size) {
                mem.storeBytes(of: UInt8(truncatingIfNeeded: v >> (8 * i)), toByteOffset: Int(a &+ i), as: UInt8.self)
            }
        }
        memory.notifyWrite(a, UInt32(size), force: false)
    }

    /// Checks that `[a, a+count)` may be written, without writing (for multi-word stores that
    /// must be all-or-nothing, e.g. PUSHA, ENTER).
    func checkWritable(_ a: UInt32, _ count: UInt32) throws(CPUException) {
        try memory.checkWrite(a)
        var page = (a & ~0xFFF) &+ 0x1000
        let last = a &+ count &- 1
        while page != (last & ~0xFFF) &+ 0x1000 && (page &- a) < count {
            try memory.checkWrite(page)
            page = page &+ 0x1000
        }
    }

    // MARK: stack (SS base, ESP; 32-bit stack: flat Linux SS has B = 1)

    @inline(__always) func push(_ v: UInt32, _ size: UInt8) throws(CPUException) {
        let sp = s[GPR.esp] &- UInt32(size)
        try wr(sp &+ s[CPUState.iSegBase + 2], size, v)
        s[GPR.esp] = sp
    }

    @inline(__always) func pop(_ size: UInt8) throws(CPUException) -> UInt32 {
        let v = try rd(s[GPR.esp] &+ s[CPUState.iSegBase + 2], size)
        s[GPR.esp] = s[GPR.esp] &+ UInt32(size)
        return v
    }

    /// Stores materialized status flags `f` (only CF PF AF ZF SF OF are kept).
    @inline(__always) func setFlags(_ f: UInt32) {
        s[CPUState.iOp] = LazyFlags.opEflags
        s[CPUState.iRes] = f & EFLAGS.arithmetic
    }

    @inline(__always) var carry: UInt32 { LazyFlags.carry(s) }
    @inline(__always) var statusFlags: UInt32 { LazyFlags.materialize(s) }
    @inline(__always) func cond(_ cc: UInt8) -> Bool { LazyFlags.condition(cc, s) }
}

/// The operand mask of width class `w` (0, 1, 2: 8, 16, 32 bits). Wrapping shifts: no range checks.
@inline(__always) func maskOf(_ w: UInt8) -> UInt32 { UInt32.max &>> (32 &- (8 &<< UInt32(w))) }
/// The sign bit of width class `w`.
@inline(__always) func signOf(_ w: UInt8) -> UInt32 { 1 &<< ((8 &<< UInt32(w)) &- 1) }
