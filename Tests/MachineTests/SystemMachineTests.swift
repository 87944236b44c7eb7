import Foundation
import Testing
import X86
@testable import Machine

/// The system level of the machine with small hand-written kernels (no guest kernel, no boot
/// loader): paging and #PF, the double/triple-fault rules, HLT, I/O with no device, the timer.
struct SystemMachineTests {
    /// GDT (0x08 code, 0x10 data, 0x1B user code, 0x23 user data, 0x28 free for a TSS) and an IDT whose
    /// entries point at `handler_N` labels the test defines. `setup` loads them.
    static let prelude = """
        .equ EXIT, 0x501
        _start:
            lgdt gdt_desc
            ljmp $0x08, $1f
        1:  movw $0x10, %ax
            movw %ax, %ds
            movw %ax, %es
            movw %ax, %ss
            movl $0x180000, %esp
            jmp main
        exit_al:
            movw $EXIT, %dx
            outb %al, %dx
        # set_gate: vector %ecx -> %eax, flags %edx
        set_gate:
            movw %ax, idt(,%ecx,8)
            movw $0x08, idt+2(,%ecx,8)
            movw %dx, idt+4(,%ecx,8)
            shrl $16, %eax
            movw %ax, idt+6(,%ecx,8)
            ret
            .align 8
        gdt: .quad 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF, 0x00CFFA000000FFFF, 0x00CFF2000000FFFF, 0
        gdt_desc: .word 6*8-1
            .long gdt
        idt_desc: .word 256*8-1
            .long idt
            .align 8
        idt: .space 256*8

        """

    /// Builds `source` linked at 0x100000 and boots it on a fresh machine.
    static func machine(_ source: String, ram: UInt32 = 4 << 20) throws -> SystemMachine {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vsim-sys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = dir.appendingPathComponent("k.s").path, o = dir.appendingPathComponent("k.o").path,
            b = dir.appendingPathComponent("k.bin").path
        try (".text\n.globl _start\n" + source + "\n").write(toFile: s, atomically: true, encoding: .utf8)
        for args in [["as", "--32", s, "-o", o], ["ld", "-m", "elf_i386", "-Ttext", "0x100000", "--oformat", "binary", "-o", b, o]] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = args
            let err = Pipe()
            p.standardError = err
            try p.run()
            p.waitUntilExit()
            if p.terminationStatus != 0 {
                throw AsmError(message: "\(args[0]) failed: " + String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            }
        }
        let m = try SystemMachine(ramSize: ram, input: -1, output: -1)
        m.mmu.loadPhysical([UInt8](try Data(contentsOf: URL(fileURLWithPath: b))), at: 0x100000)
        m.resetForBoot(entry: 0x100000, bootInformation: 0)
        return m
    }

    @Test func outputOfTheExitDeviceEndsTheRun() throws {
        let m = try Self.machine("movb $42, %al\nmovw $0x501, %dx\noutb %al, %dx\nud2")
        #expect(m.run(maxInstructions: 100, deadline: nil) == .exited(status: 42))
        #expect(m.interpreter.instructionsExecuted == 3)
    }

    @Test func anIOPortWithNoDeviceStopsTheMachine() throws {
        let m = try Self.machine("movw $0x1234, %dx\ninb %dx, %al\nud2")
        #expect(m.run(maxInstructions: 100, deadline: nil) == .noDevice(port: 0x1234, write: false, eip: 0x100004))
    }

    @Test func hltWithInterruptsOffHaltsForever() throws {
        let m = try Self.machine("cli\nhlt")
        #expect(m.run(maxInstructions: 100, deadline: nil) == .haltedForever(eip: 0x100001))
    }

    @Test func aKernelThatNeverHaltsRunsIntoTheLimit() throws {
        let m = try Self.machine("1: jmp 1b")
        #expect(m.run(maxInstructions: 10_000, deadline: nil) == .instructionLimit)
        #expect(m.interpreter.instructionsExecuted == 10_000)
    }

    /// UD2 with an empty IDT: #UD cannot be delivered (vector beyond the limit: #GP), #UD is
    /// benign so the #GP is delivered next, which fails the same way; #GP while delivering #GP is
    /// contributory on contributory: #DF, which fails too: triple fault.
    @Test func anEmptyIDTGivesATripleFault() throws {
        let m = try Self.machine("ud2")
        let stop = m.run(maxInstructions: 100, deadline: nil)
        guard case .tripleFault(let e) = stop else { Issue.record("\(stop)"); return }
        #expect(e.vector == .gp)
        #expect(e.errorCode == UInt32(8 * 8 + 2), "\(e)")   // the #DF gate, IDT bit set
    }

    /// A frame holding code that both the translator and the BT VMM translated stays marked
    /// until both let it go: a TLB fill of it sets the entry's code bit (writes to it take the
    /// slow path to the code observers) while either holds code there, and not after.
    @Test func aTranslatedFrameStaysMarkedWhileAnyHolderHasCodeOnIt() throws {
        let m = try Self.machine("ud2")
        let memory = m.memory
        func entryAfterFetch(_ a: UInt32) throws -> UInt8 {
            try memory.guestCheckFetch(a)
            return memory.pageTableBase[Int(a >> 12)]
        }
        _ = try entryAfterFetch(0x300000)   // paging off: frame 0x300
        memory.markTranslatedCode(address: 0x300000, count: 4)
        memory.markTranslatedCode(address: 0x300000, count: 4, holder: .vmm)
        memory.releaseTranslatedFrame(0x300)   // the translator's blocks went
        m.mmu.flushAll()
        #expect(try entryAfterFetch(0x300000) & GuestMemory.entryCode != 0)
        memory.releaseTranslatedFrame(0x300, holder: .vmm)
        m.mmu.flushAll()
        #expect(try entryAfterFetch(0x300000) & GuestMemory.entryCode == 0)
    }

