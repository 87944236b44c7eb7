/// Generates GNU as source that covers every form of the vsim subset (isa-subset.md): mnemonic
/// lines for `as --32` plus `.byte` lines for encodings `as` never emits, with random prefixes,
/// every ModRM/SIB combination and edge displacements and immediates. Deterministic per seed.
struct ObjdumpCorpus {
    var rng: SeededGenerator
    var lines: [String] = []
    var count = 0
    var labelCount = 0

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    // MARK: Encoding specifications

    /// One form: opcode bytes, then operand fields. Tokens: hex bytes; `/r` any ModRM; `/n` ModRM
    /// with reg field n (`/nm` memory only, `/nr` register only); `ib iw id iz` immediates
    /// (`iz` 2 or 4 bytes by 0x66); `rel8 relz` displacements; `moffs`; `ptr` (far pointer).
    /// A trailing `L` marks forms that accept LOCK with a memory destination.
    static let specs: [String] = {
        var s: [String] = []
        for row in 0..<8 {
            let b = row * 8
            for (i, tail) in ["/r L", "/r L", "/r", "/r", "ib", "iz"].enumerated() {
                let lockable = row != 7 && i < 2
                s.append(String(format: "%02X ", b + i) + (lockable ? tail : tail.replacingOccurrences(of: " L", with: "")))
            }
        }
        s += ["06", "07", "0E", "16", "17", "1E", "1F", "27", "2F", "37", "3F"]
        for b in 0x40...0x5F { s.append(String(format: "%02X", b)) }
        s += ["60", "61", "68 iz", "69 /r iz", "6A ib", "6B /r ib", "6C", "6D", "6E", "6F"]
        for b in 0x70...0x7F { s.append(String(format: "%02X rel8", b)) }
        for n in 0..<8 {
            let l = n == 7 ? "" : " L"
            s += ["80 /\(n) ib\(l)", "81 /\(n) iz\(l)", "82 /\(n) ib\(l)", "83 /\(n) ib\(l)"]
        }
        s += ["84 /r", "85 /r", "86 /r L", "87 /r L", "88 /r", "89 /r", "8A /r", "8B /r", "8D /r m", "8F /0"]
        for n in 0...5 { s.append("8C /\(n)") }
        for n in [0, 2, 3, 4, 5] { s.append("8E /\(n)") }
        for b in 0x90...0x99 { s.append(String(format: "%02X", b)) }
        s += ["9A ptr", "9C", "9D", "9E", "9F", "A0 moffs", "A1 moffs", "A2 moffs", "A3 moffs",
              "A4", "A5", "A6", "A7", "A8 ib", "A9 iz", "AA", "AB", "AC", "AD", "AE", "AF"]
        for b in 0xB0...0xB7 { s.append(String(format: "%02X ib", b)) }
        for b in 0xB8...0xBF { s.append(String(format: "%02X iz", b)) }
        for n in 0..<8 {
            s += ["C0 /\(n) ib", "C1 /\(n) ib", "D0 /\(n)", "D1 /\(n)", "D2 /\(n)", "D3 /\(n)"]
        }
        s += ["C2 iw", "C3", "C6 /0 ib", "C7 /0 iz", "C8 iw ib", "C9", "CA iw", "CB", "CC", "CD ib",
              "CE", "CF", "D4 ib", "D5 ib", "D7",
              "E0 rel8", "E1 rel8", "E2 rel8", "E3 rel8", "E4 ib", "E5 ib", "E6 ib", "E7 ib",
              "E8 relz", "E9 relz", "EA ptr", "EB rel8", "EC", "ED", "EE", "EF", "F4", "F5",
              "F6 /0 ib", "F6 /1 ib", "F6 /2 L", "F6 /3 L", "F6 /4", "F6 /5", "F6 /6", "F6 /7",
              "F7 /0 iz", "F7 /1 iz", "F7 /2 L", "F7 /3 L", "F7 /4", "F7 /5", "F7 /6", "F7 /7",
              "F8", "F9", "FA", "FB", "FC", "FD", "FE /0 L", "FE /1 L", "FF /0 L", "FF /1 L",
              "FF /2", "FF /3m", "FF /4", "FF /5m", "FF /6"]
        // Two-byte map.
        for n in 0...5 { s.append("0F 00 /\(n)") }
        for n in [0, 1, 2, 3, 4, 6, 7] { s.append("0F 01 /\(n)m") }
        s += ["0F 01 C1", "0F 01 /4r", "0F 01 /6r", "0F 02 /r", "0F 03 /r", "0F 06", "0F 08",
              "0F 09", "0F 0B", "0F 1F /0", "0F 21 /r", "0F 23 /r", "0F 30", "0F 31", "0F 32"]
        for n in [0, 2, 3, 4] { s += ["0F 20 /\(n)", "0F 22 /\(n)"] }
        for b in 0x40...0x4F { s.append(String(format: "0F %02X /r", b)) }
        for b in 0x80...0x8F { s.append(String(format: "0F %02X relz", b)) }
        for b in 0x90...0x9F { s.append(String(format: "0F %02X /r", b)) }
        s += ["0F A0", "0F A1", "0F A2", "0F A3 /r", "0F A4 /r ib", "0F A5 /r", "0F A8", "0F A9",
              "0F AB /r L", "0F AC /r ib", "0F AD /r", "0F AF /r", "0F B0 /r L", "0F B1 /r L",
              "0F B3 /r L", "0F B6 /r", "0F B7 /r", "0F BA /4 ib", "0F BA /5 ib L", "0F BA /6 ib L",
              "0F BA /7 ib L", "0F BB /r L", "0F BC /r", "0F BD /r", "0F BE /r", "0F BF /r",
              "0F C0 /r L", "0F C1 /r L"]
        for b in 0xC8...0xCF { s.append(String(format: "0F %02X", b)) }
        // What compilers and libcs emit: the hint-space NOPs (0F 18-1F /r; 0F 1A/1B are MPX,
        // 0F 1C /0 with memory CLDEMOTE: outside the subset), ENDBR32/64, RDSSPD, PREFETCHh,
        // TZCNT/LZCNT, CMPXCHG8B.
        for b in [0x18, 0x19, 0x1C, 0x1D, 0x1E, 0x1F] { s.append(String(format: "0F %02X /r", b)) }
        s += ["F3 0F 1E /r", "F3 0F 1E FB", "F3 0F 1E FA", "F3 0F 1E /1r", "F3 0F BC /r", "F3 0F BD /r", "0F C7 /1m L"]
        // The x87 escapes: every reg field with memory operands (register forms: all of them in
        // emitRawSpecials), alone and after FWAIT.
        for b in 0xD8...0xDF {
            for n in 0..<8 { s += [String(format: "%02X /\(n)m", b), String(format: "9B %02X /\(n)m", b)] }
        }
        s += ["9B", "9B DF E0", "9B DB E2", "9B DB E3"]
        return s
    }()

