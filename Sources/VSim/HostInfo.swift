#if canImport(Glibc)
import Glibc
#endif

/// Facts about the host for report headers.
enum HostInfo {
    /// "model name" from /proc/cpuinfo (plus the logical CPU count), or the machine name.
    static func cpu() -> String {
        let count = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        if let text = try? readFile("/proc/cpuinfo") {
            for line in String(decoding: text, as: UTF8.self).split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    let name = line[line.index(after: colon)...].split(separator: " ").joined(separator: " ")
                    return "\(name) (\(count) CPU\(count == 1 ? "" : "s"))"
                }
            }
        }
        return "\(uname().machine) (\(count) CPUs)"
    }

    /// "Linux 6.1.0-18-amd64 x86_64".
    static func kernel() -> String {
        let u = uname()
        return "\(u.sysname) \(u.release) \(u.machine)"
    }

    static func uname() -> (sysname: String, release: String, machine: String) {
        var u = utsname()
        _ = Glibc.uname(&u)
        func field<T>(_ value: inout T) -> String {
            withUnsafeBytes(of: &value) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        }
        return (field(&u.sysname), field(&u.release), field(&u.machine))
    }

    /// Now, ISO 8601 in UTC: "2026-11-20T22:10:00Z".
    static func date() -> String {
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buffer = [CChar](repeating: 0, count: 32)
        _ = strftime(&buffer, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)
        return String(cString: buffer)
    }
}
