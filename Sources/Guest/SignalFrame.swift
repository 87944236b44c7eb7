import Machine

/// The i386 `struct sigcontext` (arch/x86/include/uapi/asm/sigcontext.h, `sigcontext_32`):
/// 22 words, 88 bytes.
///
/// ```
///  0 gs   4 fs   8 es  12 ds  16 edi 20 esi 24 ebp 28 esp 32 ebx 36 edx 40 ecx 44 eax
/// 48 trapno 52 err 56 eip 60 cs 64 eflags 68 esp_at_signal 72 ss 76 fpstate 80 oldmask 84 cr2
/// ```
/// (segment selectors in the low half of their word).
struct SignalContext: Equatable {
    var gs: UInt16 = 0, fs: UInt16 = 0, es: UInt16 = 0, ds: UInt16 = 0
    var edi: UInt32 = 0, esi: UInt32 = 0, ebp: UInt32 = 0, esp: UInt32 = 0
    var ebx: UInt32 = 0, edx: UInt32 = 0, ecx: UInt32 = 0, eax: UInt32 = 0
    var trapno: UInt32 = 0, err: UInt32 = 0, eip: UInt32 = 0
    var cs: UInt16 = 0
    var eflags: UInt32 = 0
    var espAtSignal: UInt32 = 0
    var ss: UInt16 = 0
    var fpstate: UInt32 = 0
    var oldmask: UInt32 = 0
    var cr2: UInt32 = 0

    static let size = 88

    var words: [UInt32] {
        [UInt32(gs), UInt32(fs), UInt32(es), UInt32(ds), edi, esi, ebp, esp, ebx, edx, ecx, eax,
         trapno, err, eip, UInt32(cs), eflags, espAtSignal, UInt32(ss), fpstate, oldmask, cr2]
    }

    init() {}

    init(words w: [UInt32]) {
        gs = UInt16(truncatingIfNeeded: w[0]); fs = UInt16(truncatingIfNeeded: w[1])
        es = UInt16(truncatingIfNeeded: w[2]); ds = UInt16(truncatingIfNeeded: w[3])
        edi = w[4]; esi = w[5]; ebp = w[6]; esp = w[7]; ebx = w[8]; edx = w[9]; ecx = w[10]; eax = w[11]
        trapno = w[12]; err = w[13]; eip = w[14]; cs = UInt16(truncatingIfNeeded: w[15]); eflags = w[16]
        espAtSignal = w[17]; ss = UInt16(truncatingIfNeeded: w[18]); fpstate = w[19]; oldmask = w[20]; cr2 = w[21]
    }

    /// The interrupted state of `cpu`, as `setup_sigcontext` saves it.
    init(cpu: CPUState, trap: TrapRecord?, cr2: UInt32, fpstate: UInt32, oldmask: UInt32) {
        gs = cpu.selector(.gs); fs = cpu.selector(.fs); es = cpu.selector(.es); ds = cpu.selector(.ds)
        edi = cpu.edi; esi = cpu.esi; ebp = cpu.ebp; esp = cpu.esp
        ebx = cpu.ebx; edx = cpu.edx; ecx = cpu.ecx; eax = cpu.eax
        trapno = trap?.number ?? 0
        err = trap?.errorCode ?? 0
        eip = cpu.eip
        cs = cpu.selector(.cs)
        eflags = cpu.eflags
        espAtSignal = cpu.esp
        ss = cpu.selector(.ss)
        self.fpstate = fpstate
        self.oldmask = oldmask
        self.cr2 = cr2
    }
}