    // MARK: Random pieces

    mutating func random(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { random(100) < percent }

    mutating func edgeValue(bytes: Int) -> UInt32 {
        let edges: [UInt32] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF,
                               0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FF80, 0x1234_5678]
        let mask: UInt32 = bytes == 4 ? 0xFFFF_FFFF : (1 << (8 * UInt32(bytes))) - 1
        if chance(40) { return edges[random(edges.count)] & mask }
        return UInt32(truncatingIfNeeded: rng.next()) & mask
    }

    func le(_ value: UInt32, _ bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
    }

    /// ModRM (+SIB, +displacement) bytes for the given reg field and mod constraint.
    mutating func modrmBytes(reg: Int, memoryOnly: Bool, registerOnly: Bool, addr16: Bool) -> [UInt8] {
        var mod = random(4)
        if memoryOnly { mod = random(3) }
        if registerOnly { mod = 3 }
        let rm = random(8)
        var out: [UInt8] = [UInt8(mod << 6 | reg << 3 | rm)]
        if mod == 3 { return out }
        if addr16 {
            if mod == 1 { out += le(edgeValue(bytes: 1), 1) }
            if mod == 2 || (mod == 0 && rm == 6) { out += le(edgeValue(bytes: 2), 2) }
            return out
        }
        var base = rm
        if rm == 4 {
            let sib = UInt8(random(256))
            out.append(sib)
            base = Int(sib & 7)
        }
        if mod == 1 { out += le(edgeValue(bytes: 1), 1) }
        if mod == 2 || (mod == 0 && base == 5) { out += le(edgeValue(bytes: 4), 4) }
        return out
    }

