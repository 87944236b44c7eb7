import VSim

/// The counters a lab can check (docs/lab-spec.md), read from a ``RunResult`` that vsim measured
/// from outside the guest: never a value the guest reports about itself.
public enum CounterValues {
    /// Whether `name` is a counter name the grader knows.
    public static func isKnownName(_ name: String) -> Bool {
        let exact: Set<String> = ["instructions", "traps", "exits", "hypercalls", "modeled_cycles",
                                  "tb.translated", "tb.chained", "tb.invalidations"]
        if exact.contains(name) { return true }
        for family in ["traps.", "exits.", "hypercalls."] where name.hasPrefix(family) && name.count > family.count {
            return true
        }
        return false
    }

    /// The value of counter `name` in `result`, or nil when the run's mode does not measure it
    /// (traps outside trap/hvm/pv, tb.* outside the translator, instructions under native).
    /// A reason that never happened in a mode that counts reasons is 0.
    public static func value(_ name: String, in result: RunResult) -> UInt64? {
        let vmm = result.mode == .trap || result.mode == .hvm || result.mode == .pv || result.mode == .bt
        switch name {
        case "instructions": return result.instructions
        case "modeled_cycles": return result.modeledCycles
        case "traps": return vmm ? result.traps.values.reduce(0, +) : nil
        case "exits": return vmm ? result.exits.values.reduce(0, +) : nil
        case "hypercalls": return vmm ? result.hypercalls.values.reduce(0, +) : nil
        case "callouts": return vmm ? result.callouts.values.reduce(0, +) : nil
        case "tb.translated": return result.translation?.blocksTranslated
        case "tb.chained": return result.translation?.chainsMade
        case "tb.invalidations": return result.translation?.invalidations
        default: break
        }
        for (family, table) in [("traps.", result.traps), ("exits.", result.exits), ("hypercalls.", result.hypercalls), ("callouts.", result.callouts)]
        where name.hasPrefix(family) {
            return vmm ? table[String(name.dropFirst(family.count)), default: 0] : nil
        }
        return nil
    }
}