/// The i386 signal frames Linux builds on the user stack (arch/x86/include/asm/sigframe.h,
/// arch/x86/kernel/signal_32.c, `get_sigframe` in signal.c), byte offsets from the frame:
///
/// `struct sigframe_ia32` (a handler without SA_SIGINFO, returns through `sigreturn`), 732 bytes:
/// ```
///   0 pretcode (the restorer)   4 sig   8 struct sigcontext (88)
///  96 struct _fpstate_32 (unused, 624)   720 extramask (signals 33-64 of the old mask)
/// 724 retcode: popl %eax; movl $119,%eax; int $0x80 (58 b8 77 00 00 00 cd 80)
/// ```
/// `struct rt_sigframe_ia32` (SA_SIGINFO, returns through `rt_sigreturn`), 268 bytes:
/// ```
///   0 pretcode   4 sig   8 pinfo (= frame+16)   12 puc (= frame+144)
///  16 siginfo (128)
/// 144 struct ucontext: 144 uc_flags  148 uc_link  152 uc_stack {ss_sp, ss_flags, ss_size}
///     164 uc_mcontext (struct sigcontext, 88)  252 uc_sigmask (8)
/// 260 retcode: movl $173,%eax; int $0x80; (b8 ad 00 00 00 cd 80 00)
/// ```
/// Placement: from the interrupted ESP (or the top of the alternate stack with SA_ONSTACK), the
/// FPU area first (64-byte aligned: the interrupted x87 state as a `struct _fpstate_32` in its
/// FSAVE-only form, ``fpstateSize`` bytes, ``fpstate(_:)``; sigreturn restores the x87 state
/// from it, ``x87State(_:)``), then the frame aligned as the i386 ABI wants a function entry:
/// `((sp + 4) & -16) - 4`.
/// The restorer is `sa_restorer` with SA_RESTORER (glibc and musl always set it), else the
/// frame's own `retcode` (Linux's choice without a vDSO; vsim gives the guest no vDSO).
enum SignalFrame {
    static let sigframeSize: UInt32 = 732
    static let rtSigframeSize: UInt32 = 268
    static let fpstateSize: UInt32 = 624
    /// Offsets in the frames.
    static let sigframeContext: UInt32 = 8, sigframeExtramask: UInt32 = 720, sigframeRetcode: UInt32 = 724
    static let rtInfo: UInt32 = 16, rtUcontext: UInt32 = 144, rtRetcode: UInt32 = 260
    /// Offsets inside `struct ucontext`.
    static let ucStack: UInt32 = 8, ucMcontext: UInt32 = 20, ucSigmask: UInt32 = 108

    static let sigreturnCode: [UInt8] = [0x58, 0xB8, 0x77, 0x00, 0x00, 0x00, 0xCD, 0x80]
    static let rtSigreturnCode: [UInt8] = [0xB8, 0xAD, 0x00, 0x00, 0x00, 0xCD, 0x80, 0x00]

    /// The FPU area for the x87 state `x` (`struct _fpstate_32`, arch/x86/include/uapi/asm/
    /// sigcontext.h): the 108 bytes FNSAVE stores in 32-bit protected mode (SDM Vol. 1, Figure
    /// 8-9: control, status and full tag word with their upper halves set, the FPU instruction
    /// pointer, its selector with the opcode in bits 16-26, the data pointer and selector, then
    /// ST(0)-ST(7) as 10-byte values), the status word again at 108 (`status`), and magic 0xFFFF
    /// at 110 ("FSAVE data only": vsim's CPU has no FXSR area to add; Linux on an FXSR CPU writes
    /// the same header, from `convert_from_fxsr`, with magic 0 and the FXSAVE image after it).
    /// The rest of the ``fpstateSize`` bytes are zero.
    static func fpstate(_ x: X87State) -> [UInt8] {
        var b = bytes([0xFFFF_0000 | UInt32(x.controlWord), 0xFFFF_0000 | UInt32(x.statusWord),
                       0xFFFF_0000 | UInt32(x.fullTagWord), x.lastInstructionPointer,
                       UInt32(x.lastCodeSelector) | UInt32(x.lastOpcode & 0x7FF) << 16,
                       x.lastDataPointer, 0xFFFF_0000 | UInt32(x.lastDataSelector)])
        for k in 0..<8 { b += x.st(k).bytes }
        b += [UInt8(truncatingIfNeeded: x.statusWord), UInt8(x.statusWord >> 8), 0xFF, 0xFF]
        b += [UInt8](repeating: 0, count: Int(fpstateSize) - b.count)
        return b
    }

