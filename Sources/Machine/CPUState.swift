import X86

/// EFLAGS bit masks (Intel SDM Vol. 1, 3.4.3, Figure 3-8).
public enum EFLAGS {
    public static let cf: UInt32 = 1 << 0
    /// Bit 1 is reserved and always reads 1.
    public static let reserved1: UInt32 = 1 << 1
    public static let pf: UInt32 = 1 << 2
    public static let af: UInt32 = 1 << 4
    public static let zf: UInt32 = 1 << 6
    public static let sf: UInt32 = 1 << 7
    public static let tf: UInt32 = 1 << 8
    public static let `if`: UInt32 = 1 << 9
    public static let df: UInt32 = 1 << 10
    public static let of: UInt32 = 1 << 11
    public static let iopl: UInt32 = 3 << 12
    public static let nt: UInt32 = 1 << 14
    public static let rf: UInt32 = 1 << 16
    public static let vm: UInt32 = 1 << 17
    public static let ac: UInt32 = 1 << 18
    public static let vif: UInt32 = 1 << 19
    public static let vip: UInt32 = 1 << 20
    public static let id: UInt32 = 1 << 21
    /// The six status flags computed by arithmetic (kept lazily).
    public static let arithmetic: UInt32 = cf | pf | af | zf | sf | of
    /// Bits that exist on the modeled CPU (a 486+ with CPUID): everything else reads 0.
    public static let implemented: UInt32 = 0x003F_7FD5
}

/// GDTR / IDTR contents (Intel SDM Vol. 3A, 2.4.1).
public struct DescriptorTableRegister: Equatable, Sendable {
    public var base: UInt32
    public var limit: UInt16
    public init(base: UInt32, limit: UInt16) { self.base = base; self.limit = limit }
}

/// Architectural state of the one modeled i386 CPU.
///
/// The hot state (GPRs, EIP, lazy condition codes, segment bases) lives in one word array
/// ``raw`` shared with the interpreter, so the run loop touches it through a plain pointer.
///
/// **Lazy condition codes** (QEMU's CC_OP scheme, Bellard 2005 §3.3): an arithmetic instruction
/// stores the operation kind and width (`ccOp`), its result and operands, and the carry-in
/// (`ccAux`); CF PF AF ZF SF OF are computed from them only when observed — by ``eflags``,
/// PUSHF, LAHF, SETcc, Jcc, CMOVcc, ADC/SBB/RCL/RCR, INTO, an exception, a trace. All other
/// EFLAGS bits (TF IF DF IOPL NT AC ID ...) are stored directly.
///
/// User-mode defaults follow a 32-bit process on an x86-64 Linux host (what `native` runs):
/// CS=0x23, DS=ES=SS=0x2B, FS=GS=0, CPL 3, IOPL 0, IF=1; CR0=0x80050033 (PE MP ET NE WP AM PG),
/// and the descriptor-table values that Linux's UMIP emulation reports to 32-bit processes
/// (GDTR base 0xFFFE0000 limit 0, IDTR base 0xFFFF0000 limit 0, TR 0x40, LDTR 0).
public final class CPUState {
    // Word indices into `raw`.
    @usableFromInline static let iEIP = 9, iOp = 10, iRes = 11, iSrc1 = 12, iSrc2 = 13, iAux = 14,
        iFlags = 15, iSegBase = 16
    /// 0…7 GPRs (EAX…EDI), 8 = constant 0 (the "no register" of an address), 9 EIP, 10 ccOp,
    /// 11 ccRes, 12 ccSrc1, 13 ccSrc2, 14 ccAux, 15 EFLAGS without the six status flags,
    /// 16…21 segment bases (ES CS SS DS FS GS).
    public let raw: UnsafeMutablePointer<UInt32>

    /// Segment selectors ES CS SS DS FS GS (index = ``SegmentRegister`` raw value).
    public var segments: [UInt16] = [0x2B, 0x23, 0x2B, 0x2B, 0, 0]
    /// Current privilege level (3 for user-mode emulation).
    public var cpl: UInt8 = 3
    public var cr0: UInt32 = 0x8005_0033
    /// The last page-fault linear address (set when a `#PF` is raised).
    public var cr2: UInt32 = 0
    public var cr3: UInt32 = 0
    public var cr4: UInt32 = 0
    public var gdtr = DescriptorTableRegister(base: 0xFFFE_0000, limit: 0)
    public var idtr = DescriptorTableRegister(base: 0xFFFF_0000, limit: 0)
    public var ldtr: UInt16 = 0
    public var tr: UInt16 = 0x40
    /// The user-visible part of the GDT, by descriptor index (selector >> 3), as raw 8-byte
    /// descriptors (SDM Vol. 3A, 3.4.5). Default: a flat 32-bit Linux-like layout, index 4 =
    /// user code (selector 0x23, 0x00CFFB00_0000FFFF), index 5 = user data (0x2B,
    /// 0x00CFF300_0000FFFF). Used by segment loads, far transfers, LAR/LSL/VERR/VERW; the Linux ABI
    /// may add TLS descriptors (set_thread_area). Other selectors raise #GP(selector).
    public var descriptors: [Int: UInt64] = [
        4: 0x00CF_FB00_0000_FFFF,
        5: 0x00CF_F300_0000_FFFF,
    ]

    /// The x87 FPU (Interpreter+X87.swift).
    public var x87 = X87State()

