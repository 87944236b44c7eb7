import Foundation
import Testing
@testable import Guest

@Suite struct ELFImageTests {
    /// Segments as readelf -lW shows them: (vaddr, filesz, memsz, flags) of LOAD lines.
    func readelfSegments(_ path: String) throws -> [(UInt32, UInt32, UInt32, String)] {
        let out = try Toolchain.run(["readelf", "-lW", path]).stdout
        return out.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("LOAD") }.map { line in
            // LOAD 0x001000 0x08049000 0x08049000 0x00022 0x00022 R E 0x1000
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            let flags = f[6..<(f.count - 1)].joined(separator: " ")     // "R E", "RW", "RWE"
            return (UInt32(f[2].dropFirst(2), radix: 16)!, UInt32(f[4].dropFirst(2), radix: 16)!,
                    UInt32(f[5].dropFirst(2), radix: 16)!, flags)
        }
    }

    /// Symbols as readelf -sW shows them: name → (value, size, type), FUNC/OBJECT/NOTYPE with a section.
    func readelfSymbols(_ path: String) throws -> [String: (UInt32, UInt32, String)] {
        let out = try Toolchain.run(["readelf", "-sW", path]).stdout
        var result: [String: (UInt32, UInt32, String)] = [:]
        for line in out.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count == 8, f[0].hasSuffix(":"), ["FUNC", "OBJECT", "NOTYPE"].contains(String(f[3])),
                  f[6] != "UND", f[6] != "ABS" else { continue }
            result[String(f[7])] = (UInt32(f[1], radix: 16)!, UInt32(f[2])!, String(f[3]))
        }
        return result
    }

    @Test func loadsSegmentsEntryAndSymbolsLikeReadelf() throws {
        let path = try Toolchain.build(Toolchain.helloSource())
        let image = try ELFImage(path: path)
        let expected = try readelfSegments(path)
        #expect(image.segments.count == expected.count)
        for (s, e) in zip(image.segments, expected) {
            #expect(s.virtualAddress == e.0)
            #expect(s.fileSize == e.1)
            #expect(s.memorySize == e.2)
            #expect(s.permissions.description.trimmingCharacters(in: .whitespaces) == e.3)
        }
        // The bss segment: memsz > filesz.
        #expect(image.segments.contains { $0.memorySize > $0.fileSize })
        let header = try Toolchain.run(["readelf", "-hW", path]).stdout
        let entryLine = header.split(separator: "\n").first { $0.contains("Entry point address") }!
        #expect(image.entry == UInt32(entryLine.split(separator: "0x").last!, radix: 16)!)
        let symbols = try readelfSymbols(path)
        for (name, (value, size, type)) in symbols {
            let s = try #require(image.symbols.first { $0.name == name }, "missing symbol \(name)")
            #expect(s.value == value)
            #expect(s.size == size)
            let kind: ELFSymbol.Kind = type == "FUNC" ? .function : (type == "OBJECT" ? .object : .notype)
            #expect(s.kind == kind, "\(name)")
        }
        #expect(symbols["_start"] != nil && symbols["msg"]?.2 == "OBJECT")
        // The text segment holds the code bytes.
        let text = try #require(image.segments.first { $0.permissions.contains(.execute) })
        #expect(text.fileBytes.prefix(5) == [0xb8, 0x04, 0x00, 0x00, 0x00])
    }

    @Test func rwxSegmentFromLdN() throws {
        let path = try Toolchain.build(Toolchain.helloSource(), ldFlags: ["-N"])
        let image = try ELFImage(path: path)
        #expect(image.segments.count == 1)
        #expect(image.segments[0].permissions == [.read, .write, .execute])
    }

    @Test func notAnELF() throws {
        let dir = try Toolchain.temporaryDirectory()
        try "#!/bin/sh\necho hi\n".write(toFile: dir + "/script", atomically: true, encoding: .utf8)
        #expect(throws: ELFError.notELF(path: dir + "/script", magic: [0x23, 0x21, 0x2f, 0x62])) {
            try ELFImage(path: dir + "/script")
        }
        let e = ELFError.notELF(path: "x", magic: [0x23, 0x21, 0x2f, 0x62])
        #expect(e.exitStatus == 65)
        #expect(e.description.contains("not an ELF file") && e.description.contains("offset 0"))
    }

    @Test func truncatedELF() throws {
        let path = try Toolchain.build(Toolchain.helloSource())
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for cut in [30, 100, 4200, bytes.count - 10] {
            do {
                _ = try ELFImage(bytes: Array(bytes.prefix(cut)), name: "cut")
                Issue.record("a file cut at \(cut) bytes loaded")
            } catch {
                guard case .truncated = error else { Issue.record("cut at \(cut): \(error)"); continue }
                #expect(error.exitStatus == 65)
                #expect(error.description.contains("truncated"))
            }
        }
    }

    @Test func x86_64IsRejected() throws {
        let path = try Toolchain.build("    .globl _start\n_start:\n    movq $60, %rax\n    syscall\n", bits64: true)
        do { _ = try ELFImage(path: path); Issue.record("loaded an x86-64 ELF") } catch {
            guard case .wrongClass(_, 2, 62) = error else { Issue.record("\(error)"); return }
            #expect(error.exitStatus == 65)
            #expect(error.description.contains("x86-64") && error.description.contains("as --32"))
        }
    }

    @Test func positionIndependentAndRelocatableAreRejected() throws {
        // A static PIE (no PT_INTERP): not ET_EXEC.
        let pie = try Toolchain.build(Toolchain.helloSource(), ldFlags: ["-pie", "--no-dynamic-linker"])
        do { _ = try ELFImage(path: pie); Issue.record("loaded a PIE") } catch {
            #expect(error == .wrongType(path: pie, type: 3))
            #expect(error.description.contains("ET_DYN"))
        }
        // A PIE with a PT_INTERP (ld's default /usr/lib/libc.so.1) is dynamically linked: the
        // message names its interpreter and says to link statically.
        let dynamic = try Toolchain.build(Toolchain.helloSource(), ldFlags: ["-pie"])
        do { _ = try ELFImage(path: dynamic); Issue.record("loaded a dynamically linked PIE") } catch {
            #expect(error == .dynamicallyLinked(path: dynamic, interpreter: "/usr/lib/libc.so.1"))
            #expect(error.exitStatus == 65)
            #expect(error.description.contains("/usr/lib/libc.so.1") && error.description.contains("-static"))
        }
        // The interpreter's bytes are the file's: shown with C escapes (strace's way: \n, and
        // octal \33 for ESC), so a newline or a terminal escape in them stays on the line.
        let odd = try Toolchain.build(Toolchain.helloSource(), name: "odd", ldFlags: ["-pie", "--dynamic-linker=/lib/x\n\u{1B}[31mred"])
        do { _ = try ELFImage(path: odd); Issue.record("loaded a dynamically linked PIE") } catch {
            #expect(error.description.contains("names the dynamic linker \"/lib/x\\n\\33[31mred\")"), "\(error.description)")
            #expect(!error.description.contains("\n") && !error.description.contains("\u{1B}"), "\(error.description)")
        }
        let object = String(pie.dropLast(4)) + "prog.o"
        do { _ = try ELFImage(path: object); Issue.record("loaded an object file") } catch {
            #expect(error == .wrongType(path: object, type: 1))
            #expect(error.description.contains("ET_REL"))
        }
    }

    @Test func entryOutsideEverySegment() throws {
        let path = try Toolchain.build(Toolchain.helloSource(), ldFlags: ["-e", "0x12345678"])
        #expect(throws: ELFError.entryOutsideSegments(path: path, entry: 0x1234_5678)) { try ELFImage(path: path) }
        #expect(ELFError.entryOutsideSegments(path: path, entry: 0x1234_5678).description.contains("0x12345678"))
    }

    @Test func entryInADataSegmentIsRejected() throws {
        let path = try Toolchain.build(Toolchain.helloSource(), ldFlags: ["-e", "msg"])
        #expect(throws: ELFError.self) { try ELFImage(path: path) }
    }

    @Test func missingAndUnreadableFiles() throws {
        #expect(throws: ELFError.fileNotFound(path: "/nonexistent/prog")) { try ELFImage(path: "/nonexistent/prog") }
        #expect(ELFError.fileNotFound(path: "p").exitStatus == 66)
        do { _ = try ELFImage(path: "/tmp"); Issue.record("loaded a directory") } catch {
            guard case .unreadable = error else { Issue.record("\(error)"); return }
            #expect(error.exitStatus == 66)
        }
    }

    @Test func emptyFile() throws {
        #expect(throws: ELFError.notELF(path: "empty", magic: [])) { try ELFImage(bytes: [], name: "empty") }
    }

    @Test func segmentBeyond4GiB() throws {
        // Patch the hello program: make the last PT_LOAD's memsz reach past 2^32.
        let path = try Toolchain.build(Toolchain.helloSource())
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let phoff = Int(bytes[28]) | Int(bytes[29]) << 8
        let phnum = Int(bytes[44])
        let last = phoff + (phnum - 1) * 32
        for (i, b) in [UInt8]([0x00, 0xf0, 0xff, 0xff]).enumerated() { bytes[last + 20 + i] = b }   // p_memsz = 0xfffff000
        do { _ = try ELFImage(bytes: bytes, name: "big"); Issue.record("loaded") } catch {
            guard case .segmentBeyond4GiB = error else { Issue.record("\(error)"); return }
            #expect(error.exitStatus == 65)
        }
    }

    @Test func symbolizerPrefersGlobalsAndFindsOffsets() throws {
        let path = try Toolchain.build(Toolchain.helloSource())
        let image = try ELFImage(path: path)
        let symbolizer = ELFSymbolizer(image)
        #expect(symbolizer.label(at: image.entry) == "_start")
        let s = try #require(symbolizer.symbol(for: image.entry + 5))
        #expect(s.name == "_start" && s.offset == 5)
    }

    @Test func seededGeneratorIsDeterministic() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let x = a.bytes(16)
        #expect(x == b.bytes(16))
        #expect(x != c.bytes(16))
    }
}
