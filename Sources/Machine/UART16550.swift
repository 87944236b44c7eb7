#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HostIO

/// The subset of a National Semiconductor 16550A UART that a polling console driver uses, at
/// COM1 (ports 0x3F8–0x3FF). Register map (PC16550D data sheet, Table II), offset from the base:
///
/// | off | read | write |
/// |---|---|---|
/// | 0 | RBR: next received byte (DLAB = 0); DLL (DLAB = 1) | THR: send a byte (DLAB = 0); DLL |
/// | 1 | IER (DLAB = 0); DLM (DLAB = 1) | IER (stored; vsim raises no UART interrupts); DLM |
/// | 2 | IIR: 0x01 "no interrupt pending", 0xC1 with FIFOs enabled | FCR: bit 0 FIFO enable, bit 1 clears the receive FIFO |
/// | 3 | LCR | LCR (bit 7 = DLAB) |
/// | 4 | MCR | MCR (stored; loopback is not modeled) |
/// | 5 | LSR: bit 0 DR (a byte is waiting), bit 3 FE, bit 4 BI, bit 5 THRE, bit 6 TEMT | — |
/// | 6 | MSR: 0xB0 (DCD, DSR, CTS: a peer is always there) | — |
/// | 7 | SCR scratch byte | SCR |
///
/// vsim's choices: the transmitter is infinitely fast (THRE and TEMT always read 1), so a driver
/// may write THR without polling LSR, and every byte written reaches the guest's stdout (host
/// `output`). Received bytes come from host `input`: reading LSR with nothing waiting reads the
/// host descriptor (blocking, up to 4 KiB); at its end of file LSR reports a *break* (BI = 1,
/// DR = 0) from then on, which is how a vsim guest learns that its stdin ended. With no host
/// `input` at all (a negative descriptor: vsim's own stdin was closed), LSR reports a framing
/// error with the break (FE = 1, BI = 1, DR = 0), what a line with nothing attached gives: the
/// guest kernel's read(0) then fails with EBADF, as Linux's does for a process whose fd 0 is
/// closed. Output is
/// buffered and written out by ``flush()`` (at 4 KiB, before blocking for input, and when the
/// machine stops).
public final class UART16550: IODevice {
    public static let com1: UInt16 = 0x3F8
    public let name = "16550 UART"
    public let base: UInt16
    let input: Int32
    let output: Int32
    private var rx: [UInt8] = []
    private var rxHead = 0
    private var endOfInput = false
    private var tx: [UInt8] = []
    private var ier: UInt8 = 0, lcr: UInt8 = 0, mcr: UInt8 = 0, scr: UInt8 = 0, dll: UInt8 = 1, dlm: UInt8 = 0
    private var fifo = false
    /// Bytes sent and received so far.
    public private(set) var bytesSent: UInt64 = 0
    public private(set) var bytesReceived: UInt64 = 0
    /// When set, sent bytes go here instead of `output` (tests).
    public var sink: ((UInt8) -> Void)?
    /// Called once, when a flush finds that `output` is a pipe whose reader has gone (EPIPE:
    /// vsim ignores SIGPIPE for its process, HostIO's `StandardStreams`; `vsim run ... | head -1`,
    /// or the grader that stops reading past a test's `max_output`). ``SystemMachine`` stops there (``SystemMachine/outputReaderGone()``), as a
    /// program's write to such a pipe ends it.
    public var outputClosed: (() -> Void)?
    private var closedReported = false

    public init(base: UInt16 = UART16550.com1, input: Int32, output: Int32) {
        self.base = base
        self.input = input
        self.output = output
    }

    deinit { flush() }

    public func read(port: UInt16, size: UInt8) -> UInt32 {
        let dlab = lcr & 0x80 != 0
        switch port &- base {
        case 0:
            if dlab { return UInt32(dll) }
            guard rxHead < rx.count else { return 0 }
            let b = rx[rxHead]
            rxHead += 1
            bytesReceived &+= 1
            return UInt32(b)
        case 1: return UInt32(dlab ? dlm : ier)
        case 2: return fifo ? 0xC1 : 0x01
        case 3: return UInt32(lcr)
        case 4: return UInt32(mcr)
        case 5:
            if rxHead >= rx.count && !endOfInput { refill() }
            var lsr: UInt32 = 0x60
            if rxHead < rx.count { lsr |= 0x01 } else if endOfInput { lsr |= input < 0 ? 0x18 : 0x10 }
            return lsr
        case 6: return 0xB0
        default: return UInt32(scr)
        }
    }

    public func write(port: UInt16, size: UInt8, value: UInt32) -> IOWriteOutcome {
        let v = UInt8(truncatingIfNeeded: value)
        let dlab = lcr & 0x80 != 0
        switch port &- base {
        case 0:
            if dlab { dll = v; break }
            bytesSent &+= 1
            if let s = sink { s(v); break }
            tx.append(v)
            if tx.count >= 4096 { flush() }
        case 1: if dlab { dlm = v } else { ier = v & 0x0F }
        case 2:
            fifo = v & 1 != 0
            if v & 2 != 0 { rx.removeAll(); rxHead = 0 }
        case 3: lcr = v
        case 4: mcr = v & 0x1F
        case 7: scr = v
        default: break
        }
        return .done
    }

    /// Writes buffered output to the host.
    public func flush() {
        // A closed or full host output drops the bytes, as a UART does; a pipe without a reader
        // is said once (`outputClosed`).
        if HostIO.writeAll(output, tx) == EPIPE && !closedReported {
            closedReported = true
            outputClosed?()
        }
        tx.removeAll(keepingCapacity: true)
    }

    /// Whether a host input is connected (MSR's DCD bit): false when vsim's stdin was closed.
    public var hasInput: Bool { input >= 0 }

    private func refill() {
        flush()
        guard input >= 0 else { endOfInput = true; return }
        rx.removeAll(keepingCapacity: true)
        rxHead = 0
        guard case .success(let bytes) = HostIO.readSome(input, upTo: 4096), !bytes.isEmpty else {
            endOfInput = true
            return
        }
        rx.append(contentsOf: bytes)
    }
}
