/// What the VMM took: a trap (trap-and-emulate), a VM exit (VT-x), a hypercall (PV), a callout
/// from translated code (BT; also the simple instructions BT emulates inside the translation
/// cache, whose reasons end in "(in TC)").
public enum VMMEventKind: String, Sendable, CaseIterable {
    case trap, exit, hypercall, callout
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
