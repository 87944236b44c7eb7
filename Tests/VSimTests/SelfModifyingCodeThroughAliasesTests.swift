import Foundation
import XCTest
import Machine
@testable import VSim

/// Self-modifying code written through one linear alias of a frame and run through another, on
/// the bare machine (`--system`) with a hand-written kernel, on both engines. The SDM (Vol. 3A,
/// 11.6) says a write to a code byte is seen by the next fetch of it, whatever linear address
/// either goes through; the interpreter's decoded-instruction cache and blocks are tagged by
/// linear address, the translator's blocks by frame (Paging.swift: frames holding either are
/// marked, so a write through any alias takes the slow path and reaches both). Every kernel
/// exits with a number worked out by hand from the bytes it runs.
/// The kernel: ``AliasedFrameKernel`` (frame 0x300000 at A = %ebp, B = %esi and C = %edi, holding
/// `movl $1, %eax; ret`).
final class SelfModifyingCodeThroughAliasesTests: XCTestCase {
    /// Calls `r` through `reg` five times (a loop: the interpreter runs it from its block cache
    /// after the first call) and adds `scale` times the last result to %ebx.
    func callFive(_ reg: String, scale: Int) -> String {
        """
            movl $5, %ecx
        10: call *\(reg)
            decl %ecx
            jnz 10b
            imull $\(scale), %eax, %eax
            addl %eax, %ebx
        """
    }

    func run(_ name: String, _ body: String) throws -> [Engine: SystemStopReason] {
        let image = try AliasedFrameKernel.image(body, name: name)
        var results: [Engine: SystemStopReason] = [:]
        for engine in [Engine.interpret, .translate] {
            results[engine] = try AliasedFrameKernel.boot(image, engine: engine).run(maxInstructions: 100_000, deadline: nil)
        }
        return results
    }

    func check(_ name: String, _ body: String, exits expected: Int32) throws {
        let results = try run(name, body)
        for engine in [Engine.interpret, .translate] {
            XCTAssertEqual(results[engine], .exited(status: expected), "\(name) on \(engine)")
        }
    }

    /// Run through B (decoded and cached at B), store through A, run through B again, in two
    /// orders of events: A's TLB entry there before the code is decoded at B (a read of A first:
    /// the entry gets the code bit when the frame is first marked), 100 * 1 + 2 = 102; and A
    /// first touched by the store itself, after a MOV to CR3 emptied the TLB and the code was
    /// decoded at B again (the fill sets the bit), 100 * 1 + 10 * 1 + 3 = 113. Then the other
    /// way, run through A and store through B: 100 * 1 + 7 = 107.
    func testStoreThroughOneAliasIsSeenThroughAnother() throws {
        try check("A filled before the code is decoded at B", """
                movl (%ebp), %eax               # A in the TLB
            \(callFive("%esi", scale: 100))
                movb $2, 1(%ebp)                # through A
            \(callFive("%esi", scale: 1))
                movl %ebx, %eax
            """, exits: 102)
        try check("A filled after the code is decoded at B, after a TLB flush", """
            \(callFive("%esi", scale: 100))
                movl %cr3, %eax                 # empty the TLB
                movl %eax, %cr3
            \(callFive("%esi", scale: 10))
                movb $3, 1(%ebp)                # through A, first touched now
            \(callFive("%esi", scale: 1))
                movl %ebx, %eax
            """, exits: 113)
        try check("the other way: run through A, store through B", """
            \(callFive("%ebp", scale: 100))
                movb $7, 1(%esi)                # through B
            \(callFive("%ebp", scale: 1))
                movl %ebx, %eax
            """, exits: 107)
    }

    /// The code decoded at A and at B, then a store through C (a third alias, never used to
    /// run it) and a store through A: both A's and B's copies must see each. 100 * 1 (B) +
    /// 10 * 3 (B after the store through C) + 3 (A) = 133; then + 4 (B after the store of 4
    /// through A) = 137; then 9 stored through B and run through A and C: + 2 * 9 = 155.
    func testStoreThroughAnyOfSeveralAliases() throws {
        try check("decoded at A and B, stored through C, A, then B", """
                call *%ebp                      # decoded at A
            \(callFive("%esi", scale: 100))
                movb $3, 1(%edi)                # through C
            \(callFive("%esi", scale: 10))
            \(callFive("%ebp", scale: 1))
                movb $4, 1(%ebp)                # through A
            \(callFive("%esi", scale: 1))
                movb $9, 1(%esi)                # through B
            \(callFive("%ebp", scale: 1))
            \(callFive("%edi", scale: 1))
                movl %ebx, %eax
            """, exits: 155)
    }
}
