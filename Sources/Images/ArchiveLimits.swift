/// Bounds on what one archive may unpack to: an archive is hostile until proven otherwise, and a
/// "zip bomb" is refused by its declared sizes before anything is written and by the bytes
/// actually written as it goes.
public struct ArchiveLimits: Sendable, Equatable {
    /// The largest single entry, in bytes (default 4 GiB).
    public var maxEntryBytes: Int64 = 4 << 30
    /// The largest total of all entries' contents, in bytes (default 32 GiB).
    public var maxTotalBytes: Int64 = 32 << 30
    /// The most entries (default 1,000,000).
    public var maxEntries = 1_000_000

    public init() {}

    public init(maxEntryBytes: Int64, maxTotalBytes: Int64, maxEntries: Int) {
        self.maxEntryBytes = maxEntryBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxEntries = maxEntries
    }
}
