import Foundation
import Testing
import Machine
@testable import Guest

/// The Linux user ABI: memory layout, initial stack, system calls. Programs run on the real
/// interpreter with guest fds 0/1/2 on temp files.
@Suite struct LinuxProcessTests {
    /// Host fds for a run: stdin from `input`, stdout and stderr to temp files.
    final class Files {
        let dir: String
        let input: Int32, output: Int32, error: Int32
        init(input text: String = "") throws {
            dir = try Toolchain.temporaryDirectory()
            try text.write(toFile: dir + "/in", atomically: true, encoding: .utf8)
            input = open(dir + "/in", O_RDONLY)
            output = open(dir + "/out", O_RDWR | O_CREAT | O_TRUNC, 0o644)
            error = open(dir + "/err", O_RDWR | O_CREAT | O_TRUNC, 0o644)
        }
        var stdio: GuestStdio { GuestStdio(input: input, output: output, error: error) }
        var stdout: String { (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "" }
        deinit { close(input); close(output); close(error) }
    }

    func process(_ source: String, argv: [String] = ["prog"], envp: [String] = [], files: Files, ldFlags: [String] = []) throws -> LinuxProcess {
        let path = try Toolchain.build(source, ldFlags: ldFlags)
        return try LinuxProcess(image: try ELFImage(path: path), argv: argv, envp: envp, stdio: files.stdio)
    }

