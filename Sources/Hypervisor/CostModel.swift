#if canImport(Glibc)
import Glibc
#endif
import Descriptions

/// The modeled cost of running a guest under a strategy, in CPU cycles. Every constant is named,
/// and docs/cost-model.md gives its source (or says that it is vsim's assumption). Presets stand
/// for CPU generations (`--cpu`); any constant can be overridden from a file (`--cost-model`).
///
/// Modeled cycles of a run = guest instructions × ``cyclesPerInstruction``
///   + per trap: ``trapRoundTrip`` + the VMM's work for it
///   + per VM exit: ``vmExitRoundTrip`` + the VMM's work for it
///   + per hypercall: ``hypercallRoundTrip`` + the VMM's work for it.
/// The VMM's work: ``emulateInstruction`` for an instruction it decodes and performs on the
/// virtual CPU, plus ``deviceAccess`` when that is an I/O access, or ``reflectEvent`` for an
/// exception or interrupt it pushes into the guest kernel's handler; ``shadowFill`` for a hidden
/// page fault of shadow paging (trap, bt, hvm without EPT: the first access to a page whose shadow
/// entry is not built yet).
public struct CostModel: Sendable, Equatable {
    /// Preset name (`prescott`, `merom`, `nehalem`, `haswell`, `cascadelake`, or `file` after an override).
    public var name: String
    /// The preset CPU's base clock, GHz (spec sheets: Pentium 4 672 3.8, Core 2 T5600 1.83,
    /// Core i5-760 2.8, Core i7-4770 3.4, Xeon Gold 6252N 2.3): turns modeled cycles into the
    /// modeled time `vsim compare` shows for the modeled rows.
    public var clockGHz: Double = 3.4
    /// Cycles per guest instruction that runs without the VMM (vsim's assumption: IPC 1).
    public var cyclesPerInstruction: Double = 1
    /// A fault from ring 1 or 3 into the VMM at ring 0 and the IRET back (no handler work).
    public var trapRoundTrip: UInt64 = 889
    /// A VM exit and the VM entry that resumes the guest (no handler work).
    public var vmExitRoundTrip: UInt64
    /// `int $0x82` from ring 1 into the VMM and back.
    public var hypercallRoundTrip: UInt64 = 889
    /// The VMM decoding and emulating one guest instruction against the virtual CPU.
    public var emulateInstruction: UInt64 = 200
    /// The VMM's device model handling one port access (UART register, exit port, timer).
    public var deviceAccess: UInt64 = 300
    /// The VMM building an exception or interrupt frame on the guest kernel's stack.
    public var reflectEvent: UInt64 = 200
    /// The hardware performing one port access natively (the ISA bus cycle a real device costs):
    /// only the native-equivalent meter pays it; VMMs replace it with ``deviceAccess``.
    public var portIO: UInt64 = 3_209
    /// The hardware performing a MOV to a control register that does not exit (serializing).
    public var controlRegisterWrite: UInt64 = 140
    /// BT: a callout from translated code into the VMM and back (no work).
    public var btCallout: UInt64 = 191
    /// BT: a simple privileged instruction emulated inside the translation cache (CLI, STI, a
    /// control-register write that only the virtual CPU needs).
    public var btInTC: UInt64 = 35
    /// BT: translating one guest kernel instruction into the translation cache.
    public var btTranslateInstruction: UInt64 = 300
    /// BT: an indirect control transfer (RET, JMP/CALL through a register or memory) looked up
    /// in the translation cache's hash table at run time.
    public var btIndirectLookup: UInt64 = 40
    /// hvm with EPT: one memory reference of a page walk beyond what a native walk makes.
    public var pageWalkReference: UInt64 = 10
    /// Shadow paging (trap, bt, hvm without EPT): the VMM's work for one hidden page fault: walk
    /// the guest's two-level tables for the faulting page and write the shadow entry (or drop a
    /// shadow table whose directory the guest freed). The round trip (a trap, or a VM exit) is
    /// paid on top.
    public var shadowFill: UInt64 = 200

    /// The named constants, in the order docs/cost-model.md lists them.
    public static let constantNames = ["cyclesPerInstruction", "trapRoundTrip", "vmExitRoundTrip", "hypercallRoundTrip",
                                       "emulateInstruction", "deviceAccess", "reflectEvent", "portIO", "controlRegisterWrite",
                                       "btCallout", "btInTC", "btTranslateInstruction", "btIndirectLookup", "pageWalkReference", "shadowFill", "clockGHz"]

