import Testing
@testable import X86

/// Worked decoding cases with expected values from the Intel SDM (Vol. 2A chapter 2, the
/// instruction pages) and GNU objdump 2.40 text.
@Suite("Decoder: worked cases")
struct DecoderTests {
    let at: UInt32 = 0x0804_9000

    func decode(_ bytes: [UInt8]) throws -> Instruction {
        try decodeResult(bytes, address: at).get()
    }

    func att(_ bytes: [UInt8]) throws -> String { ATTPrinter.format(try decode(bytes), symbols: nil) }
    func intel(_ bytes: [UInt8]) throws -> String { IntelPrinter.format(try decode(bytes), symbols: nil) }

    @Test("E3 is JECXZ, 67 E3 is JCXZ (tests CX)")
    func jcxz() throws {
        let jecxz = try decode([0xE3, 0x05])
        #expect(jecxz.mnemonic == .jcxz && jecxz.addressSize == 4 && jecxz.length == 2)
        #expect(jecxz.operand0 == .relative(at + 7))
        #expect(try att([0xE3, 0x05]) == "jecxz  0x8049007")
        let jcxz = try decode([0x67, 0xE3, 0x05])
        #expect(jcxz.mnemonic == .jcxz && jcxz.addressSize == 2 && jcxz.length == 3 && jcxz.operandSize == 4)
        #expect(try att([0x67, 0xE3, 0x05]) == "jcxz   0x8049008")
        #expect(try intel([0x67, 0xE3, 0x05]) == "jcxz   0x8049008")
    }

    @Test("67 E2 FD is LOOP to itself counting in CX; objdump prints loopw / addr16 loop")
    func loopAddr16() throws {
        let loop = try decode([0x67, 0xE2, 0xFD])
        #expect(loop.mnemonic == .loop && loop.addressSize == 2 && loop.operandSize == 4)
        #expect(loop.operand0 == .relative(at))
        #expect(try att([0x67, 0xE2, 0xFD]) == "loopw  0x8049000")
        #expect(try intel([0x67, 0xE2, 0xFD]) == "addr16 loop 0x8049000")
        // 0x66 truncates the target to 16 bits (Intel SDM Vol. 2A, LOOP); objdump shows data16.
        let loop16 = try decode([0x66, 0xE2, 0xFD])
        #expect(loop16.operand0 == .relative(0x9000) && loop16.addressSize == 4)
        #expect(try att([0x66, 0xE2, 0xFD]) == "data16 loop 0x8049000")
    }

    @Test("objdump spellings of the brief")
    func spellings() throws {
        #expect(try att([0xC7, 0x00, 1, 0, 0, 0]) == "movl   $0x1,(%eax)")
        #expect(try att([0x89, 0xC3]) == "mov    %eax,%ebx")
        #expect(try att([0xF3, 0xAB]) == "rep stos %eax,%es:(%edi)")
        #expect(try att([0xF3, 0xA6]) == "repz cmpsb %es:(%edi),%ds:(%esi)")
        #expect(try att([0x8D, 0x74, 0x26, 0x00]) == "lea    0x0(%esi,%eiz,1),%esi")
        #expect(try intel([0x8D, 0x74, 0x26, 0x00]) == "lea    esi,[esi+eiz*1+0x0]")
        #expect(try intel([0xA1, 0x34, 0x12, 0, 0]) == "mov    eax,ds:0x1234")
        #expect(try intel([0xC7, 0x40, 0x04, 1, 0, 0, 0]) == "mov    DWORD PTR [eax+0x4],0x1")
        #expect(try att([0x66, 0x00, 0xC0]) == "data16 add %al,%al")
        #expect(try att([0x67, 0x01, 0xC0]) == "addr16 add %eax,%eax")
        #expect(try att([0xF0, 0x01, 0x00]) == "lock add %eax,(%eax)")
        #expect(try att([0x64, 0x90]) == "fs nop")
        #expect(try att([0x26, 0x64, 0x8B, 0x00]) == "es mov %fs:(%eax),%eax")
        #expect(try att([0x0F, 0x01, 0xC1]) == "vmcall")
        #expect(try att([0xEA, 1, 2, 3, 4, 5, 6]) == "ljmp   $0x605,$0x4030201")
        #expect(try intel([0xEA, 1, 2, 3, 4, 5, 6]) == "jmp    0x605:0x4030201")
        #expect(try att([0xFF, 0x18]) == "lcall  *(%eax)")
        #expect(try intel([0xFF, 0x28]) == "jmp    FWORD PTR [eax]")
    }

