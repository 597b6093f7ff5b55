// void* rawrt_thread_pointer_get(void);
//
// Returns tpidr_el0, the calling thread's TCB address.
// arch/thread_pointer.hpp has the same read inline for hot paths.
//
// ABI: out x0 = TCB address; clobbers nothing else.

#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(rawrt_thread_pointer_get)
    mrs     x0, tpidr_el0
    ret
RAWRT_END(rawrt_thread_pointer_get)

RAWRT_GNU_PROPERTY_NOTE
