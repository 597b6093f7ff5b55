// The page heap (Go: mheap in runtime/mheap.go): arenas mapped from the OS,
// cut into spans of whole pages; the central lists of every size class; the
// record of large objects, which get an mmap of their own.
//
// Arena layout (64 MiB, aligned to 64 MiB, so p & ~(64 MiB - 1) is the arena
// of any small object p):
//
//   +---------------------------------+ arena base = heapArena*
//   | heapArena: next, zeroedBase,    |
//   |   page_map[8192]  page -> first  |  kArenaMetaPages pages, touched only
//   |                  page of span   |  where spans are (mapped NORESERVE)
//   |   spans[8192]    mspan records, |
//   |                  by first page  |
//   +---------------------------------+ kArenaMetaPages * 8 KiB
//   | spans of 1..10 pages, and free  |
//   | runs between them               |
//   +---------------------------------+ base + 64 MiB
//
// Go keeps heapArena and its mspans apart from the arena (persistentalloc,
// fixalloc); keeping them inside makes teardown a single munmap per arena and
// gives every page run a span record without a separate allocator. Go maps
// a page to its *mspan; the page map here holds 16-bit page numbers.
//
// Locks: a central lock may be held while taking the heap lock, never the
// reverse.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "locks/lock_futex.hpp"
#include "mem/mcache.hpp"
#include "mem/mcentral.hpp"
#include "mem/mspan.hpp"
#include "mem/sizeclasses.hpp"

namespace rawrt::mem {

inline constexpr size_t logHeapArenaBytes = 26;  // Go: logHeapArenaBytes (64 MiB on 64-bit Linux)
inline constexpr size_t heapArenaBytes = size_t{1} << logHeapArenaBytes;
inline constexpr size_t pagesPerArena = heapArenaBytes / pageSize;  // Go: pagesPerArena

struct heapArena {
    heapArena* next;  // mheap_.all_arenas
    // Go: zeroedBase, in pages: no span has ever used a page from here on, so
    // those pages are still the OS's zeroes.
    uint32_t zeroedBase;
    uint16_t page_map[pagesPerArena];
    mspan spans[pagesPerArena];
};
static_assert(pagesPerArena <= 65536, "page_map holds 16-bit page numbers");

inline constexpr size_t kArenaMetaPages = (sizeof(heapArena) + pageSize - 1) / pageSize;

// One large object: its own mapping.
struct large_object {
    large_object* next;
    uintptr_t base;
    size_t bytes;
};

// The OS page the large objects are rounded to (the smallest Linux has).
inline constexpr size_t physPageSize = 4096;

struct mheap {
    static constexpr size_t kArenaIndexSlots = 2048;  // a power of two
    static constexpr size_t kMaxArenas = kArenaIndexSlots * 3 / 4;
    static constexpr size_t kMaxFreeListPages = 16;
    static constexpr size_t kLargeBuckets = 256;

    locks::mutex lock;
    heapArena* all_arenas = nullptr;
    size_t narenas = 0;
    // Arena base by arena number (open addressing): mfree's "is this ours"
    // check without a lock. Filled under the lock, emptied only by teardown.
    std::atomic<uintptr_t> arenaIndex[kArenaIndexSlots] = {};
    // free[n]: free runs of exactly n pages; free[0]: longer ones.
    mSpanList free[kMaxFreeListPages + 1] = {};
    large_object* large[kLargeBuckets] = {};
    mcache* all_caches = nullptr;
    size_t mapped_bytes = 0;
    size_t large_mappings = 0;
    // Bytes in use not counted by any live cache: the central path, large
    // objects, and what freed caches left behind.
    std::atomic<int64_t> inuse{0};

    // Go pads each mcentral to a cache line so classes do not share one.
    struct alignas(64) paddedCentral {
        mem::mcentral mcentral;
    };
    paddedCentral central[_NumSizeClasses];

    // Go: allocSpan / freeSpan. A span of npages pages, state mSpanInUse
    // with needzero set; nullptr when the OS refuses another arena.
    mspan* allocSpan(size_t npages);
    void freeSpan(mspan* s);

    // The arena holding p, or nullptr when p is in none.
    heapArena* arena_of(uintptr_t p) const {
        const uintptr_t base = p & ~(heapArenaBytes - 1);
        for (size_t i = arena_slot(p);; i = (i + 1) & (kArenaIndexSlots - 1)) {
            const uintptr_t e = arenaIndex[i].load(std::memory_order_acquire);
            if (e == base) return reinterpret_cast<heapArena*>(e);
            if (e == 0) return nullptr;
        }
    }

    // Large objects, under the heap lock.
    void record_large(large_object* l);
    large_object* forget_large(uintptr_t base);  // nullptr when unknown
    size_t large_size(uintptr_t base);           // 0 when unknown

    void releaseAll();

    static size_t arena_slot(uintptr_t p) {
        return static_cast<size_t>(((p >> logHeapArenaBytes) * 0x9E3779B97F4A7C15ull) >> 53) & (kArenaIndexSlots - 1);
    }

private:
    mspan* alloc_span_locked(size_t npages);
    void freeSpanLocked(mspan* s);
    mspan* best_fit_locked(size_t npages);
    bool grow_locked();
    void insert_free(mspan* s);
    void remove_free(mspan* s);
};
static_assert(mheap::kArenaIndexSlots == size_t{1} << (64 - 53));

// Go: mheap_, the one heap.
extern constinit mheap mheap_;

inline mcentral& central_of(int spc) { return mheap_.central[spc].mcentral; }

inline heapArena* arena_of_span(const mspan* s) {
    return reinterpret_cast<heapArena*>(reinterpret_cast<uintptr_t>(s) & ~(heapArenaBytes - 1));
}

}  // namespace rawrt::mem
