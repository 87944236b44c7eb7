#ifndef VSIM_CLIBSECCOMP_SHIM_H
#define VSIM_CLIBSECCOMP_SHIM_H
/* libseccomp, to compile the container's seccomp profile into classic BPF:
   Sources/Containers/SeccompProfile.swift. Its action macros take arguments, which Swift cannot
   import, so they are repeated here as functions. */
#include <seccomp.h>
#include <stdint.h>

static inline uint32_t vsim_scmp_act_allow(void) { return SCMP_ACT_ALLOW; }
static inline uint32_t vsim_scmp_act_errno(uint16_t error) { return SCMP_ACT_ERRNO(error); }
#endif
