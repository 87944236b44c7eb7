import Guest
import Hypervisor
import KVM
import Machine

/// The guest kernel platform: the guest kernel of `programs/kernel/` (the PV variant under `pv`,
/// ``RunOptions/kernelSource`` when a lab swaps it) and the program on vsim's system-level
/// machine (``SystemMachine``), placed by the boot protocol (``BootLoader``), with the mode's
/// modeled VMM in charge (none under `interpret --system`/`translate --system` and `kvm`; the
/// unikernel build of the kernel under the VT-x model for `unikernel`), its
/// cost model (`--cpu` with the `host` preset, `--cost-model`) and the timer. One of the
/// runtime's two platforms (the other is ``LinuxUserPlatform``).
///
/// The one boot recipe of vsim: ``SystemBackend`` (interpret/translate `--system`, trap, hvm, pv),
/// ``KVMBackend`` (its RAM, devices and layout; KVM then runs it) and the REPL's system target all
/// build their machine here. The recipe (kernel built, images loaded, cost model resolved) is
/// made once; ``boot(stdio:)`` makes a fresh machine from it as often as needed (the REPL's
/// reverse stepping boots again and replays).
public struct GuestKernelPlatform {
    /// The default timer period: an interrupt every 100,000 guest instructions.
    public static let defaultTimerPeriod: UInt32 = 100_000

    public let mode: Mode
    /// The modeled VMM's strategy (nil: no VMM).
    public let strategy: VirtualizationStrategy?
    public let kernelPath: String
    public let kernel: ELFImage
    public let program: ELFImage
    public let argv: [String]
    public let environment: [String]
    public let executablePath: String
    public let seed: UInt64
    /// Guest instructions between timer interrupts (0: no timer, as under kvm).
    public let timerPeriod: UInt32
    /// The VMM's cost model (the default preset when the mode has no VMM).
    public let cost: CostModel
    public let umip: Bool
    /// Whether the VT-x model uses EPT (`--ept`; nil: the model's default).
    public let ept: Bool?
    /// Where the PV kernel's hypercall page and shared-info page are (pv only).
    public let paravirtualLayout: VirtualMachineMonitor.ParavirtualLayout?
    /// The host directory the program sees as `/` through the host-call device (`--root`; nil:
    /// no file system).
    public let root: String?
    /// Guest RAM in bytes (`--memory`; ``GuestMemorySize``), told to the kernel by the boot
    /// protocol (the boot-information block's RAM size).
    public let memory: UInt32

    /// The recipe for `program` under `mode` (interpret and translate mean `--system`).
    /// - Throws: ``VSimError`` for a kernel that does not build, a malformed ELF, an unknown cost
    ///   model (usage), a PV kernel without its hypercall page.
    public init(mode: Mode, program: ResolvedProgram, argv0: String? = nil, arguments: [String],
                options: RunOptions) throws(VSimError) {
        self.mode = mode
        // The unikernel runs at ring 0 under the VT-x model.
        strategy = mode == .unikernel ? .hvm : VirtualizationStrategy(rawValue: mode.rawValue)
        if mode == .kvm {
            cost = .default
        } else {
            var cost: CostModel
            do {
                cost = try HostCostModel.resolve(options.cpu, measure: ExitCostProbe.hostExitCycles)
                if let path = options.costModelPath { cost = try CostModel.load(path: path, base: cost) }
            } catch { throw .usage(error.description) }
            self.cost = cost
        }
        kernelPath = try GuestKernel.build(symbols: mode == .pv ? ["PV": 1] : mode == .unikernel ? ["UNIKERNEL": 1] : [:],
                                           source: options.kernelSource)
        do { kernel = try ELFImage(path: kernelPath) } catch { throw .elf(error) }
        do { self.program = try ELFImage(path: program.executablePath) } catch { throw .elf(error) }
        argv = [argv0 ?? program.executablePath] + arguments
        environment = options.environment ?? HostCommand.currentEnvironment()
        executablePath = argv0 ?? program.executablePath
        seed = options.seed
        // KVM has no timer: the models' timer counts guest instructions, which KVM cannot.
        timerPeriod = mode == .kvm ? 0 : options.timerPeriod ?? Self.defaultTimerPeriod
        umip = options.umip
        ept = options.ept
        root = options.root
        memory = options.memory ?? GuestMemorySize.default
        if mode == .pv {
            guard let page = kernel.symbols.first(where: { $0.name == "hypercall_page" })?.value,
                  let shared = kernel.symbols.first(where: { $0.name == "shared_info" })?.value else {
                throw .host("the PV guest kernel \(kernelPath) has no hypercall_page or shared_info symbol", status: 65)
            }
            paravirtualLayout = .init(hypercallPage: page, sharedInfo: shared, timerPeriod: timerPeriod)
        } else {
            paravirtualLayout = nil
        }
    }

