import Machine
import X86

/// What the VMM took: a trap (trap-and-emulate), a VM exit (VT-x), a hypercall (PV), a callout
/// from translated code (BT; also the simple instructions BT emulates inside the translation
/// cache, whose reasons end in "(in TC)").
public enum VMMEventKind: String, Sendable, CaseIterable {
    case trap, exit, hypercall, callout

    /// The reasons the VMMs count events of this kind under, as `info traps` and `--trace traps`
    /// show them; a word in capitals stands for a family (`#GP: MNEMONIC` is `#GP: out`,
    /// `#GP: cli`, ...; `int 0xNN` is a software interrupt such as `int 0x80`).
    /// - trap: the exception vectors (`#DE` ... `#AC`, SDM Vol. 3A Table 6-1), `#GP: MNEMONIC`
    ///   (a privileged instruction trapped and emulated), `#PF: traced page-table write`, the
    ///   hidden faults of shadow paging (`#PF: hidden (shadow fill)`, `#PF: hidden (unshadow)`),
    ///   `int 0xNN` and `interrupt 0xNN` (an external interrupt);
    /// - exit: the basic VM-exit reasons as "number name" (``ExitReason/label``, e.g.
    ///   `30 I/O instruction`), and reason 0's hidden page faults apart
    ///   (`0 Exception or non-maskable interrupt (NMI): hidden #PF (shadow fill)`, `... (unshadow)`);
    /// - hypercall: Xen's hypercall names (``Hypercall/name``, e.g. `console_io`);
    /// - callout: the rewritten instruction's mnemonic (`popf`, `mov to cr3`, `ptemod (adaptive)`),
    ///   with ` (in TC)` for those emulated inside the translation cache.
    public var knownReasons: [String] {
        switch self {
        case .trap:
            let vectors = (UInt8(0)...31).compactMap { CPUException.Vector(rawValue: $0)?.name }
            return vectors + ["#GP: MNEMONIC", "#PF: traced page-table write", ShadowPageTables.trapFill, ShadowPageTables.trapUnshadow,
                              "int 0xNN", "interrupt 0xNN"]
        case .exit: return ExitReason.allCases.map(\.label) + [ShadowPageTables.exitFill, ShadowPageTables.exitUnshadow]
        case .hypercall: return Hypercall.allCases.map(\.name)
        case .callout: return ["MNEMONIC", "MNEMONIC (in TC)", "ptemod (adaptive)"]
        }
    }

    /// Whether `reason` (as counted) matches `pattern` as `catch` reads it: ignoring case, the
    /// whole reason, its leading number (`30` for `30 I/O instruction`) or any part of it. An
    /// empty or nil pattern matches every reason.
    public static func reason(_ reason: String, matches pattern: String?) -> Bool {
        guard let p = pattern?.lowercased(), !p.isEmpty else { return true }
        let r = reason.lowercased()
        return r == p || r.hasPrefix(p + " ") || r.contains(p)
    }

    /// Whether `pattern` can match some reason of this kind (see ``knownReasons``): false for a
    /// misspelling such as `catch exit I/0`, which would never fire.
    public func recognizes(_ pattern: String) -> Bool {
        let candidates: [String]
        if self == .trap {
            // The families spelled out: every mnemonic, the control-register moves, every vector.
            let mnemonics = Mnemonic.allCases.map { "#GP: \($0)" }
                + (0...4).flatMap { ["#GP: mov to cr\($0)", "#GP: mov from cr\($0)"] }
            let vectors = (0...255).flatMap { v -> [String] in
                let hex = String(v, radix: 16)
                return ["int 0x\(hex)", "interrupt 0x\(hex)"]
            }
            candidates = knownReasons.filter { !$0.contains("NN") && !$0.contains("MNEMONIC") } + mnemonics + vectors
        } else if self == .callout {
            let mnemonics = Mnemonic.allCases.map { "\($0)" }
                + (0...4).flatMap { ["mov to cr\($0)", "mov from cr\($0)"] } + ["mov to cr0 (TS only)"]
            candidates = mnemonics + mnemonics.map { $0 + " (in TC)" } + ["ptemod (adaptive)"]
        } else {
            candidates = knownReasons
        }
        return candidates.contains { Self.reason($0, matches: pattern) }
    }
}

/// One event the VMM handled, for `--trace traps` and the counters.
public struct VMMEvent: Sendable {
    public var kind: VMMEventKind
    /// The reason, as counted: e.g. "#GP: out", "int 0x80", "30 I/O instruction".
    public var reason: String
    public var eip: UInt32
    /// The guest instruction (AT&T), when there is one.
    public var instruction: String
    /// What the VMM did, e.g. "emulated: COM1 THR <- 0x48", "reflected to the guest's vector 0x80".
    public var action: String
    /// Modeled cycles of the event (round trip + the VMM's work).
    public var cycles: UInt64
}

/// Counters of VMM events by kind and reason, their modeled cycles, and an optional trace sink.
public final class VMMLog {
    public private(set) var counts: [VMMEventKind: [String: UInt64]] = [:]
    public private(set) var cycles: UInt64 = 0
    public private(set) var total: UInt64 = 0
    /// Receives one line per event when set (`--trace traps`).
    public var trace: ((String) -> Void)?

    public init() {}

    public func record(_ e: VMMEvent) {
        counts[e.kind, default: [:]][e.reason, default: 0] &+= 1
        cycles &+= e.cycles
        total &+= 1
        if let trace {
            let eip = String(e.eip, radix: 16)
            let text = e.instruction.isEmpty ? "" : "  \(e.instruction)"
            trace("\(e.kind) 0x\(String(repeating: "0", count: max(0, 8 - eip.count)) + eip)\(text)  [\(e.reason)] \(e.action)  (\(e.cycles) cycles)")
        }
    }

    /// Adds cycles that are no event of their own (translation, lookups, hardware work).
    public func charge(_ c: UInt64) { cycles &+= c }

    /// Events of `kind` by reason.
    public func counts(_ kind: VMMEventKind) -> [String: UInt64] { counts[kind] ?? [:] }
}
