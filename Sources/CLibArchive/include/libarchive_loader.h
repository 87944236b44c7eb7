#ifndef VSIM_LIBARCHIVE_LOADER_H
#define VSIM_LIBARCHIVE_LOADER_H
/* libarchive for Sources/Images (ArchiveExtractor, LayerWriter, BlobFile): reading image archives
 * and layer tarballs (tar, with gzip/zstd/... filters), writing their entries to disk, and writing
 * layers.
 *
 * vsim does not link libarchive: libarchive.so.13 and the libraries it needs (libxml2 and ICU,
 * nettle, acl, lzma, zstd, lz4, bz2) would cost every vsim process about 1.5 ms of dynamic
 * loading before main (docs/performance.md), and only the image commands use them. Instead,
 * libarchive_loader.c defines the archive_* functions Images calls; the first call loads
 * libarchive.so.13 with dlopen(3) and every later call goes straight to the library's function.
 * A function vsim did not list there is a link error, not a crash. */
#include <archive.h>
#include <archive_entry.h>

/* Loads libarchive.so.13 and resolves every function Images calls, once (thread-safe).
 * Returns 0 when loaded; -1 when it cannot be (then vsim_libarchive_error says why). */
int vsim_libarchive_load(void);

/* Why vsim_libarchive_load failed (dlerror's text), or NULL when it did not. */
const char *vsim_libarchive_error(void);

#endif
