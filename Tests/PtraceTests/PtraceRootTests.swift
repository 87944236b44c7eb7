import Foundation
import Testing
import Ptrace
#if canImport(Glibc)
import Glibc
#endif

/// ``PtraceRoot``'s resolution against hand-worked expectations (the rules of path_resolution(7)
/// with the root moved: `..` stops at it, an absolute link target starts again at it), and
/// ``PathSystemCalls`` against the man pages' argument order.
@Suite("PtraceRoot and PathSystemCalls")
struct PtraceRootTests {
    /// DIR/etc/hostname, DIR/abs -> /etc, DIR/rel -> etc/hostname, DIR/loop -> loop,
    /// DIR/etc/up -> ../.. (climbs above the root).
    static func makeRoot() throws -> String {
        var template = Array("/tmp/vsim-guestroot-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        let dir = String(cString: p)
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
        fm.createFile(atPath: dir + "/etc/hostname", contents: Data("x\n".utf8))
        try fm.createSymbolicLink(atPath: dir + "/abs", withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: dir + "/rel", withDestinationPath: "etc/hostname")
        try fm.createSymbolicLink(atPath: dir + "/loop", withDestinationPath: "loop")
        try fm.createSymbolicLink(atPath: dir + "/etc/up", withDestinationPath: "../..")
        return dir
    }

    @Test("paths, .., links and loops resolve inside the root")
    func resolution() throws {
        let dir = try Self.makeRoot()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = try PtraceRoot(dir)
        let r = root.hostPath   // canonical (mkdtemp's path has no links on Debian's /tmp)
        #expect(root.hostPath(for: "/etc/hostname", base: "/", followLast: true) == r + "/etc/hostname")
        #expect(root.hostPath(for: "../../../etc/hostname", base: "/etc", followLast: true) == r + "/etc/hostname")
        #expect(root.hostPath(for: "hostname", base: "/etc", followLast: true) == r + "/etc/hostname")
        // An absolute target starts again at the root, not at the host's /.
        #expect(root.hostPath(for: "/abs/hostname", base: "/", followLast: true) == r + "/etc/hostname")
        // The last component is followed only when asked (lstat, readlink, unlink do not).
        #expect(root.hostPath(for: "/rel", base: "/", followLast: true) == r + "/etc/hostname")
        #expect(root.hostPath(for: "/rel", base: "/", followLast: false) == r + "/rel")
        #expect(root.hostPath(for: "/abs", base: "/", followLast: false) == r + "/abs")
        // A link that climbs above the root stops at it.
        #expect(root.hostPath(for: "/etc/up/etc/hostname", base: "/", followLast: true) == r + "/etc/hostname")
        // More than 40 links: ELOOP (nil), as Linux says for a loop.
        #expect(root.hostPath(for: "/loop", base: "/", followLast: true) == nil)
        #expect(root.hostPath(for: "/loop", base: "/", followLast: false) == r + "/loop")
        // A name that does not exist is kept (open with O_CREAT makes it there).
        #expect(root.hostPath(for: "/new/file", base: "/", followLast: true) == r + "/new/file")
        #expect(root.hostPath(for: "/", base: "/etc", followLast: true) == r + "/")
        // And back: host paths inside the root are the guest's; outside, none.
        #expect(root.guestPath(forHost: r) == "/")
        #expect(root.guestPath(forHost: r + "/etc") == "/etc")
        #expect(root.guestPath(forHost: "/etc") == nil)
        #expect(root.guestPath(forHost: r + "x/etc") == nil)
    }

    @Test("a root that is not a directory is refused with exit status 66")
    func badRoot() {
        #expect(throws: PtraceError.self) { try PtraceRoot("/nonexistent-vsim-root") }
        do { _ = try PtraceRoot("/etc/hostname"); Issue.record("a file accepted as root") } catch {
            #expect(error.exitStatus == 66)
        }
    }

    @Test("path arguments by the man pages (i386 numbers from asm/unistd_32.h)")
    func pathArguments() throws {
        // The numbers, read from the kernel header where it is installed.
        let header = "/usr/include/x86_64-linux-gnu/asm/unistd_32.h"
        guard let text = try? String(contentsOfFile: header, encoding: .utf8) else {
            print("skipped: \(header) is not installed (linux-libc-dev)"); return
        }
        var numbers: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 3, f[0] == "#define", f[1].hasPrefix("__NR_"), let n = Int(f[2]) { numbers[String(f[1].dropFirst(5))] = n }
        }
        // open(path, flags), openat(dirfd, path, flags), stat64(path, buf), lstat64, readlink(path, ...),
        // renameat(olddirfd, oldpath, newdirfd, newpath), symlinkat(target, newdirfd, linkpath).
        let a = PathSystemCalls.arguments
        #expect(a(numbers["open"]!).map(\.index) == [0])
        #expect(a(numbers["openat"]!).map(\.index) == [1] && a(numbers["openat"]!)[0].directory == 0)
        #expect(a(numbers["stat64"]!)[0].follow == .always)
        #expect(a(numbers["lstat64"]!)[0].follow == .never)
        #expect(a(numbers["readlink"]!)[0].follow == .never)
        #expect(a(numbers["renameat"]!).map(\.index) == [1, 3] && a(numbers["renameat"]!).map(\.directory) == [0, 2])
        #expect(a(numbers["symlinkat"]!).map(\.index) == [2] && a(numbers["symlinkat"]!)[0].directory == 1)
        #expect(a(numbers["execve"]!).map(\.index) == [0])
        #expect(a(numbers["getpid"]!).isEmpty)
        #expect(PathSystemCalls.getcwd == numbers["getcwd"])
        #expect(PathSystemCalls.readlinkat == numbers["readlinkat"])
        // And the names the counts use are the kernel's, through libseccomp.
        #expect(SystemCallNames.name(numbers["fstatat64"]!, compat: true) == "fstatat64")
        #expect(SystemCallNames.name(numbers["_llseek"]!, compat: true) == "_llseek")
        #expect(SystemCallNames.name(100_000, compat: true) == "syscall_100000")
    }
}
