// The bulk copy and fill under sys/memory.cpp's memcpy and memset, on
// aarch64: a word at a time. ARMv8.0, which rawrt targets, has no block-copy
// instruction (FEAT_MOPS's CPY and SET came with v8.8). Only for
// sys/memory.cpp, whose flags keep GCC from turning these loops back into
// calls to memcpy and memset.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rawrt::arch {

// Copies n bytes front to back (memmove relies on that when dst < src).
inline void copy_bytes(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    for (; n >= 8; n -= 8, d += 8, s += 8) {
        uint64_t w;
        __builtin_memcpy(&w, s, 8);  // a single unaligned load, not a call
        __builtin_memcpy(d, &w, 8);
    }
    while (n--) *d++ = *s++;
}

inline void fill_bytes(void* dst, int c, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    uint64_t w = 0x0101010101010101ull * static_cast<unsigned char>(c);
    for (; n >= 8; n -= 8, d += 8) __builtin_memcpy(d, &w, 8);
    while (n--) *d++ = static_cast<unsigned char>(c);
}

}  // namespace rawrt::arch
