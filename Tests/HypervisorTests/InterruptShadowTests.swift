import Foundation
import XCTest
import Hypervisor
import Machine
@testable import VSim

/// STI's interrupt shadow under the modeled VMMs, with a small hand-written kernel. Intel SDM
/// Vol. 2B, STI: "If IF = 0, maskable hardware interrupts remain inhibited on the instruction
/// boundary following an execution of STI"; the interrupt is recognized once the instruction
/// after STI has retired, whatever that instruction is, and a second STI (IF already 1) does not
/// inhibit again.
///
/// The kernel starts the timer (a tick every 1,000 instructions) with IF = 0 (an `int3` after it
/// ends the machine's slice, so that the next slice stops at the tick), spins 1,500 `loop`
/// iterations so that one tick is held, then runs `sti` and the case's instructions at
/// label `sti_at`. The timer handler exits with (the EIP the interrupt returns to) - `sti_at`, so
/// the status is the offset, in bytes, of the instruction boundary where the interrupt landed.
/// Worked out by hand from the SDM rule and the encodings (`sti` fb, `nop` 90, `movl $1,%ecx`
/// b9 01 00 00 00, `hlt` f4):
///
/// | after `sti` | lands after | status |
/// |---|---|---|
/// | `nop` | the `nop` | 1 + 1 = 2 |
/// | `movl $1,%ecx` | the `movl` | 1 + 5 = 6 |
/// | `hlt` | the `hlt` (which ends at once: an interrupt is pending) | 1 + 1 = 2 |
/// | `sti; nop` | the second `sti` (no shadow of its own) | 1 + 1 = 2 |
///
/// The same on the bare machine (no VMM), trap, bt and hvm, on both engines.
final class InterruptShadowTests: XCTestCase {
    static let kernel = """
        .text
        .globl _start
        _start:
            lgdt gdt_desc
            ljmp $0x08, $1f
        1:  movw $0x10, %ax
            movw %ax, %ds
            movw %ax, %es
            movw %ax, %ss
            movl $0x180000, %esp
            movl $tick, %eax
            movl $0x20*8, %ebx
            call set_gate
            movl $breakpoint, %eax
            movl $3*8, %ebx
            call set_gate
            lidt idt_desc
            movl $1000, %eax
            outl %eax, $0x40
            int3                    # ends the machine's slice: the next one stops at the tick
            movl $1500, %ecx
        2:  loop 2b
        sti_at:
            sti
            CASE
            movb $0xEE, %al
            jmp exit_al
        set_gate:                   # vector*8 in %ebx -> handler %eax, an interrupt gate
            movw %ax, idt(%ebx)
            movw $0x08, idt+2(%ebx)
            movw $0x8E00, idt+4(%ebx)
            shrl $16, %eax
            movw %ax, idt+6(%ebx)
            ret
        breakpoint:
            iret
        tick:
            movl (%esp), %eax
            subl $sti_at, %eax
        exit_al:
            movw $0x501, %dx
            outb %al, %dx
        3:  jmp 3b
            .align 8
        gdt: .quad 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        gdt_desc: .word 3*8-1
            .long gdt
        idt_desc: .word 256*8-1
            .long idt
            .align 8
        idt: .space 256*8

        """

    /// Builds the kernel with `instructions` after the STI, linked at 0x100000 as a flat binary.
    func build(_ instructions: String) throws -> [UInt8] {
        let dir = NSTemporaryDirectory() + "vsim-sti-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.kernel.replacingOccurrences(of: "CASE", with: instructions).write(toFile: dir + "/k.s", atomically: true, encoding: .utf8)
        try GuestPrograms.runTools([["as", "--32", "-o", dir + "/k.o", dir + "/k.s"],
            ["ld", "-m", "elf_i386", "-Ttext", "0x100000", "--oformat", "binary", "-o", dir + "/k.bin", dir + "/k.o"]])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/k.bin")))
    }

    /// Runs `image` under `strategy` (nil: the bare machine) on `engine`; the stop and the VMM.
    func run(_ image: [UInt8], _ strategy: VirtualizationStrategy?, _ engine: Engine) throws -> (SystemStopReason, VirtualMachineMonitor?) {
        let m = try SystemMachine(input: -1, output: -1)
        m.mmu.loadPhysical(image, at: 0x100000)
        m.resetForBoot(entry: 0x100000, bootInformation: 0)
        let vmm = strategy.map { VirtualMachineMonitor(strategy: $0, machine: m) }
        let e = try GuestKernelEngine(machine: m, engine: engine)
        let stop = e.run(maxInstructions: 1_000_000, deadline: nil)
        return (stop, vmm)
    }

    let strategies: [VirtualizationStrategy?] = [nil, .trap, .bt, .hvm]

    func check(_ instructions: String, lands offset: Int32, windowEvents: UInt64) throws {
        let image = try build(instructions)
        for s in strategies {
            for engine in Engine.allCases {
                let (stop, vmm) = try run(image, s, engine)
                let what = "\(s.map { "\($0)" } ?? "no VMM") on \(engine), sti; \(instructions)"
                XCTAssertEqual(stop, .exited(status: offset), what)
                if let vmm, s == .trap {
                    XCTAssertEqual(vmm.log.counts(.trap)[TrapAndEmulateVMM.trapInterruptWindow] ?? 0, windowEvents, what)
                    XCTAssertEqual(vmm.log.counts(.trap)["interrupt 0x20"], 1, "\(what): the tick was held")
                }
                if let vmm, s == .bt {
                    XCTAssertEqual(vmm.log.counts(.callout)[BinaryTranslationVMM.calloutInterruptWindow] ?? 0, windowEvents, what)
                }
            }
        }
    }

    /// The instruction in the shadow runs directly: the trap VMM regains control by a single
    /// step (one `#DB: interrupt window` trap), the BT VMM by a callout after it.
    func testTheInterruptLandsAfterANop() throws {
        try check("nop", lands: 2, windowEvents: 1)
    }

    func testTheInterruptLandsAfterAMov() throws {
        try check("movl $1, %ecx", lands: 6, windowEvents: 1)
    }

    /// HLT traps (a callout under bt) anyway: the VMM delivers after it, no window event.
    func testTheInterruptLandsAfterAHlt() throws {
        try check("hlt", lands: 2, windowEvents: 0)
    }

    /// The second STI (IF already 1) has no shadow of its own: the interrupt lands after it.
    func testASecondSTIDoesNotExtendTheShadow() throws {
        try check("sti; nop", lands: 2, windowEvents: 0)
    }
}
