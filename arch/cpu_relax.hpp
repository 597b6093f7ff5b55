// A spin-wait hint: x86 `pause` (Go: procyield's PAUSE), aarch64 `yield`.
// Tells the core a spin loop is running so it can give the sibling hyperthread
// the pipeline and save power; not a syscall.
#pragma once

namespace rawrt::arch {

inline void cpu_relax() {
#if defined(__x86_64__)
    asm volatile("pause" ::: "memory");
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

}  // namespace rawrt::arch