    /// Random prefixes: none, one, or a few (in any order, repeats allowed).
    mutating func prefixes(lockable: Bool, memory: Bool, allowRep: Bool) -> [UInt8] {
        let pool: [UInt8] = [0x66, 0x67, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65] + (allowRep ? [0xF2, 0xF3] : [])
        var out: [UInt8] = []
        let r = random(100)
        if r < 45 {
        } else if r < 85 {
            out.append(pool[random(pool.count)])
        } else {
            for _ in 0..<(2 + random(3)) { out.append(pool[random(pool.count)]) }
        }
        if lockable && memory && chance(30) { out.insert(0xF0, at: random(out.count + 1)) }
        return out
    }

    // MARK: Emitting

    mutating func emitBytes(_ bytes: [UInt8]) {
        lines.append(".byte " + bytes.map { String(format: "0x%02x", $0) }.joined(separator: ","))
        count += 1
        if count % 97 == 0 {
            labelCount += 1
            lines.append("sym\(labelCount):")
        }
    }

    /// One random instance of `spec`.
    mutating func instance(of spec: String) -> [UInt8] {
        let tokens = spec.split(separator: " ").map(String.init)
        var opcode: [UInt8] = []
        var fields: [String] = []
        for t in tokens {
            if t.count == 2, let b = UInt8(t, radix: 16) { opcode.append(b) } else { fields.append(t) }
        }
        let lockable = fields.contains("L")
        let modrmField = fields.first { $0.hasPrefix("/") }
        let memoryOnly = fields.contains("m") || (modrmField?.hasSuffix("m") ?? false)
        let registerOnly = modrmField?.hasSuffix("r") ?? false && modrmField != "/r"
        let isString = opcode.count == 1 && ((0xA4...0xA7).contains(opcode[0]) || (0xAA...0xAF).contains(opcode[0])
                                             || (0x6C...0x6F).contains(opcode[0]))
        // F3 90 is PAUSE and F3 0F BC/BD are TZCNT/LZCNT: outside the subset.
        let repSelects = opcode == [0x90] || opcode == [0x0F, 0xBC] || opcode == [0x0F, 0xBD]
        let allowRep = isString || (!repSelects && chance(15))
        let wantsMemory = !registerOnly && (memoryOnly || chance(70))
        var pre = prefixes(lockable: lockable, memory: wantsMemory && modrmField != nil, allowRep: allowRep)
        if opcode.first == 0x0F && pre.contains(where: { $0 == 0xF2 || $0 == 0xF3 }) && !chance(50) {
            pre.removeAll { $0 == 0xF2 || $0 == 0xF3 }
        }
        if opcode == [0x0F, 0x09] {
            // objdump 2.40 shows 66 0F 09 as (bad) and F3 0F 09 as WBNOINVD; vsim decodes both
            // as WBINVD, as pre-WBNOINVD CPUs execute them.
            pre.removeAll { $0 == 0x66 || $0 == 0xF3 }
        }
        let data16 = pre.contains(0x66), addr16 = pre.contains(0x67)
        var out = pre + opcode
        for f in fields {
            switch f {
            case "L", "m":
                break
            case "ib": out += le(edgeValue(bytes: 1), 1)
            case "iw": out += le(edgeValue(bytes: 2), 2)
            case "id": out += le(edgeValue(bytes: 4), 4)
            case "iz": out += le(edgeValue(bytes: data16 ? 2 : 4), data16 ? 2 : 4)
            case "rel8": out += le(UInt32(random(40)) &- 20, 1)
            case "relz": out += le(UInt32(random(400)) &- 200, data16 ? 2 : 4)
            case "moffs": out += le(edgeValue(bytes: addr16 ? 2 : 4), addr16 ? 2 : 4)
            case "ptr": out += le(edgeValue(bytes: data16 ? 2 : 4), data16 ? 2 : 4) + le(edgeValue(bytes: 2), 2)
            default:
                // ModRM
                let regText = f.dropFirst().filter { $0.isNumber }
                let reg = regText.isEmpty ? random(8) : Int(regText)!
                var memory = wantsMemory
                if memoryOnly { memory = true }
                if registerOnly { memory = false }
                let locked = out.contains(0xF0)
                if opcode.count == 2 && opcode[0] == 0x0F && (0x20...0x23).contains(opcode[1]) {
                    // MOV CR/DR: the mod field is ignored, no SIB or displacement follows.
                    out.append(UInt8(random(4) << 6 | reg << 3 | random(8)))
                    continue
                }
                out += modrmBytes(reg: reg, memoryOnly: memory || locked, registerOnly: !memory && !locked, addr16: addr16)
            }
        }
        return out
    }