    struct Symbols: Symbolizer {
        func symbol(for address: UInt32) -> (name: String, offset: UInt32)? {
            address >= 0x0804_9000 ? ("_start", address - 0x0804_9000) : nil
        }
    }

    @Test("branch targets: `8049005 <_start+0x5>` with a Symbolizer, `0x8049005` without")
    func branchTargets() throws {
        let jmp = try decode([0xEB, 0x03])
        #expect(ATTPrinter.format(jmp, symbols: Symbols()) == "jmp    8049005 <_start+0x5>")
        #expect(IntelPrinter.format(jmp, symbols: Symbols()) == "jmp    8049005 <_start+0x5>")
        #expect(ATTPrinter.format(jmp, symbols: nil) == "jmp    0x8049005")
        let call = try decode([0xE8, 0xFB, 0xFF, 0xFF, 0xFF])
        #expect(ATTPrinter.format(call, symbols: Symbols()) == "call   8049000 <_start>")
    }

    @Test("0x66 with an 8-bit displacement: the CPU truncates EIP, objdump prints the untruncated sum")
    func data16Rel8() throws {
        // Expected text: objdump 2.40 on the same bytes linked at 0x804fffe (stripped).
        let cases: [(UInt32, [UInt8], UInt32, String)] = [
            (0x0804_FFFE, [0x66, 0xEB, 0xF0], 0xFFF1, "data16 jmp 0x804fff1"),
            (0x0805_0001, [0x66, 0x74, 0xF0], 0xFFF4, "data16 je 0x804fff4"),
            (0x0805_0004, [0x66, 0xE2, 0xF0], 0xFFF7, "data16 loop 0x804fff7"),
            (0x0805_0007, [0xEB, 0xF0], 0x0804_FFF9, "jmp    0x804fff9"),
            (0x0805_0009, [0x66, 0xE9, 0xF0, 0xFF], 0xFFFD, "jmpw   0xfffd"),
            (0x0805_0010, [0x66, 0xE8, 0xFF, 0x7F], 0x8013, "callw  0x8013"),
        ]
        for (address, bytes, target, text) in cases {
            let insn = try decodeResult(bytes, address: address).get()
            #expect(insn.operand0 == .relative(target))
            #expect(ATTPrinter.format(insn, symbols: nil) == text)
        }
    }

