import Guest
import VSim

/// How `vsim repl` starts the guest.
public struct REPLOptions: Sendable {
    public var mode: Mode = .interpret
    /// With `interpret`: the guest kernel and the program on the system-level machine.
    public var system = false
    /// argv[1...].
    public var arguments: [String] = []
    /// The guest's stdin (nil: /dev/null; the terminal is the REPL's).
    public var input: String? = nil
    /// The guest's environment. Empty by default, so that stack addresses are the same on every
    /// machine and a batch transcript diffs clean.
    public var environment: [String] = []
    /// Instructions one `continue` may run before it stops and says so.
    public var maxInstructions: UInt64 = RunOptions.defaultMaxInstructions
    public var cpu: String = "haswell"
    /// A file of cost-model constants (`--cost-model`; trap, hvm, pv).
    public var costModelPath: String? = nil
    public var umip = false
    public var timerPeriod: UInt32? = nil
    /// What runs the guest at engine speed (`continue`, `stepi N`) under trap, hvm and pv
    /// (`--engine`, the translator by default as for ``RunOptions/engine``); `--mode translate`
    /// always runs the translator.
    public var engine: Engine = .translate
    /// The guest kernel source to boot instead of the default (``RunOptions/kernelSource``).
    public var kernelSource: String? = nil
    public var seed: UInt64 = SeededGenerator.defaultSeed
    /// Colour in the output (an interactive terminal only).
    public var colour = false

    public init() {}

    /// The options of the runtime's platforms (``LinuxUserPlatform``, ``GuestKernelPlatform``).
    public var runOptions: RunOptions {
        var r = RunOptions()
        r.system = system
        r.environment = environment
        r.seed = seed
        r.cpu = cpu
        r.costModelPath = costModelPath
        r.umip = umip
        r.timerPeriod = timerPeriod
        r.engine = engine
        r.kernelSource = kernelSource
        r.maxInstructions = maxInstructions
        return r
    }
}
