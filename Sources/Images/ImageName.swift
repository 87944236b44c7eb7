/// The name an image is stored under: its `org.opencontainers.image.ref.name` annotation,
/// `docker save`'s first repository tag, or `--name`.
enum ImageName {
    /// Checks `name`: 1 to 255 characters from the OCI ref.name grammar's alphabet
    /// (letters, digits, `. _ - : / @ +`), not starting with `.` or `-`.
    static func validate(_ name: String) throws(ImageError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/@+")
        guard !name.isEmpty, name.count <= 255, name.allSatisfy({ allowed.contains($0) }),
              !name.hasPrefix("."), !name.hasPrefix("-") else {
            throw .usage("image name '\(name)' is not valid: use 1 to 255 letters, digits and . _ - : / @ + (not starting with . or -), e.g. hello:1.0")
        }
    }
}
