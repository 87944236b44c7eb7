import Descriptions
import HostIO
import Machine
#if canImport(Glibc)
import Glibc
#endif

/// The host side of vsim's paravirtual host-call interface (``HostCall``): the device the
/// guest kernel forwards the file and time calls to. It serves them with the same
/// implementation as user-mode emulation (``LinuxHostCalls``: the descriptor table, `--root`
/// confinement, the working directory), reaching the program's buffers through the guest's
/// page tables (CR3) in software, as Xen's `copy_from_guest`/`copy_to_guest` do for an HVM
/// guest: a pointer that is not mapped user-accessible (writable, for an output) is -EFAULT.
/// The clocks read the machine's deterministic clock (1 ns per guest instruction: the
/// ``SystemMachine/clock``, plus what `nanosleep` slept), with CLOCK_REALTIME starting at the
/// Unix epoch when the machine boots; a sleep moves that clock on and returns at once.
///
/// Any other call is -ENOSYS, and vsim says once on stderr which call it was. ``calls``
/// counts what was served, by call name (the run summary's "host calls").
public final class HostCallDevice: IODevice, GuestAddressSpace, GuestClock {
    public let name = "host calls"
    unowned let machine: SystemMachine
    var service: LinuxHostCalls!
    /// The calls served, by name ("openat", "clock_gettime", ...; "syscall_N" for one vsim
    /// does not serve).
    public private(set) var calls: [String: UInt64] = [:]
    /// Nanoseconds the guest slept (`nanosleep`): the clock is the machine's plus these.
    private var slept: UInt64 = 0
    /// The clock's reading in nanoseconds before sleeps: the machine clock (1 ns per guest
    /// instruction) unless an engine that cannot count instructions (KVM) sets another.
    public lazy var nanosecondsNow: () -> UInt64 = { [unowned self] in self.machine.clock }
    /// Says one line on vsim's stderr (by default, host fd 2).
    public var notice: (String) -> Void = { line in
        StandardStreams.write(line + "\n", to: 2)
    }
    private var reported: Set<UInt32> = []
    /// The host descriptors of the guest's stdout and stderr (its UARTs').
    private let outputs: [Int32]

    /// A device for `machine` whose guest descriptors 0, 1, 2 are `stdio` (those of its UARTs)
    /// and whose files are those under `root` (nil: no file system, ``GuestRoot``).
    /// `executablePath` is the program's host path (`/proc/self/exe`).
    /// - Throws: ``LinuxProcessError/root(_:)`` when `root` cannot be opened.
    /// `randomSeed` seeds `getrandom` (the run's `--seed`, as in user mode).
    public init(machine: SystemMachine, stdio: GuestStdio, root: String?, executablePath: String,
                randomSeed: UInt64 = SeededGenerator.defaultSeed) throws(LinuxProcessError) {
        self.machine = machine
        outputs = [stdio.output, stdio.error].filter { $0 >= 0 }
        service = try LinuxHostCalls(space: self, clock: self, stdio: stdio, root: root, executablePath: executablePath,
                                     randomSeed: randomSeed, notice: { _ in })
        service.notice = { [unowned self] line in self.notice(line) }
    }

    /// The total of ``calls``.
    public var total: UInt64 { calls.values.reduce(0, &+) }

    public func read(port: UInt16, size: UInt8) -> UInt32 { 0 }

    /// An OUT of the request block's guest-physical address: serves the request.
    public func write(port: UInt16, size: UInt8, value: UInt32) -> IOWriteOutcome {
        _ = serve(requestAt: value)
        return .done
    }

    /// Serves the request block at guest-physical `address` and stores the result in it;
    /// returns the result (-EFAULT when the block is not in RAM or not aligned).
    @discardableResult
    public func serve(requestAt address: UInt32) -> Int32 {
        let mmu = machine.mmu
        guard address & 3 == 0, UInt64(address) + UInt64(HostCall.requestSize) <= UInt64(mmu.ramSize) else { return -EFAULT }
        let number = mmu.physicalRead32(address)
        let arguments = (1...6).map { mmu.physicalRead32(address + UInt32($0) * 4) }
        let name: String, value: Int32
        if let (n, outcome) = service.dispatch(number, arguments) {
            name = n
            value = outcome.timeLimit ? -EINTR : outcome.value
            if value == -EPIPE && LinuxHostCalls.writeCalls.contains(number) && writesToOutput(Int32(bitPattern: arguments[0])) {
                machine.outputReaderGone()
            }
        } else {
            name = LinuxProcess.syscallName(number)
            value = -ENOSYS
            if !reported.contains(number) {
                reported.insert(number)
                notice("vsim: the guest's system call \(number) (\(name)) is not implemented by vsim (the guest kernel forwarded it to the host-call device); it returned -ENOSYS")
            }
        }
        calls[name, default: 0] &+= 1
        mmu.physicalWrite32(address + HostCall.resultOffset, UInt32(bitPattern: value))
        return value
    }

