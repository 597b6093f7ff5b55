// The CPU's free-running counter (Go: cputicks): x86 `rdtsc`, aarch64
// `cntvct_el0` (which Linux lets user space read). Not a clock by itself:
// the tracer stamps events with it on x86_64, at a third of the vDSO
// clock's cost here, and turns the ticks into CLOCK_MONOTONIC nanoseconds
// with two readings of the vDSO clock taken beside it (sched/trace_json.cpp;
// sched/trace_buf.cpp says why aarch64 stamps with the vDSO clock).
#pragma once

#include <cstdint>

namespace rawrt::arch {

inline uint64_t cputicks() {
#if defined(__x86_64__)
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return static_cast<uint64_t>(hi) << 32 | lo;
#elif defined(__aarch64__)
    uint64_t v;
    asm volatile("mrs %0, cntvct_el0" : "=r"(v));
    return v;
#endif
}

}  // namespace rawrt::arch
