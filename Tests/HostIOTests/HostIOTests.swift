import Testing
import HostIO
#if canImport(Glibc)
import Glibc
#endif

/// The read/write loops against a real pipe, whose 64 KiB buffer forces short writes.
@Suite struct HostIOTests {
    @Test func writeAllGoesOnAfterShortWrites() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        // 1 MiB through a 64 KiB pipe: write(2) returns short counts until the reader drains it.
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let reader = ends[0]
        let pid = fork()
        if pid == 0 {
            close(reader)
            _exit(HostIO.writeAll(ends[1], payload) == nil ? 0 : 1)
        }
        close(ends[1])
        let got = try HostIO.readToEnd(reader)
        close(reader)
        var status: Int32 = 0
        _ = HostIO.retryingEINTR { waitpid(pid, &status, 0) }
        #expect(status == 0)
        #expect(got == payload)
    }

    @Test func writeToAClosedPipeReportsEPIPE() {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        let old = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, old) }
        #expect(HostIO.writeAll(ends[1], [1, 2, 3]) == EPIPE)
        close(ends[1])
    }

    @Test func readToEndStopsPastTheLimit() {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        HostIO.writeAll(ends[1], [UInt8](repeating: 9, count: 1000))
        close(ends[1])
        #expect(throws: HostError.tooLarge(limit: 999)) { try HostIO.readToEnd(ends[0], limit: 999) }
        close(ends[0])
    }

    @Test func readFileNamesTheErrno() {
        #expect(throws: HostError.code(ENOENT)) { try HostIO.readFile("/nonexistent/vsim-hostio-test") }
        #expect(HostError.describe(ENOENT) == String(cString: strerror(ENOENT)) + " (ENOENT)")
    }
}
