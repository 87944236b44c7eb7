import Machine
import Descriptions

/// Why a guest kernel and program could not be placed in guest RAM.
public enum BootError: Error, CustomStringConvertible, Sendable {
    case kernelOutsideRAM(address: UInt32, ramSize: UInt32)
    case kernelOverlapsBootInformation(address: UInt32)
    case programTooLarge(bytes: UInt64, ramSize: UInt32)
    case programOverlapsStack(segment: Int, address: UInt32)
    case programInKernelSpace(segment: Int, address: UInt32, limit: UInt32)
    case arguments(String)

    public var description: String {
        switch self {
        case .kernelOutsideRAM(let a, let ram):
            return "the guest kernel has a segment at \(Hex.prefixed(a)), outside the \(ram >> 20) MiB of guest RAM; link it lower"
        case .kernelOverlapsBootInformation(let a):
            return "the guest kernel has a segment at \(Hex.prefixed(a)), over the boot-information block at \(Hex.prefixed(BootLoader.bootInformationAddress)); link it at 0x100000"
        case .programTooLarge(let bytes, let ram):
            // The kernel's own allocations (page tables, the frame counts) come on top: 4 MiB spare.
            let suggestion = (bytes + (4 << 20) + (4 << 20) - 1) / (4 << 20) * (4 << 20)
            return "the program, its stack and the kernel need \((bytes + (1 << 20) - 1) >> 20) MiB of guest RAM, more than the \(ram >> 20) MiB "
                + "it has; run with --memory \(suggestion >> 20)M"
        case .programOverlapsStack(let i, let a):
            if a >= BootLoader.stackTop {
                return "PT_LOAD program header \(i) at \(Hex.prefixed(a)) lies above the guest stack, at or above \(Hex.prefixed(BootLoader.stackTop)), "
                    + "where the guest kernel's user space ends; link the program lower"
            }
            return "PT_LOAD program header \(i) at \(Hex.prefixed(a)) overlaps the guest stack below \(Hex.prefixed(BootLoader.stackTop)); link the program lower"
        case .programInKernelSpace(let i, let a, let limit):
            return "PT_LOAD program header \(i) at \(Hex.prefixed(a)) is below \(Hex.prefixed(limit)), where the guest kernel maps its \(limit >> 20) MiB of RAM; "
                + (a >= 8 << 20 ? "run with --memory \((a >> 22) << 2)M or less, or link the program higher" : "link the program higher")
        case .arguments(let why): return why
        }
    }

    /// vsim's exit status: 65 for an image that does not fit, 64 for arguments that are too long.
    public var exitStatus: Int32 {
        if case .arguments = self { return 64 }
        return 65
    }
}


/// vsim's boot protocol (docs/boot-protocol.md): how vsim places a guest kernel and one user
/// program in guest RAM and what it tells the kernel.
///
/// Physical layout: the boot-information block at 0x1000 (its region table at 0x1100), the
/// kernel's PT_LOAD segments at their addresses (it is linked at 0x100000 and runs there, with
/// paging off, identity-mapped later by itself), then the user program's pages and its stack,
/// each page in its own frame, from the first 64 KiB boundary after the kernel. RAM not used by
/// these is zero, and free from ``BootLayout/firstFree`` up.
///
/// The boot-information block (little-endian 32-bit words):
///
/// | offset | field |
/// |---|---|
/// | 0 | magic "vSIM" (0x4D495376) |
/// | 4 | version (1) |
/// | 8 | RAM size in bytes |
/// | 12 | first free physical address (page aligned) |
/// | 16 | user entry point (e_entry) |
/// | 20 | user initial ESP (argc, argv, envp, auxv as Linux builds them, top 0xC0000000) |
/// | 24 | user initial program break (page aligned, after the highest segment) |
/// | 28 | timer period in guest instructions (0: no timer) |
/// | 32 | number of regions |
/// | 36 | physical address of the region table |
///
/// Each region is four words: virtual address, physical address, size in bytes (both page
/// aligned), flags (bit 0 writable, bit 1 executable). The kernel maps every region at ring 3.
public enum BootLoader {
    public static let bootInformationAddress: UInt32 = 0x1000
    public static let regionTableAddress: UInt32 = 0x1100
    public static let maxRegions = 96
    /// The user stack the boot protocol maps: 128 KiB ending at 0xC0000000 (the guest kernel
    /// grows it on page faults up to 8 MiB, docs/boot-protocol.md).
    public static let stackTop: UInt32 = 0xC000_0000
    public static let stackSize: UInt32 = 128 << 10
    public static let magic: UInt32 = 0x4D49_5376
    public static let version: UInt32 = 1

