/// The working state of one decode (Intel SDM Vol. 2A, 2.1 "Instruction Format"): a cursor over
/// the input bytes plus what the prefixes selected. The opcode maps are in `OpcodeMap.swift`, the
/// ModRM/SIB forms in `ModRM.swift`.
struct InstructionDecoder {
    let base: UnsafeRawPointer?
    let count: Int
    let address: UInt32
    var pos = 0
    var prefixes: Prefixes = []
    var sequence: UInt64 = 0
    var prefixCount = 0
    var segment: SegmentRegister?
    /// Operand size of full-size forms: 4, or 2 under 0x66.
    var opsize: UInt8 = 4
    /// Address size: 4, or 2 under 0x67.
    var adsize: UInt8 = 4
    var modrm: UInt8 = 0
    var opcode: UInt32 = 0

    init(base: UnsafeRawPointer?, count: Int, address: UInt32) {
        self.base = base
        self.count = count
        self.address = address
    }

    // MARK: Reading bytes

    @inline(__always) mutating func u8() throws(DecodeError) -> UInt8 {
        if pos >= Decoder.maximumLength { throw tooLong() }
        if pos >= count { throw truncated() }
        let b = base.unsafelyUnwrapped.load(fromByteOffset: pos, as: UInt8.self)
        pos += 1
        return b
    }

    @inline(__always) mutating func u16() throws(DecodeError) -> UInt16 {
        let lo = UInt16(try u8())
        let hi = UInt16(try u8())
        return lo | hi << 8
    }

    @inline(__always) mutating func u32() throws(DecodeError) -> UInt32 {
        let lo = UInt32(try u16())
        let hi = UInt32(try u16())
        return lo | hi << 16
    }

    func bytes(_ n: Int) -> [UInt8] {
        let n = min(n, count, Decoder.maximumLength)
        guard n > 0, let base else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: n))
    }

    func truncated() -> DecodeError {
        .truncated(address: address, bytes: bytes(count))
    }

    func tooLong() -> DecodeError {
        .tooLong(address: address, bytes: bytes(Decoder.maximumLength))
    }

    func invalid(_ reason: String) -> DecodeError {
        .invalid(address: address, bytes: bytes(pos), reason: reason)
    }

    /// A valid encoding outside the subset whose length is the bytes consumed so far.
    func outside(_ name: String?) -> DecodeError {
        .outsideSubset(address: address, bytes: bytes(pos), length: pos, name: name)
    }

    /// A valid encoding outside the subset whose length the decoder cannot tell.
    func outsideUnknownLength(_ name: String?) -> DecodeError {
        .outsideSubset(address: address, bytes: bytes(pos), length: nil, name: name)
    }

}
