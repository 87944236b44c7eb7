import Foundation

/// Builds small guest programs with GNU as/ld in a temporary directory, and runs host tools.
enum Toolchain {
    struct Output { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `argv` (PATH lookup) and waits.
    @discardableResult
    static func run(_ argv: [String], input: String? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    /// A fresh temporary directory, removed with ``Scratch/root`` when the test process exits.
    static func temporaryDirectory() throws -> String {
        try Scratch.directory("guest")
    }

    struct BuildError: Error, CustomStringConvertible { var description: String }

    /// Assembles `source` (`as --32`, or `as --64` when `bits64`) and links it (`ld -m elf_i386`
    /// plus `ldFlags`, or plain `ld` for 64-bit). Returns the executable's path.
    static func build(_ source: String, name: String = "prog", ldFlags: [String] = [], bits64: Bool = false) throws -> String {
        let dir = try temporaryDirectory()
        let src = dir + "/\(name).s", obj = dir + "/\(name).o", exe = dir + "/\(name)"
        try source.write(toFile: src, atomically: true, encoding: .utf8)
        let a = try run(["as", bits64 ? "--64" : "--32", "-o", obj, src])
        guard a.status == 0 else { throw BuildError(description: "as failed: \(a.stderr)") }
        let l = try run(["ld"] + (bits64 ? [] : ["-m", "elf_i386"]) + ldFlags + ["-o", exe, obj])
        guard l.status == 0 else { throw BuildError(description: "ld failed: \(l.stderr)") }
        return exe
    }

    /// A minimal program: writes "hello\n" and exits with `status`.
    static func helloSource(status: Int = 0) -> String {
        """
            .globl _start
            .type _start, @function
        _start:
            movl $4, %eax
            movl $1, %ebx
            movl $msg, %ecx
            movl $6, %edx
            int $0x80
            movl $1, %eax
            movl $\(status), %ebx
            int $0x80
        helper:
            ret
            .data
            .globl msg
            .type msg, @object
            .size msg, 6
        msg: .ascii "hello\\n"
            .bss
        buffer: .space 10000
        """
    }
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
