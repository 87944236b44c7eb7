import ArgumentParser
import VSim

/// The guest options that `vsim run`, `vsim compare` and `vsim repl` share (`@OptionGroup`):
/// declared once, with one default each, and checked against the mode(s) by
/// ``GuestOption/check(_:modes:system:)``, so every command accepts and refuses the same
/// options with the same messages.
///
/// The numeric options take the next word unconditionally, so `--max-instructions -5` says that
/// -5 is not a valid value (exit 64) instead of "Missing value" (ArgumentParser otherwise reads
/// a word starting with `-` as the next option).
struct GuestOptions: ParsableArguments {
    @Option(name: .customLong("max-instructions"), parsing: .unconditional, help: "Stop the guest with SIGXCPU (exit 152) after this many guest instructions (interpret, translate, trap, hvm, pv, bt, unikernel; default 10000000000).")
    var maxInstructions: UInt64?

    @Option(name: .customLong("time-limit"), parsing: .unconditional, help: "Stop the guest with SIGXCPU (exit 152) after this many seconds of host time (default 60; vsim repl has none: a session runs until you quit).")
    var timeLimit: Double?

    @Flag(name: .customLong("system"), help: "Run the guest kernel (programs/kernel/) with the program on the system-level machine (interpret, translate).")
    var system = false

    @Option(name: .customLong("timer"), parsing: .unconditional, help: "With the guest kernel: guest instructions between two timer interrupts (0: no timer; default 100000).")
    var timer: UInt32?

    @Option(name: .customLong("cpu"), help: "Cost-model preset of the modeled VMMs (trap, hvm, pv, bt, unikernel): prescott, merom, nehalem, haswell (default), cascadelake, or host (docs/cost-model.md).")
    var cpu: String?

    @Option(name: .customLong("cost-model"), help: "A file of `name = value` lines overriding cost-model constants (trap, hvm, pv, bt, unikernel).")
    var costModel: String?

    @Flag(name: .customLong("umip"), help: "Under --mode trap: set CR4.UMIP, so SGDT SIDT SLDT SMSW STR trap and are emulated.")
    var umip = false

    @Option(name: .customLong("ept"), help: "Under --mode hvm or unikernel: EPT on (nested paging) or off (shadow paging: CR3 loads, guest page-table writes and #PF exit). Default: the --cpu preset's (prescott and merom off, later on).")
    var ept: EPTSetting?

    @Option(name: .customLong("engine"), help: "Under trap, hvm, pv and unikernel: what runs the guest, translate (default, the faster; every count is the same) or interpret; under bt, what runs the guest's user code (its kernel runs from the VMM's translation cache).")
    var engine: Engine?

    @Option(name: .customLong("seed"), parsing: .unconditional, help: "Seed of vsim's generator (the AT_RANDOM bytes of emulated modes).")
    var seed: UInt64?

    @Option(name: .customLong("root"), help: ArgumentHelp("The directory the program sees as /: under interpret and translate vsim serves its files (like qemu-i386 -L); under the guest kernel (trap, hvm, pv, bt, unikernel, kvm, --system) the kernel forwards file calls to vsim's host-call device, which serves them from it; nothing outside it can be named (default: no file system, path lookups fail with ENOENT). Under ptrace paths are rewritten at each system call, PRoot-style (default: the host's /).", valueName: "dir"))
    var root: String?

    @Option(name: .customLong("memory"), help: ArgumentHelp("Guest RAM of the guest kernel's machine (trap, hvm, pv, bt, unikernel, kvm, --system): bytes or a number with K, M or G, a multiple of 4M from 8M to 3G (default 32M). A program linked at 0x08048000 fits under at most 128M (the kernel maps RAM below user space).", valueName: "size"))
    var memory: String?

    /// The options the user gave, by name.
    var given: Set<GuestOption> {
        var set: Set<GuestOption> = []
        if maxInstructions != nil { set.insert(.maxInstructions) }
        if timeLimit != nil { set.insert(.timeLimit) }
        if system { set.insert(.system) }
        if timer != nil { set.insert(.timer) }
        if cpu != nil { set.insert(.cpu) }
        if costModel != nil { set.insert(.costModel) }
        if umip { set.insert(.umip) }
        if ept != nil { set.insert(.ept) }
        if engine != nil { set.insert(.engine) }
        if seed != nil { set.insert(.seed) }
        if root != nil { set.insert(.root) }
        if memory != nil { set.insert(.memory) }
        return set
    }

    func validate() throws {
        if let t = timeLimit, !(t > 0 && t.isFinite && t < 1e9) {
            throw ValidationError("--time-limit must be a positive number of seconds (got \(t))")
        }
        if maxInstructions == 0 { throw ValidationError("--max-instructions must be at least 1") }
    }

    /// These options as a ``RunOptions`` (defaults where not given), after checking them
    /// (and `extra`, options of the command itself such as `--trace`) against `modes`.
    /// - Throws: ``ValidationError`` with ``GuestOption``'s reason (exit 64).
    func runOptions(for modes: [Mode], extra: Set<GuestOption> = []) throws -> RunOptions {
        do { try GuestOption.check(given.union(extra), modes: modes, system: system) } catch {
            throw ValidationError(error.description)
        }
        var options = RunOptions()
        if let maxInstructions { options.maxInstructions = maxInstructions }
        if let timeLimit { options.timeLimit = .nanoseconds(Int64(timeLimit * 1e9)) }
        options.system = system
        options.timerPeriod = timer
        if let cpu { options.cpu = cpu }
        options.costModelPath = costModel
        options.umip = umip
        options.ept = ept.map { $0 == .on }
        if let engine { options.engine = engine }
        if let seed { options.seed = seed }
        options.root = root
        if let memory {
            do { options.memory = try GuestMemorySize.parse(memory) } catch { throw ValidationError(error.description) }
        }
        return options
    }
}

enum EPTSetting: String, ChoiceArgument { case on, off }
