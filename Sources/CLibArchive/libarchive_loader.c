/* The archive_* functions Sources/Images calls, each forwarding to libarchive.so.13, which the
 * first call loads (include/libarchive_loader.h says why vsim does not link it). The table lists
 * each function with its prototype from <archive.h>/<archive_entry.h> (libarchive 3.x, soname 13)
 * and what it returns when the library cannot be loaded: NULL for the constructors (Images reports
 * vsim_libarchive_error then), ARCHIVE_FATAL for status codes; the rest are only ever called on an
 * object a constructor returned. The compiler checks every row against the library's header. */
#include "libarchive_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

/* F(return type, name, parameters, arguments, value when not loaded); V(name, parameters, arguments)
 * for the functions that return nothing. */
#define LIBARCHIVE_FUNCTIONS(F, V) \
    V(archive_entry_copy_pathname, (struct archive_entry *a, const char *b), (a, b)) \
    V(archive_entry_copy_sourcepath, (struct archive_entry *a, const char *b), (a, b)) \
    F(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *a), (a), 0) \
    V(archive_entry_free, (struct archive_entry *a), (a)) \
    F(const char *, archive_entry_hardlink, (struct archive_entry *a), (a), NULL) \
    F(struct archive_entry *, archive_entry_new, (void), (), NULL) \
    F(const char *, archive_entry_pathname, (struct archive_entry *a), (a), NULL) \
    F(dev_t, archive_entry_rdevmajor, (struct archive_entry *a), (a), 0) \
    F(dev_t, archive_entry_rdevminor, (struct archive_entry *a), (a), 0) \
    V(archive_entry_set_gid, (struct archive_entry *a, la_int64_t b), (a, b)) \
    V(archive_entry_set_gname, (struct archive_entry *a, const char *b), (a, b)) \
    V(archive_entry_set_hardlink, (struct archive_entry *a, const char *b), (a, b)) \
    V(archive_entry_set_mode, (struct archive_entry *a, __LA_MODE_T b), (a, b)) \
    V(archive_entry_set_mtime, (struct archive_entry *a, time_t b, long c), (a, b, c)) \
    V(archive_entry_set_pathname, (struct archive_entry *a, const char *b), (a, b)) \
    V(archive_entry_set_rdev, (struct archive_entry *a, dev_t b), (a, b)) \
    V(archive_entry_set_size, (struct archive_entry *a, la_int64_t b), (a, b)) \
    V(archive_entry_set_uid, (struct archive_entry *a, la_int64_t b), (a, b)) \
    V(archive_entry_set_uname, (struct archive_entry *a, const char *b), (a, b)) \
    F(la_int64_t, archive_entry_size, (struct archive_entry *a), (a), 0) \
    F(int, archive_entry_size_is_set, (struct archive_entry *a), (a), ARCHIVE_FATAL) \
    F(const char *, archive_entry_symlink, (struct archive_entry *a), (a), NULL) \
    V(archive_entry_xattr_add_entry, (struct archive_entry *a, const char *b, const void *c, size_t d), (a, b, c, d)) \
    V(archive_entry_xattr_clear, (struct archive_entry *a), (a)) \
    F(int, archive_entry_xattr_next, (struct archive_entry *a, const char **b, const void **c, size_t *d), (a, b, c, d), ARCHIVE_FATAL) \
    F(int, archive_entry_xattr_reset, (struct archive_entry *a), (a), ARCHIVE_FATAL) \
    F(const char *, archive_error_string, (struct archive *a), (a), NULL) \
    F(la_ssize_t, archive_read_data, (struct archive *a, void *b, size_t c), (a, b, c), ARCHIVE_FATAL) \
    F(int, archive_read_disk_entry_from_file, (struct archive *a, struct archive_entry *b, int c, const struct stat *d), (a, b, c, d), ARCHIVE_FATAL) \
    F(struct archive *, archive_read_disk_new, (void), (), NULL) \
    F(int, archive_read_disk_set_symlink_physical, (struct archive *a), (a), ARCHIVE_FATAL) \
    F(int, archive_read_free, (struct archive *a), (a), ARCHIVE_FATAL) \
    F(struct archive *, archive_read_new, (void), (), NULL) \
    F(int, archive_read_next_header, (struct archive *a, struct archive_entry **b), (a, b), ARCHIVE_FATAL) \
    F(int, archive_read_open_filename, (struct archive *a, const char *b, size_t c), (a, b, c), ARCHIVE_FATAL) \
    F(int, archive_read_support_filter_all, (struct archive *a), (a), ARCHIVE_FATAL) \
    F(int, archive_read_support_format_raw, (struct archive *a), (a), ARCHIVE_FATAL) \
    F(int, archive_read_support_format_tar, (struct archive *a), (a), ARCHIVE_FATAL) \
    F(int, archive_write_close, (struct archive *a), (a), ARCHIVE_FATAL) \
    F(la_ssize_t, archive_write_data, (struct archive *a, const void *b, size_t c), (a, b, c), ARCHIVE_FATAL) \
    F(struct archive *, archive_write_disk_new, (void), (), NULL) \
    F(int, archive_write_disk_set_options, (struct archive *a, int b), (a, b), ARCHIVE_FATAL) \
    F(int, archive_write_finish_entry, (struct archive *a), (a), ARCHIVE_FATAL) \
    F(int, archive_write_free, (struct archive *a), (a), ARCHIVE_FATAL) \
    F(int, archive_write_header, (struct archive *a, struct archive_entry *b), (a, b), ARCHIVE_FATAL) \
    F(struct archive *, archive_write_new, (void), (), NULL) \
    F(int, archive_write_open_filename, (struct archive *a, const char *b), (a, b), ARCHIVE_FATAL) \
    F(int, archive_write_set_bytes_in_last_block, (struct archive *a, int b), (a, b), ARCHIVE_FATAL) \
    F(int, archive_write_set_format_pax_restricted, (struct archive *a), (a), ARCHIVE_FATAL)

#define POINTER(ret, name, params, args, fail) static __typeof__(name) *p_##name;
#define VPOINTER(name, params, args) static __typeof__(name) *p_##name;
LIBARCHIVE_FUNCTIONS(POINTER, VPOINTER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure;
static char failure_text[512];

static void load(void) {
    void *library = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(failure_text, sizeof failure_text, "%s", why != NULL ? why : "libarchive.so.13 cannot be loaded");
        failure = failure_text;
        return;
    }
#define RESOLVE(name) \
    if ((p_##name = (__typeof__(name) *)dlsym(library, #name)) == NULL) { \
        failure = "libarchive.so.13 lacks " #name " (vsim needs libarchive 3.x)"; \
        return; \
    }
#define RESOLVE_F(ret, name, params, args, fail) RESOLVE(name)
#define RESOLVE_V(name, params, args) RESOLVE(name)
    LIBARCHIVE_FUNCTIONS(RESOLVE_F, RESOLVE_V)
}

int vsim_libarchive_load(void) {
    pthread_once(&once, load);
    return failure == NULL ? 0 : -1;
}

const char *vsim_libarchive_error(void) {
    vsim_libarchive_load();
    return failure;
}

#define FORWARD(ret, name, params, args, fail) \
    ret name params { \
        if (vsim_libarchive_load() != 0) return fail; \
        return p_##name args; \
    }
#define FORWARD_V(name, params, args) \
    void name params { \
        if (vsim_libarchive_load() != 0) return; \
        p_##name args; \
    }
LIBARCHIVE_FUNCTIONS(FORWARD, FORWARD_V)