    /// Identity-map the first 4 MiB except page 0x300000 (not present) and page 0x301000
    /// (read-only, supervisor); a write to each faults with the SDM error code and CR2.
    @Test func pagingFaultsCarryTheErrorCodeAndCR2() throws {
        let m = try Self.machine(Self.prelude + """
        main:
            movl $14, %ecx
            movl $pf_handler, %eax
            movl $0x8E00, %edx
            call set_gate
            lidt idt_desc
            # page directory at 0x200000, one page table at 0x201000
            movl $0x201003, 0x200000
            xorl %ecx, %ecx
        2:  movl %ecx, %eax
            shll $12, %eax
            orl $3, %eax
            movl %eax, 0x201000(,%ecx,4)
            incl %ecx
            cmpl $1024, %ecx
            jb 2b
            movl $0, 0x201000 + 0x300*4          # 0x300000: not present
            movl $0x301001, 0x201000 + 0x301*4   # 0x301000: present, read-only
            movl $0x200000, %eax
            movl %eax, %cr3
            movl %cr0, %eax
            orl $0x80010000, %eax
            movl %eax, %cr0
            movl $0, %esi
            movl 0x300010, %ecx                  # #PF(0): not present, read (6 bytes)
            movl $1, %esi
            movl %ecx, 0x301020                  # #PF(3): present, write (6 bytes)
            movb $99, %al
            jmp exit_al
        pf_handler:
            popl %eax                            # error code
            movl %eax, 0x1000(,%esi,8)
            movl %cr2, %eax
            movl %eax, 0x1004(,%esi,8)
            addl $6, (%esp)                      # skip the 6-byte faulting MOV
            iret
        """)
        #expect(m.run(maxInstructions: 100_000, deadline: nil) == .exited(status: 99))
        #expect(m.mmu.physicalRead32(0x1000) == 0)
        #expect(m.mmu.physicalRead32(0x1004) == 0x300010)
        #expect(m.mmu.physicalRead32(0x1008) == 3)
        #expect(m.mmu.physicalRead32(0x100C) == 0x301020)
        #expect(m.cpu.cr2 == 0x301020)
        // The accessed bit was set in the PTE of a page the kernel read.
        #expect(m.mmu.physicalRead32(0x201000 + 0x100 * 4) & 0x20 != 0)
    }

    /// The timer every 1,000 instructions into a handler that counts; the kernel halts between
    /// ticks and exits after 5. Time is deterministic: the fifth tick is at clock 5,000.
    @Test func theTimerInterruptsEveryNInstructions() throws {
        let m = try Self.machine(Self.prelude + """
        main:
            movl $0x20, %ecx
            movl $tick, %eax
            movl $0x8E00, %edx
            call set_gate
            lidt idt_desc
            xorl %ebx, %ebx
            movl $1000, %eax
            outl %eax, $0x40
            sti
        3:  hlt
            cmpl $5, %ebx
            jb 3b
            movb %bl, %al
            jmp exit_al
        tick:
            incl %ebx
            iret
        """)
        #expect(m.run(maxInstructions: 100_000, deadline: nil) == .exited(status: 5))
        #expect(m.timer.ticks == 5)
        #expect(m.delivered[0x20] == 5)
        #expect(m.clock >= 5000 && m.clock < 5100)
    }

    /// IRET to ring 3, INT 0x30 back to ring 0 through a DPL 3 gate with the stack switched to
    /// SS0:ESP0 from the TSS; the handler sees CS and SS of ring 3 on its stack.
    @Test func privilegeChangesThroughIRETAndAGate() throws {
        let m = try Self.machine(Self.prelude + """
        main:
            movl $0x30, %ecx
            movl $syscall, %eax
            movl $0xEE00, %edx
            call set_gate
            lidt idt_desc
            # TSS at 0x2000 (descriptor 5), ESP0 = 0x170000, SS0 = 0x10
            movl $0x170000, 0x2004
            movl $0x10, 0x2008
            movl $0x00008900, gdt+5*8+4
            movl $0x20000067, gdt+5*8
            movw $0x28, %ax
            ltr %ax
            pushl $0x23
            pushl $0x160000
            pushl $0x2
            pushl $0x1B
            pushl $user
            iret
        user:
            movl %cs, %ebx           # 0x1B: CPL 3 shows in the RPL
            int $0x30
        syscall:
            movl (%esp), %eax        # EIP after the INT
            movl 4(%esp), %ecx       # CS 0x1B
            movl 16(%esp), %edi      # SS 0x23
            movl %esp, %esi          # 0x170000 - 20
            movb $7, %al
            jmp exit_al
        """)
        #expect(m.run(maxInstructions: 100_000, deadline: nil) == .exited(status: 7))
        #expect(m.cpu.ebx == 0x1B)
        #expect(m.cpu.ecx == 0x1B)
        #expect(m.cpu.edi == 0x23)
        #expect(m.cpu.esi == 0x170000 - 20)
        #expect(m.cpu.cpl == 0)
    }

    /// At CPL 3, CLI faults (#GP(0)), and with CR4.UMIP so does SGDT.
    @Test func privilegedInstructionsFaultAtRing3() throws {
        let m = try Self.machine("movw $0x2f8, %dx\ncli\nhlt")
        m.setCPL(3)
        let stop = m.run(maxInstructions: 100, deadline: nil)
        // No IDT: the #GP cannot be delivered, nor the #DF: triple fault, the first cause inside.
        guard case .tripleFault = stop else { Issue.record("\(stop)"); return }
        #expect(m.lastProgramException?.vector == .gp)
        #expect(m.lastProgramException?.errorCode == 0)
    }
}
