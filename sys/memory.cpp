// memcpy, memmove, memset, memcmp, strlen: the compiler emits calls to these
// (struct copies, zeroing, loops it recognises) even in freestanding code, so
// the runtime must define them. They are weak: a hosted program (the tests,
// the benchmarks) that links libc beside librawrt.a keeps libc's, even when a
// static link pulls both objects in.
//
// -fno-tree-loop-distribute-patterns (RT_FLAGS) keeps GCC from turning the
// loops below back into calls to the functions they implement.

#include <cstddef>
#include <cstdint>

extern "C" {

[[gnu::weak]] void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
#if defined(__x86_64__)
    // rep movsb is the fastest general copy on CPUs with ERMS (all x86_64 of
    // the last decade) and short to write.
    void* ret = dst;
    asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    return ret;
#else
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    for (; n >= 8; n -= 8, d += 8, s += 8) {
        uint64_t w;
        __builtin_memcpy(&w, s, 8);  // a single unaligned load, not a call
        __builtin_memcpy(d, &w, 8);
    }
    while (n--) *d++ = *s++;
    return dst;
#endif
}

[[gnu::weak]] void* memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    if (d == s || n == 0) return dst;
    if (d < s || d >= s + n) return memcpy(dst, src, n);  // no harmful overlap
    while (n--) d[n] = s[n];                               // copy backwards
    return dst;
}

[[gnu::weak]] void* memset(void* dst, int c, size_t n) {
#if defined(__x86_64__)
    void* ret = dst;
    asm volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
    return ret;
#else
    auto* d = static_cast<unsigned char*>(dst);
    uint64_t w = 0x0101010101010101ull * static_cast<unsigned char>(c);
    for (; n >= 8; n -= 8, d += 8) __builtin_memcpy(d, &w, 8);
    while (n--) *d++ = static_cast<unsigned char>(c);
    return dst;
#endif
}

[[gnu::weak]] int memcmp(const void* a, const void* b, size_t n) {
    auto* x = static_cast<const unsigned char*>(a);
    auto* y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; ++i)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

[[gnu::weak]] size_t strlen(const char* s) {
    const char* p = s;
    while (*p) ++p;
    return static_cast<size_t>(p - s);
}

}  // extern "C"