    func word(_ p: LinuxProcess, _ address: UInt32) throws -> UInt32 {
        let b = try p.memory.read(at: address, count: 4)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    func string(_ p: LinuxProcess, _ address: UInt32) throws -> String {
        var bytes: [UInt8] = []
        var a = address
        while true {
            let b = try p.memory.read(at: a, count: 1)[0]
            if b == 0 { break }
            bytes.append(b)
            a += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func initialStackFollowsTheSystemVABI() throws {
        let files = try Files()
        let p = try process(Toolchain.helloSource(), argv: ["prog", "one", "two words"], envp: ["A=1", "B=2"], files: files)
        let sp = p.cpu[reg32: 4]
        #expect(sp % 16 == 0)
        #expect(sp < LinuxProcess.stackTop && sp > LinuxProcess.stackTop - LinuxProcess.stackLimit)
        #expect(p.cpu.eip == p.image.entry)
        #expect(try word(p, sp) == 3)
        var argv: [String] = []
        for i in 0..<3 { argv.append(try string(p, try word(p, sp + 4 + UInt32(i) * 4))) }
        #expect(argv == ["prog", "one", "two words"])
        #expect(try word(p, sp + 16) == 0)
        #expect(try string(p, try word(p, sp + 20)) == "A=1")
        #expect(try string(p, try word(p, sp + 24)) == "B=2")
        #expect(try word(p, sp + 28) == 0)
        var auxv: [UInt32: UInt32] = [:]
        var a = sp + 32
        while true {
            let key = try word(p, a), value = try word(p, a + 4)
            a += 8
            if key == 0 { break }
            auxv[key] = value
        }
        #expect(auxv[6] == 4096)                                      // AT_PAGESZ
        #expect(auxv[9] == p.image.entry)                             // AT_ENTRY
        #expect(auxv[5] == UInt32(p.image.programHeaderCount))        // AT_PHNUM
        #expect(auxv[4] == 32)                                        // AT_PHENT
        #expect(auxv[11] == getuid() && auxv[12] == geteuid() && auxv[13] == getgid() && auxv[14] == getegid())
        // AT_PHDR points at the program headers as loaded: the first one is PT_LOAD (1).
        let phdr = try #require(auxv[3])
        #expect(try word(p, phdr) == 1)
        #expect(try string(p, try #require(auxv[15])) == "i686")       // AT_PLATFORM
        #expect(try string(p, try #require(auxv[31])) == "prog")       // AT_EXECFN
        var generator = SeededGenerator()
        #expect(try p.memory.read(at: try #require(auxv[25]), count: 16) == generator.bytes(16))  // AT_RANDOM
    }

    @Test func segmentsAreMappedWithTheirPermissions() throws {
        let files = try Files()
        let p = try process(Toolchain.helloSource(), files: files)
        for s in p.image.segments {
            let perms = try #require(p.memory.permissions(at: s.virtualAddress))
            #expect(perms.contains(.read) == s.permissions.contains(.read))
            #expect(perms.contains(.write) == s.permissions.contains(.write))
            #expect(perms.contains(.execute) == s.permissions.contains(.execute))
        }
        // The bss is mapped and zero; the break starts at the next page boundary.
        let end = p.image.highestAddress
        #expect(try p.memory.read(at: UInt32(end - 1), count: 1) == [0])
        #expect(p.programBreak == UInt32((end + 4095) / 4096 * 4096))
    }

    @Test func helloWritesAndExits() throws {
        let files = try Files()
        let p = try process(Toolchain.helloSource(status: 3), files: files)
        var lines: [String] = []
        p.syscallTrace = { lines.append($0) }
        let end = p.run(maxInstructions: 1000, deadline: nil)
        guard case .exited(3) = end else { Issue.record("\(end)"); return }
        #expect(files.stdout == "hello\n")
        #expect(lines == ["write(1, \"hello\\n\", 6) = 6", "exit(3) = ?", "+++ exited with 3 +++"])
    }

    /// `syscall` with EBX..EDX set, then exit(-EAX & 0xff) (so errors show as exit statuses).
    func syscallThenExitWithNegatedResult(_ number: Int, _ ebx: String = "$0", _ ecx: String = "$0", _ edx: String = "$0") -> String {
        """
            .globl _start
        _start:
            movl $\(number), %eax
            movl \(ebx), %ebx
            movl \(ecx), %ecx
            movl \(edx), %edx
            int $0x80
            negl %eax
            movl %eax, %ebx
            movl $1, %eax
            int $0x80
        """
    }

    @Test func badPointersGiveEFAULT() throws {
        let files = try Files()
        let p = try process(syscallThenExitWithNegatedResult(4, "$1", "$0x10", "$5"), files: files)
        var lines: [String] = []
        p.syscallTrace = { lines.append($0) }
        guard case .exited(14) = p.run(maxInstructions: 1000, deadline: nil) else { Issue.record("not EFAULT"); return }
        #expect(lines.first == "write(1, 0x10, 5) = -14 EFAULT (Bad address)")
        // read into the read-only text segment
        let q = try process(syscallThenExitWithNegatedResult(3, "$0", "$_start", "$5"), files: try Files(input: "abc"))
        guard case .exited(14) = q.run(maxInstructions: 1000, deadline: nil) else { Issue.record("read: not EFAULT"); return }
    }

    @Test func unknownSystemCallIsENOSYSAndNamed() throws {
        let files = try Files()
        let p = try process(syscallThenExitWithNegatedResult(999, "$1", "$2", "$3"), files: files)
        var lines: [String] = []
        p.syscallTrace = { lines.append($0) }
        guard case .exited(38) = p.run(maxInstructions: 1000, deadline: nil) else { Issue.record("not ENOSYS"); return }
        #expect(lines.first?.hasPrefix("syscall_999(0x1, 0x2, 0x3") == true)
        #expect(lines.first?.hasSuffix(") = -38 ENOSYS (unknown to vsim)") == true)
    }

    @Test func badFileDescriptor() throws {
        let p = try process(syscallThenExitWithNegatedResult(4, "$7", "$_start", "$1"), files: try Files())
        guard case .exited(9) = p.run(maxInstructions: 1000, deadline: nil) else { Issue.record("not EBADF"); return }
    }

    @Test func readCopiesStdin() throws {
        let source = """
            .globl _start
        _start:
            movl $3, %eax
            movl $0, %ebx
            movl $buf, %ecx
            movl $100, %edx
            int $0x80
            movl %eax, %edx
            movl $4, %eax
            movl $1, %ebx
            movl $buf, %ecx
            int $0x80
            movl $1, %eax
            movl $0, %ebx
            int $0x80
            .bss
        buf: .space 100
        """
        let files = try Files(input: "from stdin\n")
        let p = try process(source, files: files)
        guard case .exited(0) = p.run(maxInstructions: 1000, deadline: nil) else { Issue.record("did not exit"); return }
        #expect(files.stdout == "from stdin\n")
    }

    @Test func brkGrowsTheHeap() throws {
        let source = """
            .globl _start
        _start:
            movl $45, %eax
            movl $0, %ebx
            int $0x80
            movl %eax, %esi
            leal 10000(%esi), %ebx
            movl $45, %eax
            int $0x80
            cmpl %eax, %ebx
            jne 1f
            movb $42, 9999(%esi)
            movzbl 9999(%esi), %ebx
            movl $1, %eax
            int $0x80
        1:  movl $1, %eax
            movl $99, %ebx
            int $0x80
        """
        let p = try process(source, files: try Files())
        let start = p.programBreak
        let end = p.run(maxInstructions: 1000, deadline: nil)
        guard case .exited(42) = end else { Issue.record("\(end)"); return }
        #expect(p.programBreak == start + 10000)
    }

    @Test func otherInterruptVectorsFaultLikeLinux() throws {
        let p = try process("    .globl _start\n_start:\n    int $0x81\n", files: try Files())
        let end = p.run(maxInstructions: 1000, deadline: nil)
        guard case .fault(let e) = end else { Issue.record("\(end)"); return }
        #expect(e.vector == .gp)
        #expect(e.linuxSignal == 11)
        #expect(e.eip == p.image.entry)
    }

    @Test func instructionBudget() throws {
        let p = try process("    .globl _start\n_start:\n    jmp _start\n", files: try Files())
        guard case .instructionLimit = p.run(maxInstructions: 500, deadline: nil) else { Issue.record("no limit"); return }
        #expect(p.interpreter.instructionsExecuted == 500)
    }

    @Test func ldNProgramMayWriteItsCode() throws {
        // With ld -N text and data share one RWX segment: a store into the code is allowed.
        let source = """
            .globl _start
        _start:
            movb $7, patch+1
        patch:
            movl $0, %ebx
            movl $1, %eax
            int $0x80
        """
        let p = try process(source, files: try Files(), ldFlags: ["-N"])
        let end = p.run(maxInstructions: 100, deadline: nil)
        guard case .exited(7) = end else { Issue.record("\(end)"); return }
    }

    @Test func argumentsTooLong() throws {
        let path = try Toolchain.build(Toolchain.helloSource())
        let huge = String(repeating: "x", count: 3 << 20)
        #expect(throws: LinuxProcessError.self) {
            try LinuxProcess(image: try ELFImage(path: path), argv: ["prog", huge], envp: [])
        }
    }

    /// i386 Linux's user space ends at 0xc0000000 (the 3 GiB split), and vsim's guest stack is
    /// the 8 MiB below it (RLIMIT_STACK's default): 0xbf800000-0xc0000000. A program linked at
    /// 0xc0001000 lies above that stack, it does not overlap it; one at 0xbff00000 does.
    @Test func segmentsAtOrAboveTheStackAreToldApart() throws {
        for (address, words) in [(UInt32(0xc000_1000), "lies above the guest stack (0xbf800000–0xc0000000)"),
                                 (0xbff0_0000, "overlaps the guest stack (0xbf800000–0xc0000000)")] {
            let path = try Toolchain.build(Toolchain.helloSource(), name: "at\(String(address, radix: 16))",
                                           ldFlags: ["-Ttext=0x\(String(address, radix: 16))"])
            do {
                _ = try LinuxProcess(image: try ELFImage(path: path), argv: ["prog"], envp: [])
                Issue.record("loaded a program at 0x\(String(address, radix: 16))")
            } catch let error as LinuxProcessError {
                #expect(error.description.contains(words), "\(error.description)")
                #expect(error.exitStatus == 65)
            }
        }
    }

    @Test func straceQuoting() {
        #expect(LinuxProcess.quote(Array("a\"b\\\n\t\u{1}".utf8)) == "\"a\\\"b\\\\\\n\\t\\1\"")
        #expect(LinuxProcess.quote([UInt8](repeating: 65, count: 40)) == "\"" + String(repeating: "A", count: 32) + "\"...")
    }
}