    @Test("operand model: ModRM, SIB, 16-bit forms, immediates, string operands")
    func operandModel() throws {
        let mov = try decode([0x8B, 0x44, 0x24, 0x04])  // mov eax,[esp+4]
        #expect(mov.mnemonic == .mov && mov.operandCount == 2 && mov.operand0 == .register(.eax))
        guard case .memory(let m) = mov.operand1 else { Issue.record("not memory"); return }
        #expect(m.base == 4 && m.index == nil && m.displacement == 4 && m.displacementSize == 1)
        #expect(m.defaultSegment == .ss && m.sib == 0x24)

        let sib = try decode([0x8B, 0x04, 0x8D, 0xFC, 0xFF, 0xFF, 0xFF])  // [ecx*4-4]
        guard case .memory(let s) = sib.operand1 else { Issue.record("not memory"); return }
        #expect(s.base == nil && s.index == 1 && s.scale == 4 && s.displacement == -4 && s.displacementSize == 4)

        let bxsi = try decode([0x67, 0x8B, 0x40, 0xFF])  // [bx+si-1]
        guard case .memory(let b) = bxsi.operand1 else { Issue.record("not memory"); return }
        #expect(b.base == 3 && b.index == 6 && b.displacement == -1 && b.addressSize == 2 && bxsi.length == 4)
        let bp = try decode([0x67, 0x8B, 0x46, 0x02])  // [bp+2]
        guard case .memory(let p) = bp.operand1 else { Issue.record("not memory"); return }
        #expect(p.base == 5 && p.index == nil && p.defaultSegment == .ss)
        let abs16 = try decode([0x67, 0x8B, 0x06, 0x34, 0x12])  // [0x1234]
        guard case .memory(let a) = abs16.operand1 else { Issue.record("not memory"); return }
        #expect(a.base == nil && a.index == nil && a.displacement == 0x1234 && a.displacementSize == 2)

        #expect(try decode([0x83, 0xC0, 0xFF]).operand1 == .immediate(0xFFFF_FFFF, size: 1))
        #expect(try decode([0x66, 0x83, 0xC0, 0xFF]).operand1 == .immediate(0xFFFF, size: 1))
        #expect(try decode([0x6A, 0x80]).operand0 == .immediate(0xFFFF_FF80, size: 1))
        #expect(try decode([0x66, 0xE9, 0xFD, 0xFF]).operand0 == .relative(0x9001))

        let movs = try decode([0xF3, 0x64, 0xA5])
        #expect(movs.mnemonic == .movs && movs.operandSize == 4 && movs.prefixes.contains(.rep))
        #expect(movs.segmentOverride == .fs && movs.prefixBytes == [0xF3, 0x64])
        guard case .memory(let dst) = movs.operand0, case .memory(let src) = movs.operand1 else {
            Issue.record("string operands missing"); return
        }
        #expect(dst.base == 7 && dst.segment == .es && src.base == 6 && src.segment == .fs)

        let shl1 = try decode([0xD1, 0xE0])
        #expect(shl1.mnemonic == .shl && shl1.operand1 == .immediate(1, size: 1) && shl1.opcode == 0xD1)
        let sal = try decode([0xD0, 0xF0])
        #expect(sal.mnemonic == .sal && sal.operandSize == 1)
        #expect(try decode([0x0F, 0x22, 0xD8]).operand0 == .register(Register(.control, 3)))
        #expect(try decode([0x0F, 0x01, 0xC1]).opcode == 0x0F01C1)
        #expect(try decode([0x0F, 0xB6, 0xC1]).operand1 == .register(Register(.gpr8, 1)))
        let lastSegment = try decode([0x26, 0x2E, 0x64, 0x8B, 0x00])
        #expect(lastSegment.segmentOverride == .fs)
        // F2 then F3: the last one is in effect.
        let reps = try decode([0xF2, 0xF3, 0xA6])
        #expect(reps.prefixes.contains(.rep) && !reps.prefixes.contains(.repne))
    }