    /// Every ModRM byte with 32- and 16-bit addressing, and every SIB byte with each mod.
    mutating func emitAddressingForms() {
        for modrm in 0..<256 {
            for prefix in [[], [0x67] as [UInt8]] {
                var bytes = prefix + [0x8B, UInt8(modrm)]
                let mod = modrm >> 6, rm = modrm & 7
                if prefix.isEmpty {
                    if rm == 4 && mod != 3 { continue }  // SIB forms below
                    if mod == 1 { bytes += le(edgeValue(bytes: 1), 1) }
                    if mod == 2 || (mod == 0 && rm == 5) { bytes += le(edgeValue(bytes: 4), 4) }
                } else {
                    if mod == 1 { bytes += le(edgeValue(bytes: 1), 1) }
                    if mod == 2 || (mod == 0 && rm == 6) { bytes += le(edgeValue(bytes: 2), 2) }
                }
                emitBytes(bytes)
            }
        }
        for mod in 0..<3 {
            for sib in 0..<256 {
                var bytes: [UInt8] = [0x89, UInt8(mod << 6 | random(8) << 3 | 4), UInt8(sib)]
                if mod == 1 { bytes += le(edgeValue(bytes: 1), 1) }
                if mod == 2 || (mod == 0 && sib & 7 == 5) { bytes += le(edgeValue(bytes: 4), 4) }
                emitBytes(bytes)
            }
        }
        // Displacement edges with a base, an index and both.
        for disp8: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0x81, 0xFF] {
            emitBytes([0x8B, 0x40, disp8])
            emitBytes([0x8B, 0x44, 0x88, disp8])
            emitBytes([0x67, 0x8B, 0x42, disp8])
        }
        for disp32: UInt32 in [0, 1, 0x7F, 0x80, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF] {
            emitBytes([0x8B, 0x80] + le(disp32, 4))
            emitBytes([0x8B, 0x05] + le(disp32, 4))
            emitBytes([0x8B, 0x04, 0x8D] + le(disp32, 4))
            emitBytes([0xA1] + le(disp32, 4))
        }
    }

    /// Encodings `as` never emits, written as `.byte`.
    mutating func emitRawSpecials() {
        let raw: [[UInt8]] = [
            [0x0F, 0x1F, 0x00], [0x0F, 0x1F, 0x40, 0x00], [0x0F, 0x1F, 0x44, 0x00, 0x00],
            [0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00], [0x0F, 0x1F, 0x80, 0, 0, 0, 0],
            [0x0F, 0x1F, 0x84, 0, 0, 0, 0, 0], [0x66, 0x0F, 0x1F, 0x84, 0, 0, 0, 0, 0],
            [0x82, 0xC0, 0x01], [0x82, 0x38, 0x7F], [0xD0, 0xF0], [0xD1, 0x30], [0xD3, 0xF1], [0xC1, 0xF0, 0x05],
            [0xF6, 0xC8, 0x01], [0xF7, 0x08, 1, 2, 3, 4], [0x8C, 0xD8], [0x8C, 0x18], [0x66, 0x8C, 0xD8],
            [0x8E, 0xD8], [0x8E, 0x18], [0x66, 0x8E, 0xD8], [0x67, 0xA1, 0x34, 0x12], [0x67, 0xA0, 0xFF, 0xFF],
            [0x67, 0xE3, 0x00], [0xE3, 0x00], [0x67, 0xE2, 0xFD], [0x66, 0xE2, 0xFD], [0x67, 0xE0, 0x00],
            [0x67, 0xE1, 0x00], [0x66, 0x67, 0xE3, 0x00], [0x8D, 0x74, 0x26, 0x00], [0x8D, 0xB4, 0x26, 0, 0, 0, 0],
            [0x8D, 0x76, 0x00], [0x66, 0x90], [0x3E, 0x74, 0x00], [0x2E, 0x75, 0x00], [0x3E, 0xFF, 0xE0],
            [0x64, 0x3E, 0xFF, 0x20], [0x3E, 0x64, 0xFF, 0x20], [0xF2, 0xC3], [0xF3, 0xC3], [0xF2, 0xE8, 0, 0, 0, 0],
            [0xF2, 0xF0, 0x01, 0x00], [0xF3, 0xF0, 0x01, 0x00], [0xF3, 0x89, 0x00], [0xF2, 0x87, 0x00],
            [0xF3, 0xF3, 0xA4], [0xF2, 0xF3, 0xA4], [0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x90],
            [0x66, 0x66, 0x66, 0x01, 0xC0], [0x67, 0x67, 0x8B, 0x00], [0x0F, 0x20, 0x00], [0x0F, 0x22, 0x18],
            [0x0F, 0x21, 0xE0], [0x0F, 0x23, 0x28], [0x0F, 0x01, 0xC1], [0x66, 0x0F, 0x01, 0xC1],
            [0x0F, 0x01, 0xE0], [0x0F, 0x01, 0xF7], [0x0F, 0x00, 0xC0], [0x0F, 0x00, 0xD8], [0x0F, 0x90, 0xF8],
            [0xFF, 0x18], [0x66, 0xFF, 0x18], [0xFF, 0x2C, 0x24], [0x66, 0xFF, 0x28], [0xCA, 0x08, 0x00],
            [0x66, 0xCF], [0xCF], [0x66, 0xCB], [0xC8, 0x10, 0x00, 0x00], [0x66, 0xC8, 0x10, 0x00, 0x01],
            [0x6A, 0x80], [0x66, 0x6A, 0x80], [0x83, 0xC0, 0x80], [0x66, 0x83, 0xC0, 0x80], [0x6B, 0xC0, 0x80],
            [0xF3, 0x6C], [0xF3, 0x66, 0x6D], [0xF3, 0x6E], [0xF3, 0x67, 0x6F], [0x64, 0xA4], [0x26, 0xAC],
            [0x65, 0xD7], [0x67, 0xD7], [0xF2, 0xAE], [0xF3, 0x67, 0xA7],
        ]
        for r in raw { emitBytes(r) }
        // Every x87 register form (D8-DF with mod = 11), plain, after FWAIT and after 0x66.
        for b: UInt8 in 0xD8...0xDF {
            for modrm: UInt8 in 0xC0...0xFF {
                emitBytes([b, modrm])
                if modrm & 7 == 1 { emitBytes([0x9B, b, modrm]); emitBytes([0x66, b, modrm]) }
            }
        }
        for r: [UInt8] in [[0x9B], [0x66, 0x9B], [0xF3, 0x9B], [0x9B, 0x9B, 0xD9, 0x38], [0x26, 0x9B, 0xD9, 0x00],
                           [0x9B, 0x66, 0xDD, 0x30], [0x66, 0xD9, 0x20], [0x66, 0xDD, 0x20], [0x67, 0xDD, 0x30]] {
            emitBytes(r)
        }
    }

    /// Mnemonic lines for `as --32`.
    mutating func emitMnemonics() {
        let r32 = ["%eax", "%ecx", "%edx", "%ebx", "%esp", "%ebp", "%esi", "%edi"]
        let r16 = ["%ax", "%cx", "%dx", "%bx", "%sp", "%bp", "%si", "%di"]
        let r8 = ["%al", "%cl", "%dl", "%bl", "%ah", "%ch", "%dh", "%bh"]
        let mems = ["(%eax)", "4(%ebx)", "-4(%ebp)", "0x12345678", "(%esp)", "8(%esp,%esi,4)",
                    "0x100(,%edi,8)", "%fs:(%ecx)", "%es:-0x80(%edx,%eax,2)", "%gs:0x10"]
        var asm: [String] = []
        for op in ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "mov", "test", "xchg"] {
            for i in 0..<8 {
                asm.append("\(op) \(r32[i]),\(r32[(i * 3 + 1) % 8])")
                asm.append("\(op) \(r16[i]),\(r16[(i * 5 + 2) % 8])")
                asm.append("\(op) \(r8[i]),\(r8[(i * 7 + 3) % 8])")
            }
            for m in mems {
                if op != "xchg" {
                    asm.append("\(op)l $0x11,\(m)")
                    asm.append("\(op)w $0x1234,\(m)")
                    asm.append("\(op)b $0x7f,\(m)")
                }
                asm.append("\(op) \(m),%ecx")
                asm.append("\(op) %dx,\(m)")
            }
        }
        for op in ["inc", "dec", "neg", "not", "mul", "imul", "div", "idiv", "push", "pop"] {
            for i in 0..<8 { asm.append("\(op) \(r32[i])"); asm.append("\(op) \(r16[i])") }
            for m in mems { asm.append("\(op)l \(m)"); asm.append("\(op)w \(m)") }
        }
        for op in ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"] {
            for i in 0..<8 {
                asm += ["\(op) \(r32[i])", "\(op) $3,\(r16[i])", "\(op) %cl,\(r8[i])"]
            }
            for m in mems { asm += ["\(op)l \(m)", "\(op)w $5,\(m)", "\(op)b %cl,\(m)"] }
        }
        for op in ["bt", "bts", "btr", "btc"] {
            for m in mems { asm += ["\(op) %eax,\(m)", "\(op)l $7,\(m)", "\(op)w $3,\(m)"] }
        }
        for m in mems {
            asm += ["lea \(m),%esi", "movzbl \(m),%eax", "movzwl \(m),%edx", "movsbw \(m),%cx",
                    "movswl \(m),%ebp", "cmpxchg %ecx,\(m)", "xadd %dl,\(m)", "lock addl $1,\(m)",
                    "lock xchg %eax,\(m)", "shld $3,%eax,\(m)", "shrd %cl,%edx,\(m)", "imul \(m),%esi",
                    "imul $100,\(m),%edi", "imul $1000000,\(m),%edi", "bsf \(m),%eax", "bsr \(m),%ax",
                    "cmovne \(m),%ebx", "setge \(m)", "call *\(m)", "jmp *\(m)", "lcall *\(m)",
                    "ljmp *\(m)", "lgdt \(m)", "lidt \(m)", "sgdt \(m)", "sidt \(m)", "sldt \(m)",
                    "str \(m)", "lldt \(m)", "ltr \(m)", "verr \(m)", "verw \(m)", "smsw \(m)",
                    "lmsw \(m)", "invlpg \(m)", "lar \(m),%eax", "lsl \(m),%ecx", "mov %ds,\(m)",
                    "mov \(m),%es", "nopl \(m)", "nopw \(m)"]
        }
        asm += ["movsb", "movsw", "movsl", "cmpsb", "cmpsw", "cmpsl", "scasb", "scasw", "scasl",
                "lodsb", "lodsw", "lodsl", "stosb", "stosw", "stosl", "insb", "insw", "insl",
                "outsb", "outsw", "outsl", "rep movsl", "rep stosb", "repe cmpsb", "repne scasb",
                "rep insw", "rep outsl", "xlat", "cbw", "cwde", "cwd", "cdq", "pusha", "popa",
                "pushaw", "popaw", "pushf", "popf", "pushfw", "popfw", "lahf", "sahf", "clc", "stc",
                "cmc", "cld", "std", "cli", "sti", "hlt", "nop", "int3", "into", "int $0x80",
                "int $0x82", "ud2", "cpuid", "rdtsc", "rdmsr", "wrmsr", "clts", "invd", "wbinvd",
                "iret", "iretw", "ret", "ret $8", "lret", "lret $4", "leave", "enter $16,$0",
                "enter $8,$3", "vmcall", "daa", "das", "aaa", "aas", "aam", "aad", "aam $16",
                "in $0x60,%al", "in $0x60,%ax", "in $0x60,%eax", "in %dx,%al", "in %dx,%ax",
                "in %dx,%eax", "out %al,$0x80", "out %ax,$0x80", "out %eax,$0x80", "out %al,%dx",
                "out %ax,%dx", "out %eax,%dx", "mov %cr0,%eax", "mov %cr2,%ebx", "mov %cr3,%ecx",
                "mov %cr4,%edx", "mov %eax,%cr0", "mov %esi,%cr3", "mov %db0,%eax", "mov %db7,%edi",
                "mov %eax,%db6", "mov %cs,%eax", "mov %ss,%ax", "mov %eax,%ds", "mov %ax,%fs",
                "push %cs", "push %ss", "push %ds", "push %es", "push %fs", "push %gs", "pop %ds",
                "pop %es", "pop %ss", "pop %fs", "pop %gs", "pushw %ds", "push $1", "push $0x12345",
                "pushw $0x1234", "ljmp $0x10,$0x1000", "lcall $0x23,$0x8049000", "ljmpw $0x8,$0x10",
                "bswap %eax", "bswap %edi", "smsw %eax", "smsw %cx", "lmsw %ax", "sldt %eax",
                "str %dx", "lldt %ax", "ltr %bx", "verr %cx", "verw %dx", "lar %eax,%ebx",
                "lsl %ax,%cx", "call *%eax", "jmp *%ebx", "call *%ax", "movl $1,(%eax)",
                "mov 0x8049000,%eax", "mov %al,0x1234", "mov %fs:0x10,%eax", "mov $0x12345678,%edi",
                "mov $0x12,%bh", "mov $0x1234,%si", "xchg %eax,%ecx", "xchg %ax,%di", "xchg %eax,%eax"]
        for m in mems {
            asm += ["flds \(m)", "fldl \(m)", "fldt \(m)", "fstps \(m)", "fstl \(m)", "fstpt \(m)",
                    "filds \(m)", "fildl \(m)", "fildll \(m)", "fistps \(m)", "fistl \(m)", "fistpll \(m)",
                    "fisttpl \(m)", "fbld \(m)", "fbstp \(m)", "fadds \(m)", "fmull \(m)", "fsubrs \(m)",
                    "fdivl \(m)", "fiaddl \(m)", "fidivrs \(m)", "fcoms \(m)", "fcompl \(m)", "ficoml \(m)",
                    "fldcw \(m)", "fnstcw \(m)", "fstcw \(m)", "fnstsw \(m)", "fstsw \(m)", "fldenv \(m)",
                    "fnstenv \(m)", "fstenv \(m)", "frstor \(m)", "fnsave \(m)", "fsave \(m)"]
        }
        asm += ["fld %st(3)", "fxch %st(1)", "fxch", "fadd %st(2),%st", "fadd %st,%st(2)", "faddp",
                "fsubp", "fsubrp", "fdivp", "fdivrp", "fsub %st,%st(3)", "fdivr %st(4),%st", "fmulp %st,%st(5)",
                "fcom %st(1)", "fcomp", "fcompp", "fucom %st(2)", "fucomp", "fucompp", "fcomi %st(1),%st",
                "fcomip %st(3),%st", "fucomi %st(1),%st", "fucomip %st(1),%st", "fcmovb %st(1),%st",
                "fcmovnbe %st(2),%st", "fcmovu %st(7),%st", "fst %st(1)", "fstp %st(2)", "ffree %st(3)",
                "ffreep %st(1)", "fnstsw %ax", "fstsw %ax", "fninit", "finit", "fnclex", "fclex", "fwait",
                "fld1", "fldz", "fldpi", "fldl2e", "fldl2t", "fldlg2", "fldln2", "fchs", "fabs", "fsqrt",
                "frndint", "fprem", "fprem1", "fscale", "fxtract", "ftst", "fxam", "f2xm1", "fyl2x",
                "fyl2xp1", "fptan", "fpatan", "fsin", "fcos", "fsincos", "fincstp", "fdecstp", "fnop"]
        for line in asm {
            lines.append(line)
            count += 1
        }
        // Branches to labels, jcxz/loop with and without 0x67.
        lines.append("branches:")
        for line in ["loop branches", "loope branches", "loopne branches", "jecxz branches",
                     "jcxz branches", "addr16 loop branches"] {
            lines.append(line)
            count += 1
        }
        for c in ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"] {
            lines.append("j\(c) branches")
            lines.append("j\(c) far_target")
            count += 2
        }
        for line in ["jmp branches", "jmp far_target", "call branches", "call far_target",
                     "data16 call branches"] {
            lines.append(line)
            count += 1
        }
    }

    /// The whole source file.
    mutating func source(randomPerSpec: Int) -> String {
        lines = [".text", ".globl _start", "_start:"]
        emitMnemonics()
        emitAddressingForms()
        emitRawSpecials()
        for spec in Self.specs {
            for _ in 0..<randomPerSpec { emitBytes(instance(of: spec)) }
        }
        lines += [".fill 300,1,0x90", "far_target:", "nop", "nop", "nop", "nop", "nop", "nop",
                  "nop", "nop", "nop", "nop", "nop", "nop", "nop", "nop", "nop", "nop"]
        return lines.joined(separator: "\n") + "\n"
    }
}
