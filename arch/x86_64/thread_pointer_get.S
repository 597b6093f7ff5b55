// void* rawrt_thread_pointer_get(void);
//
// Returns the calling thread's TCB address. The x86_64 TLS ABI keeps the
// TCB's own address at %fs:0 (rawrt's TCB and glibc's alike), which is
// cheaper than rdfsbase and works on CPUs or kernels without FSGSBASE.
// arch/thread_pointer.hpp has the same load inline for hot paths.
//
// ABI: out rax = TCB address; clobbers nothing else.

#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_thread_pointer_get)
    mov     %fs:0, %rax
    ret
RAWRT_END(rawrt_thread_pointer_get)

RAWRT_GNU_PROPERTY_NOTE
