// The thread pointer read inline, for hot paths (getg() on every scheduling
// decision) where a call to rawrt_thread_pointer_get would cost more than the
// read itself. Same contract as that routine: the TCB address of the calling
// thread. Only valid once a TCB is installed (glibc's on a libc thread).
// volatile: a G can move to another thread across any call, so the compiler
// must not reuse a read from before the call.
#pragma once

#include <cstdint>

namespace rawrt::arch {

inline uintptr_t thread_pointer() {
    uintptr_t tp;
#if defined(__x86_64__)
    // The TLS ABI keeps the TCB's own address at %fs:0.
    asm volatile("mov %%fs:0, %0" : "=r"(tp));
#elif defined(__aarch64__)
    asm volatile("mrs %0, tpidr_el0" : "=r"(tp));
#else
#error "rawrt supports x86_64 and aarch64"
#endif
    return tp;
}

}  // namespace rawrt::arch
