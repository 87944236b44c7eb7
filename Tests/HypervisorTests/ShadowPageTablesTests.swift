import Foundation
import XCTest
import Machine
@testable import Hypervisor

/// The shadow page tables' bookkeeping, step by step against what a shadow-paging VMM does
/// (KVM's mmu.rst: shadow entries built on demand in the page-fault path, kept per guest table
/// across CR3 loads, dropped by INVLPG and by a changed guest entry).
final class ShadowPageTablesTests: XCTestCase {
    /// A first touch of each page per address space is one hidden fault; touching it again is
    /// none; INVLPG makes the next touch fault again; a switch back to a cached address space
    /// keeps its entries; a new one starts empty.
    func testFillsPerAddressSpace() {
        let s = ShadowPageTables()
        XCTAssertFalse(s.touch(0x0804_9000), "no CR3 loaded yet: no shadow, no fault")
        s.load(cr3: 0x0010_4000)
        XCTAssertTrue(s.touch(0x0804_9123))
        XCTAssertFalse(s.touch(0x0804_9FFF), "same page")
        XCTAssertTrue(s.touch(0x0804_A000))
        s.invalidate(0x0804_9000)
        XCTAssertTrue(s.touch(0x0804_9000), "INVLPG dropped it")
        s.load(cr3: 0x0016_7000)
        XCTAssertTrue(s.touch(0x0804_9000), "a new address space")
        s.load(cr3: 0x0010_4000)
        XCTAssertFalse(s.touch(0x0804_A000), "cached across the switch and back")
        XCTAssertEqual(s.hiddenFaults, 4)
        XCTAssertEqual(s.tablesBuilt, 2)
    }

    /// Four address spaces stay cached (the current one + KVM_MMU_NUM_PREV_ROOTS = 3); loading a
    /// fifth drops the least recently loaded, whose pages then fault again.
    func testCacheKeepsFourLeastRecentlyLoadedGoes() {
        let s = ShadowPageTables()
        for d in UInt32(1)...4 { s.load(cr3: d << 12); XCTAssertTrue(s.touch(0x1000)) }
        XCTAssertEqual(s.cachedDirectories, [1, 2, 3])
        s.load(cr3: 1 << 12)                      // 1 is now the most recent: 2 is the oldest
        s.load(cr3: 5 << 12)
        XCTAssertEqual(s.tablesDropped, 1)
        XCTAssertEqual(s.cachedDirectories, [1, 3, 4])
        s.load(cr3: 2 << 12)
        XCTAssertTrue(s.touch(0x1000), "2 was dropped: rebuilt")
        s.load(cr3: 1 << 12)
        XCTAssertFalse(s.touch(0x1000), "1 stayed")
    }

    /// A write to a cached directory that is not current drops that shadow (the guest freed or
    /// reused the frame); the current one is never dropped that way.
    func testUnshadow() {
        let s = ShadowPageTables()
        s.load(cr3: 0x10 << 12)
        _ = s.touch(0x2000)
        s.load(cr3: 0x20 << 12)
        XCTAssertTrue(s.isCachedDirectory(0x10))
        XCTAssertFalse(s.isCachedDirectory(0x20), "the current one")
        s.unshadow(0x10)
        XCTAssertFalse(s.isCachedDirectory(0x10))
        s.load(cr3: 0x10 << 12)
        XCTAssertTrue(s.touch(0x2000), "rebuilt from nothing")
    }
}