    /// A fresh machine with the kernel and the program booted and the mode's VMM attached,
    /// stopped before the kernel's first instruction.
    public func boot(stdio: GuestStdio) throws(VSimError) -> BootedGuestKernel {
        let (machine, com2) = try Self.machine(stdio: stdio, ramSize: memory)
        if mode == .unikernel { machine.programRing = 0 }
        let layout: BootLoader.Layout
        do {
            layout = try BootLoader.boot(kernel: kernel, program: program, argv: argv, envp: environment,
                                         executablePath: executablePath, randomSeed: seed,
                                         timerPeriod: timerPeriod, machine: machine)
        } catch {
            throw .host(error.description, status: error.exitStatus)
        }
        let monitor = strategy.map {
            VirtualMachineMonitor(strategy: $0, machine: machine, cost: cost, umip: umip, layout: paravirtualLayout, ept: ept)
        }
        // The host-call device: the file and time calls the kernel forwards (HostCall).
        let hostCalls: HostCallDevice
        do { hostCalls = try HostCallDevice(machine: machine, stdio: stdio, root: root, executablePath: program.path,
                                                        randomSeed: seed) } catch {
            throw .process(error)
        }
        machine.io.attach(hostCalls, ports: HostCall.port...HostCall.port)
        return BootedGuestKernel(machine: machine, com2: com2, monitor: monitor, layout: layout, hostCalls: hostCalls)
    }

    /// The bare machine of the guest kernel's world: RAM, COM1 at 0x3F8 on the guest's stdin and
    /// stdout, the exit device, and COM2 at 0x2F8 on its stderr (also what `runFlat` guests use).
    public static func machine(stdio: GuestStdio, ramSize: UInt32 = GuestMemorySize.default) throws(VSimError) -> (SystemMachine, com2: UART16550) {
        let machine: SystemMachine
        do { machine = try SystemMachine(ramSize: ramSize, input: stdio.input, output: stdio.output) } catch {
            throw .host("cannot set up the guest machine: \(error)")
        }
        let com2 = UART16550(base: 0x2F8, input: -1, output: stdio.error)
        com2.outputClosed = { [unowned machine] in machine.outputReaderGone() }
        machine.io.attach(com2, ports: 0x2F8...0x2FF)
        return (machine, com2)
    }
}

/// One boot of ``GuestKernelPlatform``: the machine, COM2, the VMM (nil without one) and where
/// the boot protocol put everything. Keeps the VMM alive as long as the machine runs.
public final class BootedGuestKernel {
    public let machine: SystemMachine
    /// COM2, the guest's stderr (the machine flushes only COM1 itself).
    public let com2: UART16550
    public let monitor: VirtualMachineMonitor?
    public let layout: BootLoader.Layout
    /// The host-call device at ``HostCall/port`` (the calls the kernel forwarded, by name).
    public let hostCalls: HostCallDevice

    init(machine: SystemMachine, com2: UART16550, monitor: VirtualMachineMonitor?, layout: BootLoader.Layout,
         hostCalls: HostCallDevice) {
        self.machine = machine
        self.hostCalls = hostCalls
        self.com2 = com2
        self.monitor = monitor
        self.layout = layout
    }

    /// Writes out what the UARTs hold.
    public func flush() {
        machine.uart.flush()
        com2.flush()
    }
}
