// memcpy, memmove, memset, memcmp, strlen: the compiler emits calls to these
// (struct copies, zeroing, loops it recognises) even in freestanding code, so
// the runtime must define them. They are rawrt_memcpy and so on, and the
// standard names are weak aliases of them: a hosted program (the tests, the
// benchmarks) that links libc beside librawrt.a keeps libc's for its own
// calls, while the runtime's calls, renamed at build time (the Makefile's
// RT_TEXT rule), always reach these, inside the runtime's text
// (sys/runtime_text.hpp).
//
// The bulk copy and fill are per architecture (arch/<arch>/memory.hpp).
// -fno-tree-loop-distribute-patterns (RT_FLAGS) keeps GCC from turning the
// loops below, and those inlined from there, back into calls to the
// functions they implement.

#include <cstddef>

#include "arch/arch.hpp"

extern "C" {

void* rawrt_memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
    rawrt::arch::copy_bytes(dst, src, n);
    return dst;
}

void* rawrt_memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    if (d == s || n == 0) return dst;
    if (d < s || d >= s + n) return rawrt_memcpy(dst, src, n);  // no harmful overlap
    while (n--) d[n] = s[n];                              // copy backwards
    return dst;
}

void* rawrt_memset(void* dst, int c, size_t n) {
    rawrt::arch::fill_bytes(dst, c, n);
    return dst;
}

int rawrt_memcmp(const void* a, const void* b, size_t n) {
    auto* x = static_cast<const unsigned char*>(a);
    auto* y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; ++i)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t rawrt_strlen(const char* s) {
    const char* p = s;
    while (*p) ++p;
    return static_cast<size_t>(p - s);
}

[[gnu::weak, gnu::alias("rawrt_memcpy")]] void* memcpy(void* __restrict dst, const void* __restrict src, size_t n);
[[gnu::weak, gnu::alias("rawrt_memmove")]] void* memmove(void* dst, const void* src, size_t n);
[[gnu::weak, gnu::alias("rawrt_memset")]] void* memset(void* dst, int c, size_t n);
[[gnu::weak, gnu::alias("rawrt_memcmp")]] int memcmp(const void* a, const void* b, size_t n);
[[gnu::weak, gnu::alias("rawrt_strlen")]] size_t strlen(const char* s);

}  // extern "C"
