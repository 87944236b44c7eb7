import Testing
@testable import Machine

@Suite("guest memory")
struct GuestMemoryTests {
    @Test func mapUnmapAndMappedBytes() throws {
        let m = try GuestMemory()
        #expect(m.mappedBytes == 0)
        try m.map(address: 0x1000_0010, size: 0x1000, permissions: .readWrite)   // spans 2 pages
        #expect(m.mappedBytes == 8192)
        #expect(m.permissions(at: 0x1000_0000) == .readWrite)
        #expect(m.permissions(at: 0x1000_2000) == nil)
        try m.write([1, 2, 3], at: 0x1000_0FFF)
        #expect(try m.read(at: 0x1000_0FFF, count: 3) == [1, 2, 3])
        try m.protect(address: 0x1000_0000, size: 0x2000, permissions: .read)
        #expect(throws: CPUException.self) { try m.write([9], at: 0x1000_0000) }
        m.unmap(address: 0x1000_1000, size: 0x1000)
        #expect(m.mappedBytes == 4096)
        #expect(throws: CPUException.self) { _ = try m.read(at: 0x1000_1000, count: 1) }
        // Re-mapped pages are zero-filled.
        try m.map(address: 0x1000_1000, size: 1, permissions: .readWrite)
        #expect(try m.read(at: 0x1000_1000, count: 1) == [0])
    }

    /// The loader ignores W but needs mapped pages.
    @Test func loaderWritesReadOnlyPages() throws {
        let m = try GuestMemory()
        try m.map(address: 0x0804_8000, size: 4096, permissions: .readExecute)
        try m.load([0xC3], at: 0x0804_8000)
        #expect(try m.read(at: 0x0804_8000, count: 1) == [0xC3])
        #expect(throws: GuestMemoryError.self) { try m.load([1], at: 0x0900_0000) }
    }

    /// vsim models i386 without NX: a readable page without X can be executed. With
    /// `executeDisable` the fetch raises #PF with the I/D bit (16) set in the error code.
    @Test func executePermission() throws {
        let m = try TestMachine([0x90], codePermissions: .read)
        #expect(m.run() == .exited(status: 0))
        let n = try TestMachine([0x90], codePermissions: .read)
        n.memory.executeDisable = true
        let e = n.runExpectingException()
        #expect(e?.vector == .pf && e?.errorCode == 0x15 && e?.faultAddress == TestMachine.code)
    }

    /// Supervisor pages are not accessible at CPL 3 (P=1, U=1 in the error code).
    @Test func supervisorPage() throws {
        let m = try TestMachine([0xA1, 0x00, 0x00, 0x05, 0x08])   // mov 0x08050000,%eax
        try m.memory.protect(address: 0x0805_0000, size: 4096, permissions: [.read, .write, .supervisor])
        let e = m.runExpectingException()
        #expect(e?.vector == .pf && e?.errorCode == 5)
    }
}
