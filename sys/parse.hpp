// Decimal numbers in text the runtime reads: the environment
// (RAWRT_MAXPROCS, RAWRT_DEBUG) and, for freestanding programs, arguments.
#pragma once

#include <cstdint>

namespace rawrt::sys {

// The unsigned decimal in [s, end) (end == nullptr: up to the terminating
// NUL), or -1 when it is empty, holds anything but digits, or exceeds max.
int64_t parse_decimal(const char* s, const char* end, int64_t max);

}  // namespace rawrt::sys