    /// Bytes of the FPU area that sigreturn reads back: the FSAVE image.
    static let fsaveSize: UInt32 = 108

    /// The x87 state in an FSAVE image (the first ``fsaveSize`` bytes of the FPU area), as FRSTOR
    /// loads it (SDM Vol. 2A FRSTOR): the control word with its reserved bits as the CPU keeps
    /// them (bit 6 set, bits 7 and 13-15 clear), the status word with TOP, a register tagged 11
    /// empty and any other valid, the pointers, and ST(0)-ST(7).
    static func x87State(_ b: [UInt8]) -> X87State {
        let w = words(Array(b.prefix(28)))
        var x = X87State()
        x.controlWord = UInt16(truncatingIfNeeded: w[0]) & 0x1F3F | 0x0040
        x.statusWord = UInt16(truncatingIfNeeded: w[1])
        let tags = UInt16(truncatingIfNeeded: w[2])
        x.emptyMask = 0
        for k in 0..<8 where (tags >> (2 * UInt16(k))) & 3 == 3 { x.emptyMask |= 1 << k }
        x.lastInstructionPointer = w[3]
        x.lastCodeSelector = UInt16(truncatingIfNeeded: w[4])
        x.lastOpcode = UInt16(truncatingIfNeeded: w[4] >> 16) & 0x7FF
        x.lastDataPointer = w[5]
        x.lastDataSelector = UInt16(truncatingIfNeeded: w[6])
        for k in 0..<8 {
            let at = 28 + 10 * k
            x[physical: x.physical(k)] = X87Register(bytes: Array(b[at..<at + 10]))
        }
        x.updateSummary()
        return x
    }

    /// Where the FPU area and the frame go for a stack pointer `sp`: (fpstate, frame).
    static func place(sp: UInt32, frameSize: UInt32) -> (fpstate: UInt32, frame: UInt32) {
        let fp = (sp &- fpstateSize) & ~63
        let frame = ((fp &- frameSize &+ 4) & ~15) &- 4
        return (fp, frame)
    }

    static func bytes(_ words: [UInt32]) -> [UInt8] {
        words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * UInt32($0))) } }
    }

    static func words(_ bytes: [UInt8]) -> [UInt32] {
        stride(from: 0, to: bytes.count - 3, by: 4).map { i in
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) }
        }
    }

    /// `struct sigframe_ia32` at `frame`.
    static func sigframe(frame: UInt32, signal: Int, restorer: UInt32?, context: SignalContext, mask: UInt64) -> [UInt8] {
        var b = bytes([restorer ?? frame + sigframeRetcode, UInt32(signal)]) + bytes(context.words)
        b += [UInt8](repeating: 0, count: Int(fpstateSize))
        b += bytes([UInt32(truncatingIfNeeded: mask >> 32)])
        b += sigreturnCode
        return b
    }

    /// `struct rt_sigframe_ia32` at `frame`; `altstack` is the `uc_stack` (ss_sp, ss_flags, ss_size).
    static func rtSigframe(frame: UInt32, signal: GuestSignal, restorer: UInt32?, context: SignalContext, mask: UInt64,
                           altstack: (UInt32, UInt32, UInt32)) -> [UInt8] {
        var b = bytes([restorer ?? frame + rtRetcode, UInt32(signal.number), frame + rtInfo, frame + rtUcontext])
        b += signal.siginfo
        b += bytes([0, 0, altstack.0, altstack.1, altstack.2])          // uc_flags 0: no extended state
        b += bytes(context.words)
        b += bytes([UInt32(truncatingIfNeeded: mask), UInt32(truncatingIfNeeded: mask >> 32)])
        b += rtSigreturnCode
        return b
    }
}
