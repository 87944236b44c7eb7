import Descriptions
import FoundationEssentials
import HostIO
#if canImport(Glibc)
import Glibc
#endif

/// What the `vsim image` commands do, so that their command types hold only argument
/// declarations. Results go to stdout; errors to stderr as `vsim: error: ...`, with the exit
/// status of ``ImageError/exitStatus`` (docs/exit-status.md).
public enum ImageCommandLine {
    /// `vsim image import PATH [--name N]`.
    public static func importImage(_ path: String, name: String?, store: String?) -> Int32 {
        run { () throws(ImageError) in
            let s = try ImageStore(path: store)
            let started = ContinuousClock.now
            let results = try ImageImporter(store: s).importImage(from: path, name: name)
            let seconds = Double(DurationText.nanoseconds(ContinuousClock.now - started)) / 1e9
            for r in results {
                let reused = r.layers - r.unpackedLayers
                out("\(r.replaced ? "replaced" : "imported") \(r.name) \(r.manifestDigest): \(r.layers) layer\(r.layers == 1 ? "" : "s")"
                    + ", \(r.unpackedLayers) unpacked (\(formatBytes(r.unpackedBytes)))"
                    + (reused > 0 ? ", \(reused) already in the store" : "") + "\n")
            }
            out("in \(NumberText.fixed(seconds, 2)) s; store \(s.root)\n")
        }
    }

    /// `vsim image ls`.
    public static func list(store: String?) -> Int32 {
        run { () throws(ImageError) in
            var rows = [["NAME", "MANIFEST", "LAYERS", "SIZE", "UNPACKED", "CREATED"]]
            // Listing reads: a store that does not exist (a mistyped --store) holds no images
            // and is not created, as `history`, `inspect` and `rm` create none.
            let s: ImageStore
            do throws(ImageError) { s = try ImageStore(path: store, create: false) } catch {
                guard case .missing = error else { throw error }
                out(table(rows))
                return
            }
            let images = try s.images()
            for i in images {
                let unpacked = i.layers.reduce(Int64(0)) { $0 + ($1.unpackedBytes ?? 0) }
                rows.append([i.name, "sha256:" + i.manifestDigest.short, String(i.layers.count), formatBytes(i.blobBytes),
                             formatBytes(unpacked), i.configuration.created ?? "-"])
            }
            out(table(rows))
        }
    }

    /// `vsim image history NAME`: newest step first, as `docker history` shows it.
    public static func history(_ name: String, store: String?) -> Int32 {
        run { () throws(ImageError) in
            let image = try ImageStore(path: store, create: false).image(named: name)
            var rows: [[String]] = []
            var layers = image.layers[...]
            for h in image.configuration.history ?? [] {
                let by = h.created_by ?? ""
                if h.empty_layer == true {
                    rows.append(["-", "0 B", "0 B", h.created ?? "-", by])
                } else if let l = layers.popFirst() {
                    rows.append([l.diffID.short, formatBytes(l.blob.size), l.unpackedBytes.map(formatBytes) ?? "?", h.created ?? "-", by])
                }
            }
            for l in layers {
                rows.append([l.diffID.short, formatBytes(l.blob.size), l.unpackedBytes.map(formatBytes) ?? "?", "-", "(no history entry)"])
            }
            out(table([["LAYER (DIFF ID)", "BLOB", "UNPACKED", "CREATED", "CREATED BY"]] + rows.reversed()))
        }
    }

    /// `vsim image inspect NAME`: the manifest, config and layers as JSON.
    public static func inspect(_ name: String, store: String?) -> Int32 {
        run { () throws(ImageError) in
            let image = try ImageStore(path: store, create: false).image(named: name)
            let c = image.configuration
            let object = Inspected(
                Name: image.name, Digest: image.manifestDigest.description, Config: image.manifest.config.digest.description,
                Layers: image.layers.map { l in
                    .init(Digest: l.blob.digest.description, MediaType: l.blob.mediaType, Size: l.blob.size,
                          DiffID: l.diffID.description, Directory: l.directory, UnpackedBytes: l.unpackedBytes)
                },
                LowerDirs: image.lowerDirectories, Created: c.created, Architecture: c.architecture, Os: c.os,
                RunConfig: c.config.map { r in
                    .init(Env: r.Env, Entrypoint: r.Entrypoint, Cmd: r.Cmd, WorkingDir: r.WorkingDir, User: r.User)
                })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(object)) ?? Data()
            out(String(decoding: data, as: UTF8.self) + "\n")
        }
    }

    /// `vsim image rm NAME...`.
    public static func remove(_ names: [String], store: String?) -> Int32 {
        run { () throws(ImageError) in
            let s = try ImageStore(path: store, create: false)
            for n in names {
                let r = try s.remove(named: n)
                out("removed \(n): \(r.blobs) blob\(r.blobs == 1 ? "" : "s") and \(r.layers) unpacked layer\(r.layers == 1 ? "" : "s") no other image uses\n")
            }
        }
    }

    /// What `vsim image inspect` prints (absent optionals are left out).
    struct Inspected: Encodable {
        struct Layer: Encodable {
            var Digest: String, MediaType: String, Size: Int64, DiffID: String, Directory: String
            var UnpackedBytes: Int64?
        }
        struct RunConfig: Encodable {
            var Env: [String]?, Entrypoint: [String]?, Cmd: [String]?, WorkingDir: String?, User: String?
        }
        var Name: String, Digest: String, Config: String, Layers: [Layer], LowerDirs: [String]
        var Created: String?, Architecture: String?, Os: String?, RunConfig: RunConfig?
    }

    // MARK: helpers

    static func run(_ body: () throws(ImageError) -> Void) -> Int32 {
        do { try body(); return 0 } catch {
            StandardStreams.write("vsim: error: \(error.description)\n", to: 2)
            return error.exitStatus
        }
    }

    static func out(_ s: String) { StandardStreams.write(s, to: 1) }

    /// Decimal units, as `docker images` shows sizes.
    public static func formatBytes(_ n: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var v = Double(n), u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(n) B" : NumberText.fixed(v, v < 10 ? 2 : 1) + " " + units[u]
    }

    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == r.count - 1 ? c : c + String(repeating: " ", count: widths[i] + 2 - c.count) }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
