// A per-P cache of spans (Go: mcache in runtime/mcache.go): one span per
// size class to allocate from, used only by the M that holds the P, so the
// common allocation and free need no lock and no atomic read-modify-write.
//
// It lives on the P, not the M, for the reason Go's does: when an M blocks in
// a syscall and sysmon hands its P to another M, the new M inherits the cache
// with the P and keeps allocating lock-free; a blocked M holds no memory
// hostage, and there are never more caches than Ps.
#pragma once

#include <atomic>
#include <cstdint>

#include "mem/mspan.hpp"
#include "mem/sizeclasses.hpp"

namespace rawrt::mem {

// Go: emptymspan. Stands in for "no span" so the allocation fast path needs
// no null check: it has no free object, so it sends the caller to refill.
extern constinit mspan emptymspan;

struct mcache {
    mspan* alloc[_NumSizeClasses];  // Go: alloc, by size class
    // Bytes allocated minus bytes freed through this cache. Written by its
    // owner only (a load and a store); summed by malloc_stats.
    std::atomic<int64_t> inuse{0};
    mcache* next = nullptr;  // mheap_.all_caches
    mcache* prev = nullptr;

    mcache() {
        for (auto& s : alloc) s = &emptymspan;
    }

    // Go: refill. Called when alloc[spc] has no free object: takes the frees
    // other Ps made into it, else trades it for a span from the central
    // list. Returns a span with a free object (now in alloc[spc]), or nullptr
    // when the OS refuses memory.
    mspan* refill(int spc);
    // Go: releaseAll. Every span back to its central list.
    void releaseAll();

    void count(int64_t bytes) { inuse.store(inuse.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed); }
};

}  // namespace rawrt::mem
