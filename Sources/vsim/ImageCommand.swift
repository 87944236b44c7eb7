import ArgumentParser
import Containers
import Images

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "OCI images: import, list, inspect, show the history of, and remove images in vsim's store.",
        discussion: """
        The store is itself an OCI image layout ($VSIM_IMAGES, /var/lib/vsim/images for root, else \
        ~/.local/share/vsim/images; --store overrides): blobs/sha256/ by digest, index.json naming each \
        image, and each layer unpacked once under layers/sha256/<diff id> with its whiteouts in overlayfs \
        form. `vsim container run --image NAME` mounts those layers as an overlay.

        Exit status: 0 done; 64 bad name or option; 65 malformed or hostile image (bad JSON, a digest \
        or size that does not match, an archive entry refused); 66 no such file or image; 73 the store \
        cannot be written.
        """,
        subcommands: [ImageImportCommand.self, ImageBuildCommand.self, ImageListCommand.self, ImageInspectCommand.self,
                      ImageHistoryCommand.self, ImageRemoveCommand.self])
}

struct ImageStoreOption: ParsableArguments {
    @Option(name: .customLong("store"), help: "The image store directory (default $VSIM_IMAGES, /var/lib/vsim/images for root).")
    var store: String?
}

struct ImageImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an OCI image layout directory, an oci-archive tarball or a docker save tarball.",
        discussion: """
        Every blob's sha256 and size and every layer's diff ID are verified; archive entries that would \
        write outside their directory (.., absolute names, links pointing out), device nodes and \
        truncated or oversized entries are refused, and nothing of a refused import is kept. \
        The image is named by its org.opencontainers.image.ref.name annotation (docker save: its first \
        tag), or --name.
        Example: skopeo copy docker-archive:hello.tar oci-archive:hello.oci:hello && vsim image import hello.oci
        """)

    @Argument(help: "An OCI layout directory, or a .tar/.tar.gz of one or of docker save.")
    var path: String

    @Option(name: .customLong("name"), help: "Store the image under this name (only for an input holding one image).")
    var name: String?

    @OptionGroup var store: ImageStoreOption

    func run() throws {
        let status = ImageCommandLine.importImage(path, name: name, store: store.store)
        if status != 0 { exitVSim(status) }
    }
}

struct ImageBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build an image from a Containerfile (FROM, COPY, RUN, ENV, WORKDIR, CMD), one layer per COPY and RUN, with a layer cache.",
        discussion: """
        Each RUN runs in a vsim container over the layers so far (root needed; no network). Each COPY \
        and RUN step is keyed like Docker's build cache (the parent step's key, the instruction, and \
        for COPY the content of the files it reads): a step whose key is in the cache reuses its layer \
        ("cached"), so a second build of an unchanged context builds nothing, and changing a file \
        rebuilds from the COPY that reads it on. The image is an OCI image in the store (skopeo \
        inspect oci:STORE:NAME reads it). Exit status: 0 built; 1 a RUN step failed; 64-73 as for \
        vsim image import.
        Example: vsim image build -t hello:1 lessons/images/hello
        """)

    @Argument(help: "The build context: the directory COPY reads from.")
    var context: String

    @Option(name: [.customLong("file"), .customShort("f")], help: "The Containerfile (default CONTEXT/Containerfile).")
    var file: String?

    @Option(name: [.customShort("t"), .customLong("tag")], help: "The name of the image, e.g. hello:1.")
    var tag: String

    @Flag(name: .customLong("no-cache"), help: "Build every step, ignoring the layer cache.")
    var noCache = false

    @OptionGroup var store: ImageStoreOption

    func run() throws {
        let status = ImageBuildCommandLine.build(context: context, file: file, tag: tag, noCache: noCache, store: store.store)
        if status != 0 { exitVSim(status) }
    }
}

struct ImageListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the images in the store.")

    @OptionGroup var store: ImageStoreOption

    func run() throws {
        let status = ImageCommandLine.list(store: store.store)
        if status != 0 { exitVSim(status) }
    }
}

struct ImageInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print an image's digests, run config, layers and overlay lower directories as JSON.")

    @Argument(help: "The image's name.")
    var name: String

    @OptionGroup var store: ImageStoreOption

    func run() throws {
        let status = ImageCommandLine.inspect(name, store: store.store)
        if status != 0 { exitVSim(status) }
    }
}

struct ImageHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show how the image was made: each step, the layer it made and its sizes, newest first.")

    @Argument(help: "The image's name.")
    var name: String

    @OptionGroup var store: ImageStoreOption

    func run() throws {
        let status = ImageCommandLine.history(name, store: store.store)
        if status != 0 { exitVSim(status) }
    }
}

struct ImageRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove images, and the blobs and unpacked layers no other image uses.")

    @Argument(help: "The images' names.")
    var names: [String]

    @OptionGroup var store: ImageStoreOption

    func run() throws {
        let status = ImageCommandLine.remove(names, store: store.store)
        if status != 0 { exitVSim(status) }
    }
}