    /// Whether guest descriptor `fd` writes to the pipe of the guest's stdout or stderr (the
    /// host descriptors of the UARTs, ``outputs``): a `dup` of 1 or 2, `/proc/self/fd/1` opened
    /// again. A write there that finds the reader gone stops the machine as the console's does
    /// (``SystemMachine/outputReaderGone()``); a pipe the guest made itself is its own business
    /// (-EPIPE, as Linux returns it).
    private func writesToOutput(_ fd: Int32) -> Bool {
        guard let host = service.files[fd]?.host else { return false }
        var st = stat()
        guard fstat(host, &st) == 0 else { return false }
        return outputs.contains { o in
            var ost = stat()
            return fstat(o, &ost) == 0 && ost.st_dev == st.st_dev && ost.st_ino == st.st_ino
        }
    }

    // MARK: GuestAddressSpace: the guest's page tables, walked in software

    /// The guest-physical address of linear `address` if the program may access it with
    /// `permission` (present, user, and writable for a write).
    private func frame(_ address: UInt32, _ permission: PagePermissions) -> UInt32? {
        guard machine.cpu.cr0 & CR0.pg != 0 else { return address < machine.mmu.ramSize ? address : nil }
        let directory = machine.cpu.cr3
        let mmu = machine.mmu
        let pde = mmu.physicalRead32((directory & ~0xFFF) &+ (address >> 22) * 4)
        guard pde & 1 != 0 else { return nil }
        let pte = mmu.physicalRead32((pde & ~0xFFF) &+ ((address >> 12) & 0x3FF) * 4)
        guard pte & 1 != 0, pde & pte & 4 != 0 else { return nil }
        if permission.contains(.write) && pde & pte & 2 == 0 { return nil }
        let physical = (pte & ~0xFFF) | (address & 0xFFF)
        return physical < mmu.ramSize ? physical : nil
    }

    /// The pieces of `[address, address + count)` page by page: (guest-physical, length).
    private func pieces(_ address: UInt32, _ count: UInt32, _ permission: PagePermissions) -> [(UInt32, Int)]? {
        guard UInt64(address) + UInt64(count) <= 1 << 32 else { return nil }
        var out: [(UInt32, Int)] = []
        var a = UInt64(address)
        let end = UInt64(address) + UInt64(count)
        while a < end {
            let pageEnd = (a | 0xFFF) + 1
            let n = Int(min(pageEnd, end) - a)
            guard let p = frame(UInt32(a), permission) else { return nil }
            out.append((p, n))
            a += UInt64(n)
        }
        return out
    }

    public func accessible(_ address: UInt32, _ count: UInt32, _ permission: PagePermissions) -> Bool {
        count == 0 || pieces(address, count, permission) != nil
    }

    public func readGuest(_ address: UInt32, _ count: UInt32) -> [UInt8]? {
        guard let parts = pieces(address, count, .read) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(Int(count))
        for (p, n) in parts {
            out += UnsafeRawBufferPointer(start: machine.mmu.physical + Int(p), count: n)
        }
        return out
    }

    public func writeGuest(_ bytes: [UInt8], at address: UInt32) -> Bool {
        guard let parts = pieces(address, UInt32(bytes.count), .write) else { return false }
        var offset = 0
        bytes.withUnsafeBytes { b in
            for (p, n) in parts {
                (machine.mmu.physical + Int(p)).copyMemory(from: b.baseAddress! + offset, byteCount: n)
                offset += n
            }
        }
        // Decoded or translated code of those pages is stale now (a program may read code in).
        if !bytes.isEmpty { machine.memory.discarded(address: address, size: UInt32(bytes.count)) }
        return true
    }

    /// The readable prefix of the buffer, page by page in host memory (a `write` stops at the
    /// first page the program may not read, as the host kernel's copy would).
    public func hostSpan(_ address: UInt32, _ count: UInt32) -> (readable: UInt32, pieces: [UnsafeRawBufferPointer])? {
        guard UInt64(address) + UInt64(count) <= 1 << 32 else { return nil }
        var out: [UnsafeRawBufferPointer] = []
        var readable: UInt32 = 0
        var a = UInt64(address)
        let end = UInt64(address) + UInt64(count)
        while a < end {
            let pageEnd = (a | 0xFFF) + 1
            let n = Int(min(pageEnd, end) - a)
            guard let p = frame(UInt32(a), .read) else { break }
            out.append(UnsafeRawBufferPointer(start: machine.mmu.physical + Int(p), count: n))
            readable += UInt32(n)
            a += UInt64(n)
        }
        return (readable, out)
    }

    // MARK: GuestClock: the machine's deterministic clock

    /// Every clock reads the machine clock (1 ns per instruction) plus the time slept; the
    /// machine boots at the Unix epoch. CLOCK_PROCESS/THREAD_CPUTIME_ID (2, 3) read the same.
    public func reading(of clock: UInt32) -> (seconds: Int64, nanoseconds: Int64)? {
        guard clock <= 7 else { return nil }
        let ns = nanosecondsNow() &+ slept
        return (Int64(ns / 1_000_000_000), Int64(ns % 1_000_000_000))
    }

    /// Moves the clock on by `nanoseconds` at once (nothing interrupts a sleep here).
    public func sleep(nanoseconds: UInt64) -> UInt64 {
        slept &+= nanoseconds
        return 0
    }
}
