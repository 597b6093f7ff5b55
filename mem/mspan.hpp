// A span: a run of pages cut into objects of one size class (Go: mspan in
// runtime/mheap.go), and what every path does to the objects in it.
//
// Go finds free objects by sweeping mark bits; with an explicit free there is
// nothing to sweep, so a span keeps
//   - freeindex: objects from here on were never handed out since the span
//     was made; they are still zero when the pages were fresh (Go's freeindex),
//   - freelist: objects freed since, linked through their first word,
//   - allocBits: one bit per object, set while it is allocated (Go's
//     allocBits). A free that finds its bit clear is a double free.
// These three belong to whoever holds the span: the P whose cache has it
// (no lock), or its mcentral (under the central lock).
//
// Frees from other Ps into a cached span must not touch them: they push the
// object onto remote_free, a lock-free list whose low bit (span_cached) says the
// span is in some cache. The owner collects the list when it runs dry; the
// central collects it when the span leaves the cache. A span not in a cache
// has the bit clear and an empty list: frees into it take the central lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/sizeclasses.hpp"
#include "sys/fatal.hpp"

namespace rawrt::mem {

struct mcache;

// Go: mSpanState. Zeroed memory reads as mSpanDead: a page no span starts at.
enum class mSpanState : uint8_t {
    mSpanDead = 0,
    mSpanInUse,  // objects of one size class
    mSpanFree,   // a free run of pages in the heap (Go keeps those in pageAlloc)
};

inline constexpr uintptr_t span_cached = 1;

struct mspan {
    mspan* next = nullptr;  // in an mcentral list or a heap free list
    mspan* prev = nullptr;
    uintptr_t startAddr = 0;
    uint16_t npages = 0;
    uint8_t spanclass = 0;  // Go: spanclass, without the noscan bit
    mSpanState state = mSpanState::mSpanDead;
    bool needzero = false;  // the pages were used before: objects past freeindex are dirty too
    uint16_t nelems = 0;
    uint16_t freeindex = 0;
    uint16_t allocCount = 0;
    uint32_t elemsize = 0;
    uint32_t divMul = 0;  // Go: divMul, see objIndex
    void* freelist = nullptr;
    std::atomic<mcache*> owner{nullptr};  // the cache holding it, or nullptr
    std::atomic<uintptr_t> remote_free{0};
    uint64_t allocBits[kMaxObjsPerSpan / 64] = {};

    // Go: objIndex. One multiply instead of a division.
    uintptr_t objIndex(uintptr_t p) const { return ((p - startAddr) * divMul) >> 32; }

    // Go: nextFreeFast / nextFree, for the holder. nullptr when the span has
    // no free object (remote frees not counted); dirty says the object must
    // be cleared before it is handed out.
    void* nextFree(bool& dirty) {
        uintptr_t idx;
        void* v = freelist;
        if (v != nullptr) {
            idx = objIndex(reinterpret_cast<uintptr_t>(v));
            // A link overwritten after free (a use after free) must not send
            // us outside the span or between two objects.
            if (idx >= nelems || startAddr + idx * elemsize != reinterpret_cast<uintptr_t>(v)) [[unlikely]]
                corrupted(v);
            freelist = *static_cast<void**>(v);
            dirty = true;
        } else if (freeindex < nelems) {
            idx = freeindex++;
            v = reinterpret_cast<void*>(startAddr + idx * elemsize);
            dirty = needzero;
        } else {
            return nullptr;
        }
        const uint64_t bit = uint64_t{1} << (idx % 64);
        if (allocBits[idx / 64] & bit) [[unlikely]]
            corrupted(v);
        allocBits[idx / 64] |= bit;
        ++allocCount;
        return v;
    }

    // Puts object idx (at p) back, for the holder. Fatal if it is not allocated.
    void free_object(void* p, uintptr_t idx) {
        const uint64_t bit = uint64_t{1} << (idx % 64);
        if ((allocBits[idx / 64] & bit) == 0) [[unlikely]]
            doubleFree(p);
        allocBits[idx / 64] &= ~bit;
        *static_cast<void**>(p) = freelist;
        freelist = p;
        --allocCount;
    }

    // Frees every object of a list taken from remote_free, for the holder.
    void free_remote_list(uintptr_t list) {
        list &= ~span_cached;
        while (list != 0) {
            void* p = reinterpret_cast<void*>(list);
            list = *static_cast<uintptr_t*>(p);
            free_object(p, objIndex(reinterpret_cast<uintptr_t>(p)));
        }
    }

    [[noreturn, gnu::cold, gnu::noinline]] static void doubleFree(const void* p) { sys::fatal("double free of ", p); }
    [[noreturn, gnu::cold, gnu::noinline]] static void corrupted(const void* p) {
        sys::fatal("malloc: free list corrupted at ", p, " (written after free?)");
    }
};

// A doubly linked list of spans (Go: mSpanList).
struct mSpanList {
    mspan* first = nullptr;

    bool isEmpty() const { return first == nullptr; }
    void insert(mspan* s) {
        s->prev = nullptr;
        s->next = first;
        if (first != nullptr) first->prev = s;
        first = s;
    }
    void remove(mspan* s) {
        if (s->prev != nullptr) s->prev->next = s->next;
        else first = s->next;
        if (s->next != nullptr) s->next->prev = s->prev;
        s->next = s->prev = nullptr;
    }
};

}  // namespace rawrt::mem
