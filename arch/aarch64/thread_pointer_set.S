// long rawrt_thread_pointer_set(void* tcb);
//
// Points tpidr_el0 at tcb for the calling thread: the first thread's way to
// install its TCB; threads made by rawrt_clone get theirs from CLONE_SETTLS.
// Unlike x86_64 this needs no syscall: EL0 may write tpidr_el0 itself.
//
// ABI: in x0 = tcb; out x0 = 0 (cannot fail); clobbers nothing else.

#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(rawrt_thread_pointer_set)
    msr     tpidr_el0, x0
    mov     x0, #0
    ret
RAWRT_END(rawrt_thread_pointer_set)

RAWRT_GNU_PROPERTY_NOTE
