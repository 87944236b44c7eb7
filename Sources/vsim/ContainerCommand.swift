import ArgumentParser
import Containers

struct ContainerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container",
        abstract: "Run a program in a real container (namespaces, cgroups, overlay root), or prune leftovers.",
        subcommands: [ContainerRunCommand.self, ContainerPruneCommand.self])
}

struct ContainerRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run CMD as PID 1 of new mount, PID, UTS, IPC, network and cgroup namespaces; exit with its status.",
        discussion: """
        Without --rootfs the root is a fresh tmpfs holding only CMD (a static program on the host). With \
        --rootfs DIR the root is an overlay: DIR read-only below, a fresh upper layer above (kept in \
        --keep-upper DIR); with --image NAME, the image's layers are the overlay's lower layers. \
        --isolation chroot replaces all of that with a bare chroot(2). Either way the container gets /proc of its PID namespace, a /dev with null, zero, \
        full, random, urandom and tty, /sys read-only and /tmp as tmpfs. Needs root, or --rootless (a user \
        namespace; limits the host does not delegate are reported and skipped).

        CMD runs with Docker's defaults: 14 capabilities, no_new_privs, Docker's seccomp profile, the OCI \
        masked and read-only /proc paths (--cap-add, --cap-drop, --seccomp unconfined, --system-paths \
        unconfined relax them). The container dies with vsim, and leftovers of killed runs are removed by \
        the next run.

        Exit status: CMD's, or 128+signal (137 after an OOM kill, with a message naming the limit; 152 at \
        --time-limit); \
        64 bad option, 66 no such rootfs, 71 a setup step failed, 77 not permitted, 126/127 CMD not \
        executable/not found.
        Example: vsim container run --memory 64m --pids 32 --timings -- ./hello
        """)

    @Option(name: .customLong("rootfs"), help: "Directory used read-only as the lower layer of the root's overlay.")
    var rootfs: String?

    @Option(name: .customLong("image"), help: "An image in vsim's store (vsim image ls): the root is an overlay of its layers, one lowerdir per layer, top first; its Env, WorkingDir and Entrypoint/Cmd (when no CMD is given) apply.")
    var image: String?

    @Option(name: .customLong("store"), help: "The image store for --image (default $VSIM_IMAGES, /var/lib/vsim/images for root).")
    var store: String?

    @Option(name: .customLong("isolation"), help: "pivot-root (new namespaces, the root mounted and entered with pivot_root; the default) or chroot (only chroot(2) into --rootfs or a directory holding CMD: no namespaces, no mounts; a jail that a process with CAP_SYS_CHROOT can leave).")
    var isolation: Isolation = .pivotRoot

    @Option(name: .customLong("keep-upper"), help: "Keep the overlay's upper layer (the container's changes) in this directory.")
    var keepUpper: String?

    @Option(name: .customLong("memory"), parsing: .unconditional, help: "Memory limit, e.g. 64m or 1g (binary units).")
    var memory: String?

    @Option(name: .customLong("cpus"), parsing: .unconditional, help: "CPU bandwidth in CPUs, e.g. 0.5 (CFS quota per 100 ms period).")
    var cpus: Double?

    @Option(name: .customLong("pids"), parsing: .unconditional, help: "Maximum number of tasks (processes and threads).")
    var pids: Int?

    @Option(name: .customLong("hostname"), help: "Hostname in the container's UTS namespace (default vsim-<id>).")
    var hostname: String?

    @Option(name: .customLong("network"), help: "none (own network namespace with only loopback) or host.")
    var network: NetworkMode = .none

    @Flag(name: .customLong("rootless"), help: "Use a user namespace (for unprivileged users); limits that cannot be applied are reported.")
    var rootless = false

    @Flag(name: .customLong("timings"), help: "Print the time of each phase in microseconds on stderr.")
    var timings = false

    @Option(name: .customLong("cap-add"), help: "Add a capability to Docker's default 14 (name as in capabilities(7), with or without CAP_, or ALL); repeatable.")
    var capAdd: [String] = []

    @Option(name: .customLong("cap-drop"), help: "Drop a capability (or ALL) from the default set; repeatable.")
    var capDrop: [String] = []

    @Option(name: .customLong("seccomp"), help: "default (Docker's seccomp profile: the rest of the system calls fail with EPERM) or unconfined (no filter).")
    var seccomp: SeccompMode = .default

    @Option(name: .customLong("system-paths"), help: "masked (OCI default: /proc/kcore, /proc/keys, ... masked; /proc/sys, /proc/sysrq-trigger, ... read-only) or unconfined.")
    var systemPaths: SystemPathsMode = .masked

    @Flag(name: .customLong("init"), help: "Run a minimal init as PID 1 that forwards signals to CMD and reaps orphaned processes (like docker run --init).")
    var useInit = false

    @Option(name: .customLong("time-limit"), parsing: .unconditional, help: "Kill the whole container after this many seconds (exit status 152).")
    var timeLimit: Double?

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func run() throws {
        let status = ContainerCommandLine.run(rootfs: rootfs, keepUpper: keepUpper, memory: memory, cpus: cpus, pids: pids,
                                              hostname: hostname, network: network, rootless: rootless,
                                              timings: timings, capAdd: capAdd, capDrop: capDrop, seccomp: seccomp,
                                              systemPaths: systemPaths, useInit: useInit, timeLimit: timeLimit,
                                              image: image, imageStore: store, isolation: isolation, command: command)
        if status != 0 { exitVSim(status) }
    }
}

struct ContainerPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove the vsim- cgroups and state directories that killed vsims left behind.")

    func run() throws {
        let status = ContainerCommandLine.prune()
        if status != 0 { exitVSim(status) }
    }
}

extension NetworkMode: ChoiceArgument {}
extension Isolation: ChoiceArgument {}
extension SeccompMode: ChoiceArgument {}
extension SystemPathsMode: ChoiceArgument {}
