// Text the runtime reads: the environment (RAWRT_MAXPROCS, RAWRT_DEBUG),
// network names, and, for freestanding programs, arguments.
#pragma once

#include <cstdint>

namespace rawrt::sys {

// The unsigned decimal in [s, end) (end == nullptr: up to the terminating
// NUL), or -1 when it is empty, holds anything but digits, or exceeds max.
int64_t parse_decimal(const char* s, const char* end, int64_t max);

// Whether two NUL-terminated strings are equal (strcmp(a, b) == 0).
inline bool same(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

}  // namespace rawrt::sys
