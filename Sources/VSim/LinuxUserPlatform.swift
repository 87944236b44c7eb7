import Guest
import Machine

/// The Linux user ABI platform (user-mode emulation, like qemu-i386): the program's ELF loaded
/// through libelf, its segments mapped, the i386 System V initial stack laid out, and vsim
/// serving the Linux system calls (``LinuxProcess``). One of the runtime's two platforms (the
/// other is ``GuestKernelPlatform``); an engine (``UserModeEngine``: the interpreter or the
/// translator) drives the process it starts.
///
/// Used by `interpret` and `translate` (``InterpreterBackend``, ``TranslatorBackend``), the
/// lockstep checker (``LockstepCheck``), ``VSim/translationRecord(program:arguments:maxInstructions:)``
/// and the REPL's user-mode target. The recipe is kept apart from the start, so one platform
/// starts as many identical processes as a caller needs (the checker starts two).
public struct LinuxUserPlatform {
    public let image: ELFImage
    /// argv: argv[0] (the ELF path, or the name the student gave) and the arguments.
    public let argv: [String]
    public let environment: [String]
    /// What `/proc/self/exe` and AT_EXECFN say.
    public let executablePath: String
    /// Seed of the AT_RANDOM bytes.
    public let seed: UInt64
    /// The guest's root directory (`--root`; nil: no file system).
    public let root: String?

    /// The platform for `program` with `arguments` as argv[1...] and `argv0` as argv[0] (default:
    /// the ELF path); environment and seed from `options` (nil environment: vsim's own).
    /// - Throws: ``VSimError/elf(_:)`` for a malformed ELF.
    public init(program: ResolvedProgram, argv0: String? = nil, arguments: [String], options: RunOptions) throws(VSimError) {
        do { image = try ELFImage(path: program.executablePath) } catch { throw .elf(error) }
        argv = [argv0 ?? program.executablePath] + arguments
        environment = options.environment ?? HostCommand.currentEnvironment()
        executablePath = argv0 ?? program.executablePath
        seed = options.seed
        root = options.root
    }

    /// A fresh process with its standard descriptors on `stdio`, stopped before its first instruction.
    /// - Throws: ``VSimError/process(_:)`` when it cannot be laid out in guest memory, or the
    ///   root directory cannot be opened (exit status 66).
    public func start(stdio: GuestStdio) throws(VSimError) -> LinuxProcess {
        do {
            return try LinuxProcess(image: image, argv: argv, envp: environment, stdio: stdio,
                                    executablePath: executablePath, randomSeed: seed, root: root)
        } catch { throw .process(error) }
    }
}

extension GuestDescriptors {
    /// The descriptors as the guest's stdio.
    var guestStdio: GuestStdio { GuestStdio(input: stdio.input, output: stdio.output, error: stdio.error) }
}