    public init() {
        raw = .allocate(capacity: 32)
        raw.initialize(repeating: 0, count: 32)
        raw[CPUState.iOp] = LazyFlags.opEflags
        raw[CPUState.iRes] = 0
        raw[CPUState.iFlags] = EFLAGS.reserved1 | EFLAGS.if
    }

    deinit { raw.deallocate() }

    public var eip: UInt32 {
        get { raw[CPUState.iEIP] }
        set { raw[CPUState.iEIP] = newValue }
    }

    /// 32-bit GPRs: 0…7 = EAX ECX EDX EBX ESP EBP ESI EDI.
    public subscript(reg32 n: Int) -> UInt32 {
        get { raw[n & 7] }
        set { raw[n & 7] = newValue }
    }

    /// 16-bit GPRs: 0…7 = AX CX DX BX SP BP SI DI.
    public subscript(reg16 n: Int) -> UInt16 {
        get { UInt16(truncatingIfNeeded: raw[n & 7]) }
        set { raw[n & 7] = (raw[n & 7] & 0xFFFF_0000) | UInt32(newValue) }
    }

    /// 8-bit GPRs: 0…7 = AL CL DL BL AH CH DH BH.
    public subscript(reg8 n: Int) -> UInt8 {
        get { UInt8(truncatingIfNeeded: raw[n & 3] >> (n & 4 == 0 ? 0 : 8)) }
        set {
            let shift: UInt32 = n & 4 == 0 ? 0 : 8
            raw[n & 3] = (raw[n & 3] & ~(0xFF << shift)) | (UInt32(newValue) << shift)
        }
    }

    public var eax: UInt32 { get { raw[0] } set { raw[0] = newValue } }
    public var ecx: UInt32 { get { raw[1] } set { raw[1] = newValue } }
    public var edx: UInt32 { get { raw[2] } set { raw[2] = newValue } }
    public var ebx: UInt32 { get { raw[3] } set { raw[3] = newValue } }
    public var esp: UInt32 { get { raw[4] } set { raw[4] = newValue } }
    public var ebp: UInt32 { get { raw[5] } set { raw[5] = newValue } }
    public var esi: UInt32 { get { raw[6] } set { raw[6] = newValue } }
    public var edi: UInt32 { get { raw[7] } set { raw[7] = newValue } }

    /// EFLAGS. Reading materializes the lazy condition codes; bit 1 always reads 1 and
    /// unimplemented bits read 0. Writing stores all bits (no privilege checks: that is POPF's job).
    public var eflags: UInt32 {
        get { LazyFlags.materialize(raw) | raw[CPUState.iFlags] }
        set {
            raw[CPUState.iFlags] = (newValue & EFLAGS.implemented & ~EFLAGS.arithmetic) | EFLAGS.reserved1
            raw[CPUState.iOp] = LazyFlags.opEflags
            raw[CPUState.iRes] = newValue & EFLAGS.arithmetic
        }
    }

    /// The current lazy-flags operation (for traces and teaching: "ADD32", "EFLAGS", ...).
    public var lazyFlagsDescription: String { LazyFlags.describe(raw[CPUState.iOp]) }

    public func selector(_ s: SegmentRegister) -> UInt16 { segments[Int(s.rawValue)] }
    /// Segment base added to every effective address using `s` (0 for flat user segments; the
    /// Linux ABI may set FS/GS bases for TLS).
    public func segmentBase(_ s: SegmentRegister) -> UInt32 { raw[CPUState.iSegBase + Int(s.rawValue)] }
    public func setSegmentBase(_ s: SegmentRegister, _ base: UInt32) { raw[CPUState.iSegBase + Int(s.rawValue)] = base }

    /// Base address of a raw segment descriptor.
    public static func descriptorBase(_ d: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (d >> 16) & 0xFF_FFFF) | UInt32(truncatingIfNeeded: (d >> 56) << 24)
    }

    /// Limit in bytes-minus-one of a raw segment descriptor (page granular when G = 1).
    public static func descriptorLimit(_ d: UInt64) -> UInt32 {
        let raw = UInt32(truncatingIfNeeded: d & 0xFFFF) | UInt32(truncatingIfNeeded: (d >> 48) & 0xF) << 16
        return d & (1 << 55) != 0 ? raw << 12 | 0xFFF : raw
    }

    /// Makes a raw 32-bit segment descriptor (G = 1 when `limit` > 0xFFFFF, D/B = 1).
    /// `access` is the byte holding P, DPL, S and type (e.g. 0xF3 for a DPL 3 data segment).
    public static func makeDescriptor(base: UInt32, limit: UInt32, access: UInt8) -> UInt64 {
        let g = limit > 0xFFFFF
        let l = g ? limit >> 12 : limit
        var d = UInt64(l & 0xFFFF) | UInt64(base & 0xFFFF) << 16
        d |= UInt64((base >> 16) & 0xFF) << 32 | UInt64(access) << 40
        d |= UInt64((l >> 16) & 0xF) << 48 | UInt64(g ? 0xC : 0x4) << 52 | UInt64(base >> 24) << 56
        return d
    }

    /// Direction flag.
    public var df: Bool { raw[CPUState.iFlags] & EFLAGS.df != 0 }
    /// Trap flag: the next instruction is single-stepped (Interpreter+SingleStep.swift).
    public var trapFlag: Bool { raw[CPUState.iFlags] & EFLAGS.tf != 0 }
}
