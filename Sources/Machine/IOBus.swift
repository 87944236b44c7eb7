/// A device on the I/O port bus (IN, OUT, INS, OUTS).
public protocol IODevice: AnyObject {
    /// A short name for traces and diagnostics ("16550 UART", "exit").
    var name: String { get }
    /// IN of `size` bytes (1, 2, 4) from `port`.
    func read(port: UInt16, size: UInt8) -> UInt32
    /// OUT of the low `size` bytes of `value` to `port`.
    func write(port: UInt16, size: UInt8, value: UInt32) -> IOWriteOutcome
}

/// What an OUT did to the machine.
public enum IOWriteOutcome: Sendable, Equatable {
    case done
    /// The guest asked the machine to stop with this exit status (the exit device).
    case exit(status: Int32)
}

/// The x86 I/O address space: 65,536 byte ports, each owned by at most one device.
///
/// An access to a port no device owns is not guessed at (real buses float to 0xFF): it is
/// reported as `nil`, and the machine stops with a clear message naming the port, because a
/// vsim guest only talks to the devices vsim documents.
public final class IOBus {
    private var owners: [UInt16: IODevice] = [:]
    /// Every IN and OUT, by port (for reports and tests).
    public private(set) var accesses: [UInt16: UInt64] = [:]

    public init() {}

    /// Gives `ports` to `device`.
    public func attach(_ device: IODevice, ports: ClosedRange<UInt16>) {
        for p in ports { owners[p] = device }
    }

    /// The device owning `port`.
    public func device(at port: UInt16) -> IODevice? { owners[port] }

    /// IN: nil when no device owns `port`.
    public func read(port: UInt16, size: UInt8) -> UInt32? {
        guard let d = owners[port] else { return nil }
        accesses[port, default: 0] &+= 1
        return d.read(port: port, size: size) & (size == 4 ? 0xFFFF_FFFF : (1 << (8 * UInt32(size))) - 1)
    }

    /// OUT: nil when no device owns `port`.
    public func write(port: UInt16, size: UInt8, value: UInt32) -> IOWriteOutcome? {
        guard let d = owners[port] else { return nil }
        accesses[port, default: 0] &+= 1
        return d.write(port: port, size: size, value: value)
    }
}

/// vsim's exit device: an OUT of any size to its port stops the machine with the written value
/// (low 8 bits) as the exit status. The port is 0x501, the default of QEMU's `isa-debug-exit`;
/// unlike QEMU (status = value * 2 + 1) vsim uses the value itself. IN reads 0.
public final class ExitDevice: IODevice {
    public static let port: UInt16 = 0x501
    public let name = "exit"
    public init() {}
    public func read(port: UInt16, size: UInt8) -> UInt32 { 0 }
    public func write(port: UInt16, size: UInt8, value: UInt32) -> IOWriteOutcome {
        .exit(status: Int32(value & 0xFF))
    }
}

/// vsim's deterministic interval timer: one 32-bit register at port 0x40. Writing N > 0 makes
/// the machine raise interrupt vector ``vector`` (0x20, where Linux puts IRQ 0) every N guest
/// instructions, counted from the write; 0 stops it; IN returns N. It is not an 8254 PIT: time
/// is guest instructions (plus the instructions a halted CPU skips to the next tick), so every
/// run sees the interrupt at the same instruction. The interrupt is edge-triggered and needs no
/// EOI: one tick pending at most (a tick that comes while one is still pending is lost, counted
/// in ``missed``).
public final class IntervalTimer: IODevice {
    public static let port: UInt16 = 0x40
    public static let vector: UInt8 = 0x20
    public let name = "timer"
    /// Instructions between two ticks; 0 = stopped.
    public private(set) var period: UInt64 = 0
    /// Machine time (``SystemMachine/clock``) of the next tick.
    public internal(set) var nextTick: UInt64 = .max
    /// A tick waits to be delivered.
    public internal(set) var pending = false
    public internal(set) var ticks: UInt64 = 0
    public internal(set) var missed: UInt64 = 0
    /// Supplies the machine time when the period is written.
    var now: () -> UInt64 = { 0 }

    public init() {}

    public func read(port: UInt16, size: UInt8) -> UInt32 { UInt32(truncatingIfNeeded: period) }
    public func write(port: UInt16, size: UInt8, value: UInt32) -> IOWriteOutcome {
        program(UInt64(value))
        return .done
    }

    /// Sets the period (0 stops the timer and drops a pending tick).
    public func program(_ n: UInt64) {
        period = n
        if n == 0 { nextTick = .max; pending = false } else { nextTick = now() &+ n }
    }

    /// Advances to machine time `t`: raises the tick(s) due.
    func advance(to t: UInt64) {
        while t >= nextTick {
            ticks &+= 1
            if pending { missed &+= 1 }
            pending = true
            nextTick &+= period
        }
    }
}
