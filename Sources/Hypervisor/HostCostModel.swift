/// `--cpu host`: the cost model with this host's measured VM exit round trip in place of a CPU
/// generation's; the other constants are the default preset's. Measured once per process.
///
/// The measurement itself needs real hardware virtualization, which this module does not use:
/// the caller passes it in (vsim's is `ExitCostProbe`, a CPUID loop under KVM, as
/// kvm-unit-tests' `vmexit` measures it).
public enum HostCostModel {
    nonisolated(unsafe) public private(set) static var cached: CostModel? = nil

    /// The host model, measuring the VM exit round trip in TSC cycles with `measure` the first time.
    public static func measured(measure: () throws -> Double) throws(CostModel.ParseError) -> CostModel {
        if let c = cached { return c }
        let cycles: Double
        do { cycles = try measure() } catch {
            throw .unreadable("--cpu host measures this host's VM exit cost under KVM, which failed: \(error)")
        }
        var model = CostModel.default
        model.name = "host"
        model.vmExitRoundTrip = UInt64(cycles.rounded())
        cached = model
        return model
    }

    /// The preset `name`, or the measured host model for "host".
    public static func resolve(_ name: String, measure: () throws -> Double) throws(CostModel.ParseError) -> CostModel {
        name.lowercased() == "host" ? try measured(measure: measure) : try CostModel.preset(name)
    }
}
