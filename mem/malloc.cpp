// mallocgc and mfree, after Go's runtime/malloc.go: size classes through
// the P's cache or the central lists, large objects straight from mmap. See
// malloc.hpp.

#include "mem/malloc.hpp"

#include <linux/mman.h>

#include <bit>
#include <new>

#include "mem/mcache.hpp"
#include "mem/mheap.hpp"
#include "mem/sizeclasses.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"

namespace rawrt::mem {

namespace {

mcache* no_mcache() { return nullptr; }

// Go: memclrNoHeapPointers. Objects are whole 16-byte units; a call to
// memset costs more than the stores for the small ones.
void memclrNoHeapPointers(void* p, size_t n) {
    if (n <= 256) {
        auto* w = static_cast<uint64_t*>(p);
        for (size_t i = 0; i < n / 8; i += 2) {
            w[i] = 0;
            w[i + 1] = 0;
        }
    } else {
        __builtin_memset(p, 0, n);
    }
}

[[noreturn, gnu::cold, gnu::noinline]] void badPointer(const void* p) {
    sys::fatal("free of a pointer the allocator did not return (or freed twice): ", p);
}

// The span and object index of small object p in arena a; fatal unless p is
// exactly an object of an in-use span. (A p outside the span cannot pass:
// object idx < nelems lies inside it.)
[[gnu::always_inline]] inline mspan* findObject(heapArena* a, uintptr_t p, uintptr_t& idx) {
    const size_t page = (p - reinterpret_cast<uintptr_t>(a)) >> _PageShift;
    mspan* s = &a->spans[a->page_map[page]];
    idx = s->objIndex(p);
    if (s->state != mSpanState::mSpanInUse || idx >= s->nelems || s->startAddr + idx * s->elemsize != p) [[unlikely]]
        badPointer(reinterpret_cast<void*>(p));
    return s;
}

// Go: largeAlloc, but each object is its own mapping (Go cuts large spans
// from the arenas): freeing one gives the memory straight back to the OS.
void* largeAlloc(size_t size, size_t align, mcache* c) {
    if (size > (size_t{1} << 47)) return nullptr;  // no address space that large; also keeps the sums below exact
    const size_t bytes = (size + physPageSize - 1) & ~(physPageSize - 1);
    const size_t slack = align > physPageSize ? align - physPageSize : 0;
    auto r = sys::raw::mmap(nullptr, bytes + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!r.ok()) return nullptr;
    uintptr_t base = reinterpret_cast<uintptr_t>(r.value());
    if (slack != 0) {
        const uintptr_t aligned = (base + align - 1) & ~(align - 1);
        if (aligned != base) (void)sys::raw::munmap(reinterpret_cast<void*>(base), aligned - base);
        if (aligned + bytes != base + bytes + slack)
            (void)sys::raw::munmap(reinterpret_cast<void*>(aligned + bytes), base + slack - aligned);
        base = aligned;
    }
    auto* l = static_cast<large_object*>(mallocgc(sizeof(large_object), c));
    if (l == nullptr) {
        (void)sys::raw::munmap(reinterpret_cast<void*>(base), bytes);
        return nullptr;
    }
    l->base = base;
    l->bytes = bytes;
    lock(&mheap_.lock);
    mheap_.record_large(l);
    unlock(&mheap_.lock);
    mheap_.inuse.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
    return reinterpret_cast<void*>(base);
}

[[gnu::noinline]] void largeFree(void* p, mcache* c) {
    lock(&mheap_.lock);
    large_object* l = mheap_.forget_large(reinterpret_cast<uintptr_t>(p));
    unlock(&mheap_.lock);
    if (l == nullptr) badPointer(p);
    (void)sys::raw::munmap(p, l->bytes);
    mheap_.inuse.fetch_sub(static_cast<int64_t>(l->bytes), std::memory_order_relaxed);
    mfree(l, c);
}

}  // namespace

mcache* (*current_mcache)() = no_mcache;

mcache* allocmcache() {
    void* mem = mallocgc(sizeof(mcache), nullptr);
    if (mem == nullptr) sys::fatal("out of memory allocating an mcache");
    auto* c = new (mem) mcache;
    lock(&mheap_.lock);
    c->next = mheap_.all_caches;
    if (c->next != nullptr) c->next->prev = c;
    mheap_.all_caches = c;
    unlock(&mheap_.lock);
    return c;
}

void freemcache(mcache* c) {
    c->releaseAll();
    lock(&mheap_.lock);
    if (c->prev != nullptr) c->prev->next = c->next;
    else mheap_.all_caches = c->next;
    if (c->next != nullptr) c->next->prev = c->prev;
    mheap_.inuse.fetch_add(c->inuse.load(std::memory_order_relaxed), std::memory_order_relaxed);
    unlock(&mheap_.lock);
    c->~mcache();
    mfree(c, nullptr);
}

namespace {

// mallocgc when the cache's span is empty, there is no cache, or the object
// is large: kept out of line so the fast path needs no stack frame.
[[gnu::noinline]] void* mallocgc_slow(size_t size, mcache* c) {
    if (size > _MaxSmallSize) return largeAlloc(size, 0, c);
    const uint8_t spc = size_to_class(size);
    const uint32_t elemsize = sizeclasses.class_to_size[spc];
    bool dirty;
    void* v;
    if (c != nullptr) {
        mspan* s = c->refill(spc);
        if (s == nullptr) return nullptr;
        v = s->nextFree(dirty);
        c->count(elemsize);
    } else {
        v = central_of(spc).alloc(dirty);
        if (v == nullptr) return nullptr;
        mheap_.inuse.fetch_add(elemsize, std::memory_order_relaxed);
    }
    if (dirty) memclrNoHeapPointers(v, elemsize);
    return v;
}

}  // namespace

void* mallocgc(size_t size, mcache* c) {
    if (size > _MaxSmallSize || c == nullptr) [[unlikely]]
        return mallocgc_slow(size, c);
    mspan* s = c->alloc[size_to_class(size)];
    bool dirty;
    void* v = s->nextFree(dirty);
    if (v == nullptr) [[unlikely]]
        return mallocgc_slow(size, c);
    c->count(s->elemsize);
    if (dirty) memclrNoHeapPointers(v, s->elemsize);
    return v;
}

void* mallocgc_aligned(size_t size, size_t align, mcache* c) {
    if (align <= kMinAlign) return mallocgc(size, c);
    if (!power_of_two(align)) return nullptr;
    // Spans start on a page, so every object of a class whose size is a
    // multiple of align is aligned; so is every power-of-two size up to a page.
    if (align <= pageSize && size <= _MaxSmallSize) {
        const size_t n = size < align ? align : size;
        if (sizeclasses.class_to_size[size_to_class(n)] % align == 0) return mallocgc(n, c);
        if (n <= pageSize) return mallocgc(std::bit_ceil(n), c);
    }
    return largeAlloc(size, align, c);
}

void mfree(void* p, mcache* c) {
    if (p == nullptr) return;
    const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
    heapArena* a = mheap_.arena_of(addr);
    if (a == nullptr) [[unlikely]] {
        largeFree(p, c);
        return;
    }
    uintptr_t idx;
    mspan* s = findObject(a, addr, idx);
    const int64_t elemsize = s->elemsize;
    // Only c's holder ever makes s->owner == c, so this read needs no lock.
    if (c != nullptr && s->owner.load(std::memory_order_relaxed) == c) s->free_object(p, idx);
    else central_of(s->spanclass).free_remote(s, p, idx);
    if (c != nullptr) c->count(-elemsize);
    else mheap_.inuse.fetch_sub(elemsize, std::memory_order_relaxed);
}

size_t malloc_usable_size(const void* p) {
    if (p == nullptr) return 0;
    const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
    if (heapArena* a = mheap_.arena_of(addr)) {
        uintptr_t idx;
        return findObject(a, addr, idx)->elemsize;
    }
    lock(&mheap_.lock);
    const size_t bytes = mheap_.large_size(addr);
    unlock(&mheap_.lock);
    if (bytes == 0) badPointer(p);
    return bytes;
}

void mheap_release_all() { mheap_.releaseAll(); }

MallocStats malloc_stats() {
    lock(&mheap_.lock);
    int64_t inuse = mheap_.inuse.load(std::memory_order_relaxed);
    for (mcache* c = mheap_.all_caches; c != nullptr; c = c->next) inuse += c->inuse.load(std::memory_order_relaxed);
    MallocStats stats{mheap_.mapped_bytes, static_cast<size_t>(inuse), mheap_.large_mappings};
    unlock(&mheap_.lock);
    return stats;
}

}  // namespace rawrt::mem

namespace rawrt {

void* alloc(size_t size) { return mem::mallocgc(size, mem::current_mcache()); }

void free(void* p) { mem::mfree(p, mem::current_mcache()); }

}  // namespace rawrt