    public struct Region: Equatable, Sendable {
        public var virtualAddress: UInt32
        public var physicalAddress: UInt32
        public var size: UInt32
        public var writable: Bool
        public var executable: Bool
    }

    public struct Layout: Sendable {
        public var kernelEntry: UInt32
        public var userEntry: UInt32
        public var userStackPointer: UInt32
        public var programBreak: UInt32
        public var firstFree: UInt32
        public var regions: [Region]
    }

    /// Loads `kernel` and `program` into `machine`'s RAM, writes the boot-information block and
    /// puts the CPU in the boot state at the kernel's entry point.
    public static func boot(kernel: ELFImage, program: ELFImage, argv: [String], envp: [String],
                            executablePath: String? = nil, randomSeed: UInt64 = SeededGenerator.defaultSeed,
                            timerPeriod: UInt32, machine: SystemMachine) throws(BootError) -> Layout {
        let mmu = machine.mmu
        let ram = mmu.ramSize
        // The kernel, at its own addresses.
        var kernelEnd: UInt32 = 0
        for s in kernel.segments where s.memorySize > 0 {
            guard UInt64(s.virtualAddress) + UInt64(s.memorySize) <= UInt64(ram) else {
                throw .kernelOutsideRAM(address: s.virtualAddress, ramSize: ram)
            }
            guard s.virtualAddress >= 0x2000 else { throw .kernelOverlapsBootInformation(address: s.virtualAddress) }
            mmu.loadPhysical(s.fileBytes, at: s.virtualAddress)
            kernelEnd = max(kernelEnd, s.virtualAddress + s.memorySize)
        }
        var nextFrame = (kernelEnd + 0xFFFF) & ~0xFFFF
        func allocate() throws(BootError) -> UInt32 {
            guard nextFrame < ram else { throw .programTooLarge(bytes: UInt64(nextFrame) + 4096, ramSize: ram) }
            defer { nextFrame += 4096 }
            return nextFrame
        }

        // All of it must fit: the program's pages (one frame each) and the stack, after the kernel.
        var programPages: Set<UInt32> = []
        for s in program.segments where s.memorySize > 0 && s.endAddress <= UInt64(stackTop - stackSize) {
            var page = UInt64(s.virtualAddress & ~0xFFF)
            while page < s.endAddress { programPages.insert(UInt32(page)); page += 4096 }
        }
        let needed = UInt64(nextFrame) + UInt64(programPages.count) * 4096 + UInt64(stackSize)
        guard needed <= UInt64(ram) else { throw .programTooLarge(bytes: needed, ramSize: ram) }

        // The program's pages: one frame each, permissions the union over segments sharing a page.
        var pages: [UInt32: (frame: UInt32, writable: Bool, executable: Bool)] = [:]
        for s in program.segments where s.memorySize > 0 {
            guard s.endAddress <= UInt64(stackTop - stackSize) else {
                throw .programOverlapsStack(segment: s.index, address: s.virtualAddress)
            }
            guard s.virtualAddress >= ram else {
                throw .programInKernelSpace(segment: s.index, address: s.virtualAddress, limit: ram)
            }
            var page = s.virtualAddress & ~0xFFF
            while UInt64(page) < s.endAddress {
                var p: (frame: UInt32, writable: Bool, executable: Bool)
                if let existing = pages[page] { p = existing } else { p = (try allocate(), false, false) }
                p.writable = p.writable || s.permissions.contains(.write)
                p.executable = p.executable || s.permissions.contains(.execute)
                pages[page] = p
                page += 4096
            }
            // File bytes, page by page.
            var offset = 0
            while offset < s.fileBytes.count {
                let va = s.virtualAddress + UInt32(offset)
                let chunk = min(Int(4096 - (va & 0xFFF)), s.fileBytes.count - offset)
                let frame = pages[va & ~0xFFF]!.frame
                s.fileBytes[offset..<(offset + chunk)].withUnsafeBytes {
                    _ = mmu.loadPhysical($0, at: frame + (va & 0xFFF))
                }
                offset += chunk
            }
        }
        // The stack and the initial stack contents.
        var random = SeededGenerator(seed: randomSeed)
        let stack: InitialStack
        do {
            // A kernel that serves system calls as function calls (the unikernel's library OS)
            // says where with its `sysinfo_entry` symbol; the program finds it as AT_SYSINFO.
            let sysinfo = kernel.symbols.first { $0.name == "sysinfo_entry" }?.value
            stack = try InitialStack.build(image: program, argv: argv, envp: envp,
                                           executablePath: executablePath ?? argv.first ?? program.path,
                                           randomBytes: random.bytes(16), top: stackTop, limit: Int(stackSize) / 4,
                                           sysinfo: sysinfo)
        } catch { throw .arguments(error.description) }
        for va in stride(from: stackTop - stackSize, to: stackTop, by: 4096) {
            pages[va] = (try allocate(), true, false)
        }
        var offset = 0
        while offset < stack.bytes.count {
            let va = stack.stackPointer + UInt32(offset)
            let chunk = min(Int(4096 - (va & 0xFFF)), stack.bytes.count - offset)
            let frame = pages[va & ~0xFFF]!.frame
            stack.bytes[offset..<(offset + chunk)].withUnsafeBytes { _ = mmu.loadPhysical($0, at: frame + (va & 0xFFF)) }
            offset += chunk
        }

        // Regions: runs of pages contiguous in both address spaces with the same flags.
        var regions: [Region] = []
        for va in pages.keys.sorted() {
            let p = pages[va]!
            if var last = regions.last, last.virtualAddress + last.size == va, last.physicalAddress + last.size == p.frame,
               last.writable == p.writable, last.executable == p.executable {
                last.size += 4096
                regions[regions.count - 1] = last
            } else {
                regions.append(Region(virtualAddress: va, physicalAddress: p.frame, size: 4096, writable: p.writable, executable: p.executable))
            }
        }
        guard regions.count <= maxRegions else { throw .programTooLarge(bytes: UInt64(regions.count) * 4096, ramSize: ram) }

        let programBreak = UInt32((program.highestAddress + 0xFFF) & ~0xFFF)
        let info: [UInt32] = [magic, version, ram, nextFrame, program.entry, stack.stackPointer, programBreak,
                              timerPeriod, UInt32(regions.count), regionTableAddress]
        var bytes: [UInt8] = []
        func word(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        info.forEach(word)
        mmu.loadPhysical(bytes, at: bootInformationAddress)
        bytes = []
        for r in regions {
            word(r.virtualAddress); word(r.physicalAddress); word(r.size)
            word((r.writable ? 1 : 0) | (r.executable ? 2 : 0))
        }
        mmu.loadPhysical(bytes, at: regionTableAddress)
        machine.resetForBoot(entry: kernel.entry, bootInformation: bootInformationAddress)
        return Layout(kernelEntry: kernel.entry, userEntry: program.entry, userStackPointer: stack.stackPointer,
                      programBreak: programBreak, firstFree: nextFrame, regions: regions)
    }
}
