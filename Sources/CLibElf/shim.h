#ifndef VSIM_CLIBELF_SHIM_H
#define VSIM_CLIBELF_SHIM_H
/* libelf (elfutils) for reading ELF32 guest images: Sources/Guest/ELFImage.swift. */
#include <libelf.h>
#include <gelf.h>
#endif
