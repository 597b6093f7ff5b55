// _start: the ELF entry point of a freestanding rawrt program.
//
// ABI (what the kernel hands over, arm64 ELF ABI):
//   sp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
//        (sp is 16-byte aligned already)
//   x0  = a destructor for the dynamic linker (0 for a static binary; ignored)
// out: calls rawrt_start_c(initial_sp) in sys/startup.cpp, which never returns.
//
// The frame chain ends here: x29 = x30 = 0 and x30 marked undefined, so gdb and
// frame-record walkers stop at _start.

#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(_start)
    .cfi_undefined x30
    mov     x29, #0             // outermost frame record
    mov     x30, #0
    mov     x0, sp              // argc/argv/envp/auxv for C++
    bl      rawrt_start_c
    brk     #0                  // unreachable: rawrt_start_c exits
RAWRT_END(_start)

RAWRT_GNU_PROPERTY_NOTE
