// Host faults of the translator's generated code (Sources/Translation, docs/risc-target.md,
// "Guest pages with host protections"). In user-mode emulation every mapped guest page carries
// the host protection that generated code's fast path may use (no access, read, read+write; a
// page holding translated code read-only), so a load or store needs no inline permission check.
// An access the guest page does not allow then arrives as a host SIGSEGV (or SIGBUS) at that
// access's instruction; this shim's handler finds the instruction in the fault map of the code
// buffer it lies in and resumes at that access's slow path, which does what the inline check's
// jump used to lead to (a precise #PF, a store into code, a page-crossing access). The idea is
// QEMU user mode's (linux-user host_signal_handler, accel/tcg/user-exec.c); the code is not.
//
// Boundary: only what Swift cannot do in a signal handler is here (read and rewrite the
// ucontext's RIP, chain to the handler that was installed before, an alternate stack). Which
// instruction goes where is decided in Swift (HostCodeGenerator records the pairs). A fault at
// any other instruction goes to the previous handler (Swift's backtracer, or the default action),
// so a real crash of vsim still crashes visibly.
#ifndef VSIM_TRANSLATION_FAULT_SHIM_H
#define VSIM_TRANSLATION_FAULT_SHIM_H
#include <stddef.h>
#include <stdint.h>

/// A map from code-buffer offsets of memory-access instructions to the offsets of their slow
/// paths, for one code buffer `[code, code + size)`. Opaque.
typedef struct vsim_fault_map vsim_fault_map;

/// Creates an empty map for the code buffer and registers it with the handler (which it
/// installs for SIGSEGV and SIGBUS with SA_SIGINFO | SA_ONSTACK when this is the first map, and
/// gives the calling thread an alternate signal stack when it has none). NULL when out of memory
/// or when 64 maps exist already; errno is set.
vsim_fault_map *vsim_fault_map_create(void *code, size_t size);

/// Unregisters and frees the map; the previous handlers come back when it was the last one.
void vsim_fault_map_destroy(vsim_fault_map *map);

/// Records that a fault at code offset `at` resumes at code offset `resume`. Returns 0, or -1
/// when out of memory. Must not run while generated code of this buffer runs on another thread.
int vsim_fault_map_add(vsim_fault_map *map, uint32_t at, uint32_t resume);

/// Forgets every recorded instruction (the code buffer was flushed).
void vsim_fault_map_clear(vsim_fault_map *map);

/// Faults redirected so far by this map (host faults taken by generated code).
uint64_t vsim_fault_map_redirects(const vsim_fault_map *map);

/// Gives the calling thread an alternate signal stack if it has none (the handler runs there).
void vsim_fault_prepare_thread(void);

#endif
