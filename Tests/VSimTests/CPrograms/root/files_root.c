/* The file calls inside a root: run natively in a chroot of a prepared directory and under
 * `vsim run --root` of the same directory (RootedFilesTests.swift), the output must be equal.
 * The directory holds /data/hello.txt, /etc/passwd (a stand-in), symlinks pointing out of the
 * root (/data/up -> ../../../../.., /data/abs -> /etc/passwd, /data/out -> ../../secret.txt),
 * and next to the root, outside it, secret.txt, which must never be read. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ename(int e) {
    switch (e) {
    case 0: return "0"; case ENOENT: return "ENOENT"; case ENOTDIR: return "ENOTDIR"; case EEXIST: return "EEXIST";
    case EISDIR: return "EISDIR"; case ENOTEMPTY: return "ENOTEMPTY"; case EBUSY: return "EBUSY"; case EINVAL: return "EINVAL";
    case ELOOP: return "ELOOP"; case EBADF: return "EBADF"; case EACCES: return "EACCES"; case EXDEV: return "EXDEV";
    default: return "other";
    }
}

/* Runs one call and prints its result and errno (in this order: printf's arguments are not). */
#define CALL(label, expr) do { errno = 0; long rc_ = (long)(expr); printf("%s: %ld %s\n", label, rc_, ename(errno)); } while (0)

static void show_open(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("open %-28s -> %s\n", path, ename(errno)); return; }
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
    printf("open %-28s -> fd %d: \"%s\"\n", path, fd, buf);
    close(fd);
}

static void show_stat(const char *path) {
    struct stat s, l;
    int a = stat(path, &s), b = lstat(path, &l);
    printf("stat %-20s -> %s mode %o size %ld | lstat %s mode %o\n", path, a ? ename(errno) : "ok",
           a ? 0 : (unsigned)s.st_mode, a ? 0L : (long)s.st_size, b ? "fail" : "ok", b ? 0 : (unsigned)l.st_mode);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *paths[] = {"/data/hello.txt", "data/hello.txt", "/etc/passwd", "../../../etc/passwd", "/../secret.txt",
                           "../secret.txt", "/data/abs", "/data/up/etc/passwd", "/data/up/../secret.txt", "/data/out",
                           "/data/missing", "/data/hello.txt/x", "/data/loop"};
    for (unsigned i = 0; i < sizeof paths / sizeof *paths; i++) show_open(paths[i]);

    int dir = open("/data", O_RDONLY | O_DIRECTORY);
    int fd = openat(dir, "../etc/passwd", O_RDONLY);
    char buf[64] = {0};
    read(fd, buf, 20);
    printf("openat(/data, ../etc/passwd): \"%.14s\"\n", buf);
    close(fd);
    fd = openat(dir, "../../..", O_RDONLY | O_DIRECTORY);
    struct stat rs, ds;
    fstat(fd, &rs);
    stat("/", &ds);
    printf("openat(/data, ../../..) is / : %d\n", rs.st_ino == ds.st_ino && rs.st_dev == ds.st_dev);
    close(fd);

    show_stat("/data/hello.txt");
    show_stat("/data/abs");
    show_stat("/data/out");
    show_stat("/data");
    char link[64] = {0};
    ssize_t ln = readlink("/data/up", link, sizeof link - 1);
    printf("readlink /data/up: %zd \"%s\"\n", ln, link);
    CALL("readlink of a file", readlink("/data/hello.txt", link, sizeof link));

    DIR *d = fdopendir(dup(dir));
    struct dirent *e;
    int names = 0;
    char list[512] = {0};
    while ((e = readdir(d))) {
        names++;
        strcat(list, e->d_name);
        strcat(list, e->d_type == DT_LNK ? "@ " : e->d_type == DT_DIR ? "/ " : " ");
    }
    closedir(d);
    printf("readdir /data: %d entries: %s\n", names, list);

    CALL("access hello R_OK", access("/data/hello.txt", R_OK));
    CALL("access missing", access("/nope", F_OK));
    CALL("faccessat W_OK", faccessat(dir, "hello.txt", W_OK, 0));
    CALL("mkdir /work", mkdir("/work", 0755));
    CALL("mkdir /work again", mkdir("/work", 0755));
    fd = open("/work/new.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    printf("create: fd %d\n", fd);
    CALL("write", write(fd, "0123456789abcdef", 16));
    CALL("lseek", lseek(fd, 4, SEEK_SET));
    printf("read: ");
    memset(buf, 0, sizeof buf);
    read(fd, buf, 4);
    printf("\"%s\", pread at 10: ", buf);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 3, 10);
    printf("\"%s\", lseek64 end: %lld\n", buf, (long long)lseek64(fd, 0, SEEK_END));
    pwrite(fd, "XY", 2, 0);
    struct stat fs;
    fstat(fd, &fs);
    char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("fstat size %ld, mmap \"%.16s\"\n", (long)fs.st_size, m);
    munmap(m, 4096);

    int d2 = dup(fd), d3 = dup2(fd, 20), d4 = dup3(fd, 21, O_CLOEXEC);
    printf("dup %d dup2 %d dup3 %d\n", d2, d3, d4);
    CALL("F_GETFD of dup2", fcntl(d3, F_GETFD));
    CALL("F_GETFD of dup3 O_CLOEXEC", fcntl(d4, F_GETFD));
    CALL("shared offset", lseek(d2, 0, SEEK_CUR));
    CALL("F_GETFL is O_RDWR", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
    CALL("F_DUPFD from 30", fcntl(fd, F_DUPFD, 30));
    close(d2); close(d3); close(d4); close(30);
    CALL("close twice", close(d2));

    int pipefd[2];
    CALL("pipe", pipe(pipefd));
    printf("pipe fds %d %d\n", pipefd[0], pipefd[1]);
    write(pipefd[1], "through", 7);
    memset(buf, 0, sizeof buf);
    ssize_t got = read(pipefd[0], buf, sizeof buf);
    printf("read \"%.*s\"\n", (int)got, buf);
    close(pipefd[0]); close(pipefd[1]);
    CALL("pipe2 O_CLOEXEC", pipe2(pipefd, O_CLOEXEC));
    CALL("its FD_CLOEXEC", fcntl(pipefd[0], F_GETFD));
    close(pipefd[0]); close(pipefd[1]);
    close(fd);

    CALL("rename", rename("/work/new.txt", "/work/moved.txt"));
    CALL("old name", access("/work/new.txt", F_OK));
    CALL("rename out of the root", rename("/work/moved.txt", "../../escaped.txt"));
    show_open("/escaped.txt");
    CALL("rmdir /work, emptied by the rename", rmdir("/work"));
    CALL("mkdir /work", mkdir("/work", 0700));
    CALL("unlink a directory", unlink("/work"));
    CALL("unlink with a trailing slash", unlink("/escaped.txt/"));
    CALL("unlink", unlink("/escaped.txt"));
    CALL("unlink missing", unlink("/work/moved.txt"));
    CALL("rmdir", rmdir("/work"));
    CALL("rmdir /", rmdir("/"));
    CALL("rmdir /data/..", rmdir("/data/.."));
    CALL("rmdir /data/.", rmdir("/data/."));
    CALL("unlink /data/..", unlink("/data/.."));
    CALL("mkdir /data/..", mkdir("/data/..", 0755));
    CALL("mkdir /", mkdir("/", 0755));
    CALL("rename /data/..", rename("/data/..", "/x"));
    close(dir);
    return 0;
}
