// The page heap (Go: mheap in runtime/mheap.go): arenas mapped from the OS,
// cut into spans of whole pages; the central lists of every size class; the
// record of large objects, which get an mmap of their own.
//
// Arena layout (64 MiB, aligned to 64 MiB, so p & ~(64 MiB - 1) is the arena
// of any small object p):
//
//   +---------------------------------+ arena base = heapArena*
//   | heapArena: next, zeroedBase,    |
//   |   pagemap[8192]  page -> first  |  arenaMetaPages pages, touched only
//   |                  page of span   |  where spans are (mapped NORESERVE)
//   |   spans[8192]    mspan records, |
//   |                  by first page  |
//   +---------------------------------+ arenaMetaPages * 8 KiB
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
    heapArena* next;  // mheap_.allarenas
    // Go: zeroedBase, in pages: no span has ever used a page from here on, so
    // those pages are still the OS's zeroes.
    uint32_t zeroedBase;
    uint16_t pagemap[pagesPerArena];
    mspan spans[pagesPerArena];
};
static_assert(pagesPerArena <= 65536, "pagemap holds 16-bit page numbers");

inline constexpr size_t arenaMetaPages = (sizeof(heapArena) + pageSize - 1) / pageSize;

// One large object: its own mapping.
struct largeObject {
    largeObject* next;
    uintptr_t base;
    size_t bytes;
};

// The OS page the large objects are rounded to (the smallest Linux has).
inline constexpr size_t physPageSize = 4096;

struct mheap {
    static constexpr size_t arenaIndexSlots = 2048;  // a power of two
    static constexpr size_t maxArenas = arenaIndexSlots * 3 / 4;
    static constexpr size_t maxFreeListPages = 16;
    static constexpr size_t largeBuckets = 256;

    locks::mutex lock;
    heapArena* allarenas = nullptr;
    size_t narenas = 0;
    // Arena base by arena number (open addressing): mfree's "is this ours"
    // check without a lock. Filled under the lock, emptied only by teardown.
    std::atomic<uintptr_t> arenaIndex[arenaIndexSlots] = {};
    // free[n]: free runs of exactly n pages; free[0]: longer ones.
    mSpanList free[maxFreeListPages + 1] = {};
    largeObject* large[largeBuckets] = {};
    mcache* allcaches = nullptr;
    size_t mappedBytes = 0;
    size_t largeMappings = 0;
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
    heapArena* arenaOf(uintptr_t p) const {
        const uintptr_t base = p & ~(heapArenaBytes - 1);
        for (size_t i = arenaSlot(p);; i = (i + 1) & (arenaIndexSlots - 1)) {
            const uintptr_t e = arenaIndex[i].load(std::memory_order_acquire);
            if (e == base) return reinterpret_cast<heapArena*>(e);
            if (e == 0) return nullptr;
        }
    }

    // Large objects, under the heap lock.
    void recordLarge(largeObject* l);
    largeObject* forgetLarge(uintptr_t base);  // nullptr when unknown
    size_t largeSize(uintptr_t base);          // 0 when unknown

    void releaseAll();

    static size_t arenaSlot(uintptr_t p) {
        return static_cast<size_t>(((p >> logHeapArenaBytes) * 0x9E3779B97F4A7C15ull) >> 53) &
               (arenaIndexSlots - 1);
    }

private:
    mspan* allocSpanLocked(size_t npages);
    void freeSpanLocked(mspan* s);
    mspan* bestFitLocked(size_t npages);
    bool growLocked();
    void insertFree(mspan* s);
    void removeFree(mspan* s);
};
static_assert(mheap::arenaIndexSlots == size_t{1} << (64 - 53));

// Go: mheap_, the one heap.
extern constinit mheap mheap_;

inline mcentral& centralOf(int spc) { return mheap_.central[spc].mcentral; }

inline heapArena* arenaOfSpan(const mspan* s) {
    return reinterpret_cast<heapArena*>(reinterpret_cast<uintptr_t>(s) & ~(heapArenaBytes - 1));
}

}  // namespace rawrt::mem
