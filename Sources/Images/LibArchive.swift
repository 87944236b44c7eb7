import CLibArchive

/// libarchive, loaded on first use: vsim does not link it, so that the processes that never
/// touch an archive (every command but `vsim image import` and `vsim image build`) do not pay
/// for loading it and its libraries (`CLibArchive/include/libarchive_loader.h`,
/// docs/performance.md).
enum LibArchive {
    /// Loads libarchive.so.13 once; later calls return at once.
    /// - Throws: ``ImageError/store(_:)`` (exit status 73) with the dynamic loader's reason when
    ///   the library cannot be loaded, saying what to install.
    static func load() throws(ImageError) {
        guard vsim_libarchive_load() != 0 else { return }
        let why = vsim_libarchive_error().map { String(cString: $0) } ?? "no reason given"
        throw .store("libarchive cannot be loaded: \(why); install Debian's libarchive13 (scripts/setup installs libarchive-dev)")
    }
}
