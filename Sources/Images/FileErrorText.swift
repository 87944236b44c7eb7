import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Words for an error of FoundationEssentials' file calls (FileManager, `Data.write`,
/// `String(contentsOfFile:)`): the path and the system's reason (`strerror` of the underlying
/// errno), e.g. "/proc/x: Permission denied". FoundationEssentials has no `localizedDescription`
/// (that is Foundation's, which vsim does not link: docs/performance.md).
func fileErrorText(_ error: any Error) -> String {
    if let e = error as? CocoaError {
        let reason = (e.underlying as? POSIXError).map { String(cString: strerror($0.code.rawValue)) }
            ?? "file error \(e.code.rawValue)"
        return e.filePath.map { "\($0): \(reason)" } ?? reason
    }
    if let e = error as? POSIXError { return String(cString: strerror(e.code.rawValue)) }
    return String(describing: error)
}