    /// VM exit round trips, cycles: Prescott ~3,960 (Agesen et al., USENIX ATC 2012, Table 1: the
    /// first VT-x generation, that of Adams & Agesen's Pentium 4); measured by `vmlatency`
    /// (CPUID exit, no handler work):
    /// Merom T5600 ~1,680; Nehalem i5-760 ~950; Haswell i7-4770 530–600 (midpoint 565);
    /// Cascade Lake Xeon Gold 6252N 440–520 (midpoint 480). See docs/cost-model.md.
    public static let presets: [String: CostModel] = [
        "prescott": CostModel(name: "prescott", vmExitRoundTrip: 3_960, clockGHz: 3.8),
        "merom": CostModel(name: "merom", vmExitRoundTrip: 1_680, clockGHz: 1.83),
        "nehalem": CostModel(name: "nehalem", vmExitRoundTrip: 950, clockGHz: 2.8),
        "haswell": CostModel(name: "haswell", vmExitRoundTrip: 565, clockGHz: 3.4),
        "cascadelake": CostModel(name: "cascadelake", vmExitRoundTrip: 480, clockGHz: 2.3),
    ]
    public static let defaultPreset = "haswell"
    public static var `default`: CostModel { presets[defaultPreset]! }

    public init(name: String, vmExitRoundTrip: UInt64, clockGHz: Double = 3.4) {
        self.name = name
        self.vmExitRoundTrip = vmExitRoundTrip
        self.clockGHz = clockGHz
    }

    public enum ParseError: Error, CustomStringConvertible {
        case unknownPreset(String)
        case badLine(file: String, line: Int, text: String, why: String)
        case unreadable(String)
        public var description: String {
            switch self {
            case .unknownPreset(let p):
                return "unknown --cpu '\(p)'; known: \(CostModel.presets.keys.sorted().joined(separator: ", "))"
            case .badLine(let f, let n, let t, let why): return "\(f):\(n): \(why): \(t)"
            case .unreadable(let why): return why
            }
        }
    }

    /// The preset `name`.
    public static func preset(_ name: String) throws(ParseError) -> CostModel {
        guard let p = presets[name.lowercased()] else { throw .unknownPreset(name) }
        return p
    }

    /// Applies `name = value` lines (`#` starts a comment) to the model.
    public mutating func apply(_ text: String, file: String = "cost model") throws(ParseError) {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let trimmed = line.trimmed(" \t\r")
            if trimmed.isEmpty { continue }
            let parts = trimmed.split(separator: "=", maxSplits: 1).map { String($0).trimmed(" \t\r") }
            guard parts.count == 2 else { throw .badLine(file: file, line: i + 1, text: trimmed, why: "expected name = value") }
            let (key, value) = (parts[0], parts[1])
            if key == "cyclesPerInstruction" || key == "clockGHz" {
                guard let v = Double(value), v >= 0, v.isFinite, key != "clockGHz" || v > 0 else { throw .badLine(file: file, line: i + 1, text: trimmed, why: "not a non-negative number") }
                if key == "clockGHz" { clockGHz = v } else { cyclesPerInstruction = v }
                continue
            }
            guard let v = UInt64(value) else { throw .badLine(file: file, line: i + 1, text: trimmed, why: "not a whole number of cycles") }
            switch key {
            case "trapRoundTrip": trapRoundTrip = v
            case "vmExitRoundTrip": vmExitRoundTrip = v
            case "hypercallRoundTrip": hypercallRoundTrip = v
            case "emulateInstruction": emulateInstruction = v
            case "deviceAccess": deviceAccess = v
            case "reflectEvent": reflectEvent = v
            case "portIO": portIO = v
            case "controlRegisterWrite": controlRegisterWrite = v
            case "btCallout": btCallout = v
            case "btInTC": btInTC = v
            case "btTranslateInstruction": btTranslateInstruction = v
            case "btIndirectLookup": btIndirectLookup = v
            case "pageWalkReference": pageWalkReference = v
            case "shadowFill": shadowFill = v
            default:
                throw .badLine(file: file, line: i + 1, text: trimmed, why: "unknown constant (known: \(CostModel.constantNames.joined(separator: ", ")))")
            }
        }
    }

    /// The model from a file of `name = value` lines on top of `base`.
    public static func load(path: String, base: CostModel) throws(ParseError) -> CostModel {
        guard let f = fopen(path, "r") else { throw .unreadable("\(path): cannot be read (\(String(cString: strerror(errno))))") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        // fopen(3) opens a directory for reading; the read then fails (EISDIR): an error, not
        // an empty file that leaves every constant at the preset's.
        if ferror(f) != 0 { throw .unreadable("\(path): cannot be read (\(String(cString: strerror(errno))))") }
        var m = base
        m.name = base.name + "+" + path
        try m.apply(String(decoding: bytes, as: UTF8.self), file: path)
        return m
    }
}

