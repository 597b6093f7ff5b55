// _start: the ELF entry point of a freestanding rawrt program.
//
// ABI (what the kernel hands over, System V x86_64 psABI §3.4):
//   rsp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
//   rdx  = a destructor for the dynamic linker (always 0 for a static binary;
//          ignored)
//   every other register is undefined.
// out: calls rawrt_start_c(initial_sp) in sys/startup.cpp, which never returns.
//
// The frame chain ends here: rbp = 0 and rip marked undefined, so gdb and any
// frame-pointer walker stop at _start instead of reading garbage.

#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(_start)
    .cfi_undefined rip
    xor     %ebp, %ebp          // outermost frame
    mov     %rsp, %rdi          // argc/argv/envp/auxv for C++
    and     $-16, %rsp          // the psABI wants rsp % 16 == 0 before a call
    call    rawrt_start_c
    hlt                         // unreachable: rawrt_start_c exits
RAWRT_END(_start)

RAWRT_GNU_PROPERTY_NOTE
