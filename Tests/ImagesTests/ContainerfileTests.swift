import Testing
@testable import Images

@Suite("The Containerfile subset (Dockerfile reference: FROM, COPY, RUN, ENV, WORKDIR, CMD)")
struct ContainerfileTests {
    @Test func parsesTheSubset() throws {
        let text = """
            # comment
            FROM scratch
            COPY a b /dest/
            RUN ["/bin/busybox", "--install", "-s", "/bin"]
            RUN echo one && \\
                echo two
            ENV A=1 B="two words"
            ENV C three four
            WORKDIR /work
            CMD echo hi
            """
        let f = try Containerfile(parsing: text, file: "Containerfile")
        #expect(f.steps.map(\.instruction) == [
            .from(nil), .copy(sources: ["a", "b"], destination: "/dest/"),
            .run(["/bin/busybox", "--install", "-s", "/bin"]), .run(["/bin/sh", "-c", "echo one && echo two"]),
            .env(["A=1", "B=two words"]), .env(["C=three four"]), .workdir("/work"), .cmd(["/bin/sh", "-c", "echo hi"]),
        ])
        #expect(f.steps.map(\.line) == [2, 3, 4, 5, 7, 8, 9, 10])
    }

    @Test(arguments: [
        ("RUN true", "the first instruction must be FROM"),
        ("FROM scratch\nADD x /", ":2: ADD is outside vsim's Containerfile subset"),
        ("FROM scratch\nCOPY --chown=1 a b", "COPY options"),
        ("FROM scratch\nCOPY a", "at least one source and a destination"),
        ("FROM scratch\nRUN [\"unclosed\"", "not a JSON array"),
        ("FROM scratch\nFROM scratch", "a second FROM"),
        ("FROM base AS build", "one image name"),
    ])
    func refusesWhatIsOutside(text: String, message: String) {
        do {
            _ = try Containerfile(parsing: text, file: "Containerfile")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.exitStatus == 65 && error.description.contains(message), "\(error.description)")
        }
    }

    @Test func workdirJoinsLikeDocker() {
        #expect(ImageBuilder.join("/", "work") == "/work")
        #expect(ImageBuilder.join("/a/b", "../c") == "/a/c")
        #expect(ImageBuilder.join("/a", "/abs/./x") == "/abs/x")
    }

    /// The cache key changes with the parent, the instruction and the content COPY reads,
    /// and only with those.
    @Test func cacheKeys() {
        let root = BuildCache.root(nil)
        let a = BuildCache.key(parent: root, instruction: "COPY f /f", content: Digest.of(Array("1".utf8)))
        #expect(a == BuildCache.key(parent: root, instruction: "COPY f /f", content: Digest.of(Array("1".utf8))))
        #expect(a != BuildCache.key(parent: root, instruction: "COPY f /f", content: Digest.of(Array("2".utf8))))
        #expect(a != BuildCache.key(parent: root, instruction: "COPY f /g", content: Digest.of(Array("1".utf8))))
        #expect(BuildCache.key(parent: a, instruction: "RUN x") != BuildCache.key(parent: root, instruction: "RUN x"))
    }
}
