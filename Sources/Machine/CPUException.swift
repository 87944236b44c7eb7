import Descriptions
/// An exception raised by the modeled CPU (Intel SDM Vol. 3A, 6.3.1 and Table 6-1).
///
/// Fault-class exceptions (`#DE #UD #GP #PF`) report the EIP of the faulting instruction, whose
/// effects are undone (registers, flags and memory as before it; a string instruction keeps the
/// iterations it completed). Trap-class exceptions (`#BP` from INT3, `#OF` from INTO) report the
/// EIP of the next instruction, as the CPU pushes it.
public struct CPUException: Error, CustomStringConvertible, Sendable, Equatable {
    /// Exception vectors (Intel SDM Vol. 3A, Table 6-1).
    public enum Vector: UInt8, Sendable {
        case de = 0, db = 1, nmi = 2, bp = 3, of = 4, br = 5, ud = 6, nm = 7, df = 8
        case ts = 10, np = 11, ss = 12, gp = 13, pf = 14, mf = 16, ac = 17

        /// The SDM mnemonic, e.g. `#PF`.
        public var name: String {
            switch self {
            case .de: return "#DE"
            case .db: return "#DB"
            case .nmi: return "NMI"
            case .bp: return "#BP"
            case .of: return "#OF"
            case .br: return "#BR"
            case .ud: return "#UD"
            case .nm: return "#NM"
            case .df: return "#DF"
            case .ts: return "#TS"
            case .np: return "#NP"
            case .ss: return "#SS"
            case .gp: return "#GP"
            case .pf: return "#PF"
            case .mf: return "#MF"
            case .ac: return "#AC"
            }
        }
    }

    public var vector: Vector
    /// The error code the CPU pushes (`#GP`, `#PF`, ...), or `nil` for vectors without one.
    /// `#PF`: bit 0 P (1 = protection violation on a present page, 0 = page not present),
    /// bit 1 W/R (1 = write), bit 2 U/S (1 = access at CPL 3), bit 4 I/D (instruction fetch,
    /// only when ``GuestMemory/executeDisable`` is on, like NX) — Intel SDM Vol. 3A, 4.7.
    public var errorCode: UInt32?
    /// The faulting linear address (what the CPU loads into CR2) for `#PF`.
    public var faultAddress: UInt32?
    /// EIP of the faulting instruction (fault class), or of the next one (trap class).
    public var eip: UInt32
    /// Human-readable detail, e.g. "write to read-only page 0x08049000".
    public var detail: String

    public init(vector: Vector, errorCode: UInt32? = nil, faultAddress: UInt32? = nil,
                eip: UInt32 = 0, detail: String = "") {
        self.vector = vector
        self.errorCode = errorCode
        self.faultAddress = faultAddress
        self.eip = eip
        self.detail = detail
    }

    /// `#PF(0x7) at eip 0x0804900a: write to read-only page 0x08049123`
    public var description: String {
        var s = vector.name
        if let e = errorCode { s += "(0x" + String(e, radix: 16) + ")" }
        s += " at eip " + Hex.address(eip)
        if !detail.isEmpty { s += ": " + detail }
        return s
    }

    /// The Linux signal a user process receives for this exception (SIGFPE 8 for #DE, SIGTRAP 5
    /// for #BP/#DB, SIGILL 4 for #UD, SIGSEGV 11 for #GP/#PF/#OF/#SS/#NP, SIGBUS 7 for #AC).
    public var linuxSignal: Int32 {
        switch vector {
        case .de, .mf: return 8
        case .db, .bp: return 5
        case .ud: return 4
        case .ac: return 7
        default: return 11
        }
    }
}


