// Statistics counters: relaxed atomics, each read as a moment's reading
// (rawrt::stats(), the pollers' and sysmon's counters).
#pragma once

#include <atomic>
#include <cstdint>

namespace rawrt::sys {

// Any thread may add.
inline void counter_add(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

// For a counter only one thread writes (an M's own): a load and a store, no
// locked instruction, which the syscall path cannot afford.
inline void counter_inc_owned(std::atomic<uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace rawrt::sys
