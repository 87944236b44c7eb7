/// Lengths and names of the encodings vsim recognises but does not implement (MMX, SSE,
/// fast system calls, ...), from the opcode maps of the Intel SDM Vol. 2D, Appendix A.
enum OutsideSubset {
    enum TwoByteForm {
        /// No instruction is defined here (#UD).
        case undefined
        /// Opcode bytes only.
        case noOperands
        /// A ModRM operand followed by `immediate` bytes.
        case modrm(immediate: Int)
        /// `0F 38 xx` / `0F 3A xx`: a third opcode byte, ModRM, and `immediate` bytes.
        case threeByte(immediate: Int)
    }

    /// The shape of the two-byte opcode `0F b` for the opcodes the decoder leaves to this table.
    static func twoByteForm(_ b: UInt8) -> TwoByteForm {
        switch b {
        case 0x04, 0x0A, 0x0C, 0x24...0x27, 0x36, 0x39, 0x3B...0x3F, 0x7A, 0x7B, 0xA6, 0xA7:
            return .undefined
        case 0x05, 0x07, 0x0E, 0x33, 0x34, 0x35, 0x37, 0x77, 0xAA:
            return .noOperands
        case 0x0F:
            return .modrm(immediate: 1)  // 3DNow!: the opcode follows the operand
        case 0x38:
            return .threeByte(immediate: 0)
        case 0x3A:
            return .threeByte(immediate: 1)
        case 0x70...0x73, 0xC2, 0xC4, 0xC5, 0xC6:
            return .modrm(immediate: 1)
        default:
            // 0D, 10-1E, 28-2F, 50-6F, 74-76, 78, 79, 7C-7F, AE, B2, B4, B5, B8, B9, C3, C7, D0-FF
            return .modrm(immediate: 0)
        }
    }

    /// A name for the two-byte opcode `0F b` (the form without a mandatory prefix unless a
    /// 66/F2/F3 prefix selects another), or nil.
    static func twoByteName(_ b: UInt8, _ prefixes: Prefixes) -> String? {
        if (0x58...0x5F).contains(b) || (0x51...0x57).contains(b) || b == 0x10 || b == 0x11 {
            let base: [UInt8: String] = [0x10: "movu", 0x11: "movu", 0x51: "sqrt", 0x52: "rsqrt",
                                          0x53: "rcp", 0x54: "and", 0x55: "andn", 0x56: "or",
                                          0x57: "xor", 0x58: "add", 0x59: "mul", 0x5A: "cvt",
                                          0x5B: "cvt", 0x5C: "sub", 0x5D: "min", 0x5E: "div",
                                          0x5F: "max"]
            let suffix = prefixes.contains(.rep) ? "ss" : prefixes.contains(.repne) ? "sd"
                : prefixes.contains(.operandSize) ? "pd" : "ps"
            return (base[b] ?? "sse") + suffix
        }
        switch b {
        case 0x05: return "syscall"
        case 0x07: return "sysret"
        case 0x0D, 0x18: return "prefetch"
        case 0x0E: return "femms"
        case 0x0F: return "3dnow"
        case 0x1A, 0x1B: return "mpx (bnd*)"
        case 0x19...0x1E: return "nop (reserved hint)"
        case 0x28, 0x29: return "movaps"
        case 0x2E: return "ucomiss"
        case 0x2F: return "comiss"
        case 0x33: return "rdpmc"
        case 0x34: return "sysenter"
        case 0x35: return "sysexit"
        case 0x37: return "getsec"
        case 0x6E, 0x7E: return "movd"
        case 0x6F, 0x7F: return "movq"
        case 0x77: return "emms"
        case 0x78: return "vmread"
        case 0x79: return "vmwrite"
        case 0xAA: return "rsm"
        case 0xAE: return "fxsave/fence group"
        case 0xB2: return "lss"
        case 0xB4: return "lfs"
        case 0xB5: return "lgs"
        case 0xB8: return prefixes.contains(.rep) ? "popcnt" : "jmpe"
        case 0xB9: return "ud1"
        case 0xC3: return "movnti"
        case 0xC7: return "cmpxchg8b group"
        case 0xFF: return "ud0"
        default: return (0x60...0x7F).contains(b) || b >= 0xD0 ? "mmx/sse" : "sse"
        }
    }

    /// A name for `0F 01 modrm` with mod = 11 (VMX, SVM, MONITOR, XGETBV, ...), or nil when no
    /// instruction is defined there in 32-bit mode (#UD; e.g. `0F 01 D2`, or SWAPGS, which
    /// exists only in 64-bit mode).
    static func group7Name(_ modrm: UInt8) -> String? {
        switch modrm {
        case 0xC0: return "enclv"
        case 0xC2: return "vmlaunch"
        case 0xC3: return "vmresume"
        case 0xC4: return "vmxoff"
        case 0xC5: return "pconfig"
        case 0xC8: return "monitor"
        case 0xC9: return "mwait"
        case 0xCA: return "clac"
        case 0xCB: return "stac"
        case 0xCF: return "encls"
        case 0xD0: return "xgetbv"
        case 0xD1: return "xsetbv"
        case 0xD4: return "vmfunc"
        case 0xD5: return "xend"
        case 0xD6: return "xtest"
        case 0xD7: return "enclu"
        case 0xD8: return "vmrun"
        case 0xD9: return "vmmcall"
        case 0xDA: return "vmload"
        case 0xDB: return "vmsave"
        case 0xDC: return "stgi"
        case 0xDD: return "clgi"
        case 0xDE: return "skinit"
        case 0xDF: return "invlpga"
        case 0xE8: return "serialize"
        case 0xEE: return "rdpkru"
        case 0xEF: return "wrpkru"
        case 0xF9: return "rdtscp"
        case 0xFA: return "monitorx"
        case 0xFB: return "mwaitx"
        case 0xFC: return "clzero"
        case 0xFD: return "rdpru"
        default: return nil
        }
    }
}
