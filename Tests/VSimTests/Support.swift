import Foundation
import HostIO

/// Runs the built `vsim` binary and host tools for the command-line tests.
enum CLI {
    struct Output { var status: Int32; var stdout: String; var stderr: String }

    /// The `vsim` executable next to this test bundle (swift build puts products side by side).
    static var vsimPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vsim").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "vsim"
    }

    /// The package root (for programs/ and scripts/).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Runs `vsim args...` with an optional environment and stdin text.
    static func vsim(_ args: [String], environment: [String: String]? = nil, stdin: String = "") throws -> Output {
        try run(vsimPath, args, environment: environment, stdin: stdin)
    }

    static func run(_ executable: String, _ args: [String], environment: [String: String]? = nil, stdin: String = "") throws -> Output {
        let p = Process()
        if executable.hasPrefix("/") {
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = args
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [executable] + args
        }
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        // HostIO's reads and writes retry on EINTR, where FileHandle's non-throwing
        // readDataToEndOfFile/write trap (seen under load: a signal during the read).
        _ = HostIO.writeAll(input.fileHandleForWriting.fileDescriptor, stdin)
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        let errHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            errBox.data = Data((try? HostIO.readToEnd(errHandle.fileDescriptor)) ?? [])
            group.leave()
        }
        let outData = Data((try? HostIO.readToEnd(out.fileHandleForReading.fileDescriptor)) ?? [])
        group.wait()
        let errData = errBox.data
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh directory, removed with ``Scratch/root`` when the test process exits.
    static func temporaryDirectory() throws -> String {
        try Scratch.directory("cli")
    }

    /// Removes a directory from ``temporaryDirectory()`` and everything in it.
    static func remove(_ dir: String) {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Writes `source` to DIR/name and returns the path.
    static func write(_ source: String, name: String, in dir: String) throws -> String {
        let path = dir + "/" + name
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Assembles and links with GNU as/ld (extra ld flags, or 64-bit).
    static func build(_ source: String, name: String, in dir: String, ldFlags: [String] = [], bits64: Bool = false) throws -> String {
        let src = try write(source, name: name + ".s", in: dir)
        let obj = dir + "/" + name + ".o", exe = dir + "/" + name
        let a = try run("as", [bits64 ? "--64" : "--32", "-o", obj, src])
        precondition(a.status == 0, a.stderr)
        let l = try run("ld", (bits64 ? [] : ["-m", "elf_i386"]) + ldFlags + ["-o", exe, obj])
        precondition(l.status == 0, l.stderr)
        return exe
    }

    /// A program that prints argc, then each argv string, then each envp string, one per line.
    static let printArgsSource = """
            .globl _start
        _start:
            movl (%esp), %eax
            addl $'0', %eax
            movb %al, digit
            movl $digit, %ecx
            movl $2, %edx
            call write_out
            leal 4(%esp), %esi
        1:  movl (%esi), %ecx
            addl $4, %esi
            testl %ecx, %ecx
            jz 2f
            call puts
            jmp 1b
        2:  movl (%esi), %ecx
            addl $4, %esi
            testl %ecx, %ecx
            jz 3f
            call puts
            jmp 2b
        3:  movl $1, %eax
            xorl %ebx, %ebx
            int $0x80
        puts:
            movl %ecx, %edx
        4:  cmpb $0, (%edx)
            je 5f
            incl %edx
            jmp 4b
        5:  subl %ecx, %edx
            call write_out
            movl $nl, %ecx
            movl $1, %edx
        write_out:
            movl $4, %eax
            movl $1, %ebx
            int $0x80
            ret
            .data
        digit: .ascii "0\\n"
        nl: .ascii "\\n"
        """
}

/// The one directory under $TMPDIR that holds every temporary directory of this test process;
/// it is removed when the process exits (`atexit`), so a test run leaves nothing behind in /tmp
/// (only a crashed run may).
enum Scratch {
    static let root: String = {
        let root = NSTemporaryDirectory() + "vsim-tests-\(getpid())-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        rootForExit = strdup(root)
        atexit {
            if let p = Scratch.rootForExit { try? FileManager.default.removeItem(atPath: String(cString: p)) }
        }
        return root
    }()
    static var rootForExit: UnsafeMutablePointer<CChar>?

    /// A fresh directory `NAME-UUID` under ``root``.
    static func directory(_ name: String) throws -> String {
        let dir = root + "/" + name + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
