import Foundation
import XCTest
import Hypervisor
import Machine
@testable import VSim

/// A hand-written bare-machine kernel (`--system`) for code reached through several linear
/// aliases of one frame: the frame 0x300000 mapped at A = 0x300000 (the identity map of the first
/// 4 MiB), B = 0x400000 and C = 0x401000 (the second page table). The frame holds `r`:
/// `movl $1, %eax; ret` (b8 01 00 00 00 c3), whose immediate is byte 0x300001. A test's `body`
/// runs in flat protected mode with paging on, %ebx = 0, %esi = B, %edi = C, %ebp = A; its %eax
/// is the exit status (port 0x501).
enum AliasedFrameKernel {
    static func source(_ body: String) -> String {
        """
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
            movl $0x000001b8, 0x300000      # movl $1, %eax
            movw $0xc300, 0x300004          # ret
            movl $0x201003, 0x200000        # 0-4 MiB: page table 0x201000, identity
            movl $0x202003, 0x200004        # 4-8 MiB: page table 0x202000
            xorl %ecx, %ecx
        2:  movl %ecx, %eax
            shll $12, %eax
            orl $3, %eax
            movl %eax, 0x201000(,%ecx,4)
            incl %ecx
            cmpl $1024, %ecx
            jb 2b
            movl $0x300003, 0x202000        # B = 0x400000 -> frame 0x300000
            movl $0x300003, 0x202004        # C = 0x401000 -> frame 0x300000
            movl $0x200000, %eax
            movl %eax, %cr3
            movl %cr0, %eax
            orl $0x80000000, %eax
            movl %eax, %cr0
            xorl %ebx, %ebx
            movl $0x400000, %esi
            movl $0x401000, %edi
            movl $0x300000, %ebp
        \(body)
            movw $0x501, %dx
            outb %al, %dx
        4:  jmp 4b
            .align 8
        gdt: .quad 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        gdt_desc: .word 3*8-1
            .long gdt
        """
    }

    /// The kernel around `body`, assembled and linked at 0x100000 (GNU as and ld: the test is
    /// skipped without them), as a flat image.
    static func image(_ body: String, name: String) throws -> [UInt8] {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try source(body).write(toFile: dir + "/k.s", atomically: true, encoding: .utf8)
        for args in [["as", "--32", "-o", dir + "/k.o", dir + "/k.s"],
                     ["ld", "-m", "elf_i386", "-Ttext", "0x100000", "--oformat", "binary", "-o", dir + "/k.bin", dir + "/k.o"]] {
            let r = try CLI.run(args[0], Array(args.dropFirst()))
            guard r.status == 0 else { throw XCTSkip("\(args[0]) failed for \(name) (GNU binutils needed): \(r.stderr)") }
        }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/k.bin")))
    }

    /// A machine booted at the image's start (loaded at 0x100000), on `engine`, not yet run.
    static func boot(_ image: [UInt8], engine: Engine) throws -> GuestKernelEngine {
        let m = try SystemMachine(input: -1, output: -1)
        m.mmu.loadPhysical(image, at: 0x100000)
        m.resetForBoot(entry: 0x100000, bootInformation: 0)
        return try GuestKernelEngine(machine: m, engine: engine)
    }

    /// Runs the image to its exit on `engine`, under the modeled VMM `strategy` (nil: the bare
    /// machine, `--system`). Under `bt` the kernel's code runs from the VMM's translation cache
    /// and `engine` would run user code (these kernels have none).
    static func run(_ image: [UInt8], engine: Engine, strategy: VirtualizationStrategy?) throws -> SystemStopReason {
        let m = try SystemMachine(input: -1, output: -1)
        m.mmu.loadPhysical(image, at: 0x100000)
        m.resetForBoot(entry: 0x100000, bootInformation: 0)
        let vmm = strategy.map { VirtualMachineMonitor(strategy: $0, machine: m) }
        defer { withExtendedLifetime(vmm) {} }
        return try GuestKernelEngine(machine: m, engine: engine).run(maxInstructions: 100_000, deadline: nil)
    }
}