    @Test("encodings outside the subset name their bytes and length")
    func outsideSubset() throws {
        let cases: [([UInt8], Int?, String?)] = [
            ([0x0F, 0x58, 0xC1], 3, "addps"),
            ([0x0F, 0xAE, 0x00], 3, "fxsave/fence group"),
            ([0x0F, 0x05], 2, "syscall"),
            ([0x0F, 0x34], 2, "sysenter"),
            ([0x0F, 0xAE, 0x80, 1, 2, 3, 4], 7, "fxsave/fence group"),
            ([0x66, 0x0F, 0x58, 0x04, 0x24], 5, "addpd"),
            ([0x0F, 0x38, 0x00, 0xC1], 4, nil),
            ([0x0F, 0x3A, 0x0F, 0xC1, 0x08], 5, nil),
            ([0x0F, 0x70, 0xC1, 0x1B], 4, nil),
            ([0x0F, 0x77], 2, "emms"),
            ([0xC4, 0xE2, 0x79, 0x18, 0x00], nil, "vex"),
            ([0x0F, 0x01, 0xD0], 3, "xgetbv"),
            ([0xF3, 0x0F, 0xB8, 0xC1], 4, "popcnt"),
        ]
        for (bytes, length, name) in cases {
            switch decodeResult(bytes + [0x90, 0x90], address: at) {
            case .success(let insn):
                Issue.record("\(hexString(bytes)) decoded as \(ATTPrinter.format(insn, symbols: nil))")
            case .failure(let error):
                guard case .outsideSubset(let address, let named, let len, let n) = error else {
                    Issue.record("\(hexString(bytes)): \(error)"); continue
                }
                #expect(address == at)
                #expect(len == length, "\(hexString(bytes))")
                if let length { #expect(named == bytes.prefix(length).map { $0 }) }
                if let name { #expect(n == name, "\(hexString(bytes))") }
                #expect(error.description.hasPrefix("outside the vsim subset: "))
            }
        }
        let addps = decodeResult([0x0F, 0x58, 0xC1], address: at)
        if case .failure(let e) = addps {
            #expect(e.description == "outside the vsim subset: 0f 58 c1 (addps) at 0x08049000")
        } else {
            Issue.record("addps decoded")
        }
    }

    @Test("encodings that raise #UD are .invalid")
    func invalid() throws {
        let cases: [[UInt8]] = [
            [0x8D, 0xC0],                    // LEA with a register operand
            [0x0F, 0x01, 0xD2],              // 0F 01 /2 with mod=11 (no instruction there)
            [0x0F, 0x01, 0xF8],              // SWAPGS: 64-bit only
            [0xF0, 0x01, 0xC0],              // LOCK with a register destination
            [0xF0, 0x8B, 0x00],              // LOCK MOV
            [0xF0, 0x38, 0x00],              // LOCK CMP
            [0xF0, 0x0F, 0xA3, 0x00],        // LOCK BT
            [0xF0, 0x90],                    // LOCK NOP
            [0xFF, 0xF8],                    // FF /7
            [0xFE, 0x10],                    // FE /2
            [0xC6, 0x48, 0x00, 0x00],        // C6 /1
            [0x8F, 0x08],                    // 8F /1
            [0x8E, 0xC8],                    // MOV CS, r/m
            [0x8C, 0xF0],                    // MOV from segment register 6
            [0x0F, 0x20, 0xC8],              // MOV from CR1
            [0x0F, 0x22, 0xE8],              // MOV to CR5
            [0xFF, 0xD8],                    // far CALL with a register operand
            [0xFF, 0xE8],                    // far JMP with a register operand
            [0x0F, 0x0A],                    // undefined two-byte opcode
            [0x0F, 0xBA, 0x00, 0x00],        // 0F BA /0
            [0x0F, 0x00, 0x30],              // 0F 00 /6
        ]
        for bytes in cases {
            let result = decodeResult(bytes + [0, 0, 0, 0], address: at)
            guard case .failure(let error) = result, case .invalid(let address, _, let reason) = error else {
                Issue.record("\(hexString(bytes)): expected invalid, got \(result)"); continue
            }
            #expect(address == at && !reason.isEmpty)
        }
        // Exactly 15 bytes is fine.
        let longest = try decode([UInt8](repeating: 0x66, count: 14) + [0x90])
        #expect(longest.length == 15 && longest.mnemonic == .nop)
        let locked = try decode([0xF0, 0x0F, 0xC1, 0x08])
        #expect(locked.mnemonic == .xadd && locked.prefixes.contains(.lock))
    }

    @Test("an instruction that does not end within 15 bytes is .tooLong (#GP(0), SDM Vol. 2A 2.3.11), not .invalid")
    func tooLong() throws {
        for prefix: UInt8 in [0x66, 0x26, 0xF3] {
            let bytes = [UInt8](repeating: prefix, count: 15) + [0x90]
            let result = decodeResult(bytes, address: at)
            guard case .failure(.tooLong(let address, let seen)) = result else {
                Issue.record("\(hexString(bytes)): expected tooLong, got \(result)"); continue
            }
            #expect(address == at && seen == Array(bytes.prefix(15)))
        }
        // 11 prefixes and a 5-byte MOV: 16 bytes.
        let mov = [UInt8](repeating: 0x3E, count: 11) + [0xB8, 1, 2, 3, 4]
        guard case .failure(.tooLong) = decodeResult(mov, address: at) else {
            Issue.record("16-byte mov decoded"); return
        }
    }

    @Test("PAUSE (F3 90) is a NOP printed as objdump prints it, whatever the other prefixes")
    func pause() throws {
        // Expected text: objdump 2.40 (`objdump -D -b binary -m i386`, and `-M intel`) on these bytes.
        let cases: [([UInt8], String, String)] = [
            ([0xF3, 0x90], "pause", "pause"),
            ([0x66, 0xF3, 0x90], "data16 pause", "data16 pause"),
            ([0xF3, 0x66, 0x90], "data16 pause", "data16 pause"),
            ([0xF2, 0xF3, 0x90], "repnz pause", "repnz pause"),
            ([0xF3, 0xF3, 0x90], "repz pause", "repz pause"),
            ([0xF3, 0xF2, 0x90], "repz repnz nop", "repz repnz nop"),
            ([0x66, 0xF2, 0x90], "repnz xchg %ax,%ax", "repnz xchg ax,ax"),
            ([0x67, 0xF3, 0x90], "addr16 pause", "addr16 pause"),
            ([0x2E, 0xF3, 0x90], "cs pause", "cs pause"),
            ([0xF2, 0x90], "repnz nop", "repnz nop"),
        ]
        for (bytes, attText, intelText) in cases {
            let insn = try decode(bytes)
            #expect(insn.mnemonic == .nop && Int(insn.length) == bytes.count, "\(hexString(bytes))")
            #expect(ATTPrinter.format(insn, symbols: nil) == attText, "\(hexString(bytes))")
            #expect(IntelPrinter.format(insn, symbols: nil) == intelText, "\(hexString(bytes))")
        }
    }

    /// One symbol, `_start` at 0x8049000, looked up as objdump does (nearest at or below, else
    /// the lowest): offsets are unsigned distances, `-` only below the symbol.
    struct OneSymbol: Symbolizer {
        func symbol(for address: UInt32) -> (name: String, offset: UInt32)? { ("_start", address &- 0x0804_9000) }
    }

    @Test("branch targets 2 GiB or more above a symbol print +0x…, targets below it -0x…")
    func symbolOffsets() throws {
        // call c0000000 at 0x8049000: rel32 = 0xc0000000 - 0x8049005 = 0xb7fb6ffb.
        let far = try decode([0xE8, 0xFB, 0x6F, 0xFB, 0xB7])
        #expect(ATTPrinter.format(far, symbols: OneSymbol()) == "call   c0000000 <_start+0xb7fb7000>")
        // jmp 1000 at 0x8049000: rel32 = 0x1000 - 0x8049005 = 0xf7fb7ffb.
        let low = try decode([0xE9, 0xFB, 0x7F, 0xFB, 0xF7])
        #expect(ATTPrinter.format(low, symbols: OneSymbol()) == "jmp    1000 <_start-0x8048000>")
        #expect(IntelPrinter.format(low, symbols: OneSymbol()) == "jmp    1000 <_start-0x8048000>")
        // jmp 0xffffffff: the largest distance above.
        let top = try decode([0xE9, 0xFA, 0x6F, 0xFB, 0xF7])
        #expect(ATTPrinter.format(top, symbols: OneSymbol()) == "jmp    ffffffff <_start+0xf7fb6fff>")
    }

    @Test("truncated input")
    func truncated() throws {
        for bytes: [UInt8] in [[], [0x66], [0xE8, 0x00, 0x00], [0x8B], [0x8B, 0x04], [0x8B, 0x80, 1, 2],
                               [0x0F], [0x0F, 0x01], [0x67, 0x8B, 0x06, 0x34], [0xEA, 1, 2, 3, 4, 5]] {
            let result = decodeResult(bytes, address: at)
            guard case .failure(.truncated(let address, let seen)) = result else {
                Issue.record("\(hexString(bytes)): expected truncated, got \(result)"); continue
            }
            #expect(address == at && seen == bytes)
        }
    }

    @Test("the UnsafeRawBufferPointer and [UInt8] entry points agree; at most 15 bytes are read")
    func entryPoints() throws {
        let bytes: [UInt8] = [0x66, 0x67, 0x8B, 0x87, 0x34, 0x12] + [UInt8](repeating: 0xCC, count: 100)
        let a = try decode(bytes)
        let b = try bytes.withUnsafeBytes { buffer in
            try decodeResultRaw(buffer).get()
        }
        #expect(a == b)
        #expect(a.length == 6 && a.nextAddress == at + 6)
    }

    func decodeResultRaw(_ buffer: UnsafeRawBufferPointer) -> Result<Instruction, DecodeError> {
        do throws(DecodeError) {
            return .success(try Decoder.decode(buffer, address: at))
        } catch {
            return .failure(error)
        }
    }
}
