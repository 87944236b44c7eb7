#ifndef VSIM_CLIBARCHIVE_SHIM_H
#define VSIM_CLIBARCHIVE_SHIM_H
/* libarchive: reading image archives and layer tarballs (tar, with gzip/zstd/... filters) and
 * writing their entries to disk. Used only by Sources/Images (ArchiveReader, LayerUnpacker). */
#include <archive.h>
#include <archive_entry.h>
#endif
