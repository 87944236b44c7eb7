import Foundation
import Testing
@testable import Machine

/// The devices on the I/O bus, directly, and paging details with small kernels.
struct DeviceTests {
    @Test func uartRegistersAndEndOfInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vsim-uart-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: dir, contents: Data("ab".utf8))
        let fd = open(dir, O_RDONLY)
        defer { close(fd); unlink(dir) }
        let uart = UART16550(input: fd, output: -1)
        var sent: [UInt8] = []
        uart.sink = { sent.append($0) }
        let base = UART16550.com1
        #expect(uart.read(port: base + 5, size: 1) == 0x61)          // DR, THRE, TEMT: 'a' waiting
        #expect(uart.read(port: base, size: 1) == 0x61)
        #expect(uart.read(port: base, size: 1) == 0x62)
        #expect(uart.read(port: base + 5, size: 1) == 0x70)          // end of input: BI, THRE, TEMT
        #expect(uart.read(port: base + 5, size: 1) == 0x70)          // and it stays so
        _ = uart.write(port: base + 3, size: 1, value: 0x80)         // DLAB = 1: divisor latch
        _ = uart.write(port: base, size: 1, value: 12)
        #expect(uart.read(port: base, size: 1) == 12)
        _ = uart.write(port: base + 3, size: 1, value: 0x03)         // 8N1, DLAB = 0
        _ = uart.write(port: base, size: 1, value: 0x41)
        #expect(sent == [0x41])
        #expect(uart.read(port: base + 2, size: 1) == 0x01)          // no interrupt pending, no FIFO
        _ = uart.write(port: base + 2, size: 1, value: 0x01)
        #expect(uart.read(port: base + 2, size: 1) == 0xC1)
        #expect(uart.read(port: base + 6, size: 1) == 0xB0)
    }

    @Test func busReportsPortsWithoutADevice() {
        let bus = IOBus()
        bus.attach(ExitDevice(), ports: ExitDevice.port...ExitDevice.port)
        #expect(bus.read(port: 0x80, size: 1) == nil)
        #expect(bus.write(port: 0x80, size: 1, value: 0) == nil)
        #expect(bus.write(port: ExitDevice.port, size: 4, value: 0x1234) == .exit(status: 0x34))
        #expect(bus.accesses[ExitDevice.port] == 1)
    }

    @Test func timerTicksAndMissedTicks() {
        let t = IntervalTimer()
        var now: UInt64 = 100
        t.now = { now }
        t.program(50)
        #expect(t.nextTick == 150)
        t.advance(to: 149)
        #expect(!t.pending)
        now = 260
        t.advance(to: now)          // ticks at 150 and 200 and 250: one pending, two missed
        #expect(t.pending && t.ticks == 3 && t.missed == 2)
        t.program(0)
        #expect(!t.pending && t.nextTick == .max)
    }

    /// A write sets the dirty bit of the PTE; with CR0.WP = 0 the kernel may write a read-only
    /// page, with WP = 1 it faults; INVLPG makes a changed PTE visible.
    @Test func dirtyBitsWriteProtectAndINVLPG() throws {
        let m = try SystemMachineTests.machine(SystemMachineTests.prelude + """
        main:
            movl $14, %ecx
            movl $pf, %eax
            movl $0x8E00, %edx
            call set_gate
            lidt idt_desc
            movl $0x201003, 0x200000
            xorl %ecx, %ecx
        2:  movl %ecx, %eax
            shll $12, %eax
            orl $3, %eax
            movl %eax, 0x201000(,%ecx,4)
            incl %ecx
            cmpl $1024, %ecx
            jb 2b
            movl $0x301001, 0x201000 + 0x301*4   # 0x301000 read-only
            movl $0x200000, %eax
            movl %eax, %cr3
            movl %cr0, %eax
            orl $0x80000000, %eax                # PG, WP still 0
            movl %eax, %cr0
            movl $7, 0x300000                    # sets D in the PTE of 0x300000
            movl 0x201000 + 0x300*4, %ebp
            movl $8, 0x301000                    # WP = 0: allowed
            movl %cr0, %eax
            orl $0x10000, %eax                   # WP = 1 (flushes the TLB)
            movl %eax, %cr0
            movl 0x300000, %ecx                  # 0x300000 back in the TLB
            xorl %ebx, %ebx
            movl $9, 0x301004                    # now #PF(3)
            movl $0x302003, 0x201000 + 0x300*4   # remap 0x300000 -> frame 0x302000 ...
            movl 0x300000, %esi                  # ... not seen yet: 7
            invlpg 0x300000
            movl 0x300000, %edi                  # seen: frame 0x302000 holds 0
            movb $1, %al
            jmp exit_al
        pf:
            popl %ebx                            # error code
            addl $10, (%esp)                     # skip the 10-byte MOV
            iret
        """)
        #expect(m.run(maxInstructions: 100_000, deadline: nil) == .exited(status: 1))
        #expect(m.cpu.ebp == 0x300063)            // present, writable, accessed, dirty
        #expect(m.mmu.physicalRead32(0x301000) == 8)
        #expect(m.mmu.physicalRead32(0x301004) == 0)
        #expect(m.cpu.ebx == 3)
        #expect(m.cpu.esi == 7)
        #expect(m.cpu.edi == 0)
    }
}
