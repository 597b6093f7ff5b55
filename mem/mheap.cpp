// The page heap, after Go's runtime/mheap.go: arenas from mmap, page runs
// cut into spans and merged back when freed, the large-object record, and
// teardown. See mheap.hpp.

#include "mem/mheap.hpp"

#include <linux/mman.h>

#include "sys/calls.hpp"
#include "sys/fatal.hpp"

namespace rawrt::mem {

constinit mheap mheap_;

namespace {

uintptr_t pageIndex(const heapArena* a, const mspan* s) {
    return static_cast<uintptr_t>(s - a->spans);
}

// A free run's first and last page lead to its record, which is what
// freeSpanLocked needs to merge neighbours.
void markFree(heapArena* a, size_t start, size_t npages) {
    mspan* s = &a->spans[start];
    s->state = mSpanState::mSpanFree;
    s->npages = static_cast<uint16_t>(npages);
    s->startAddr = reinterpret_cast<uintptr_t>(a) + start * pageSize;
    a->pagemap[start] = static_cast<uint16_t>(start);
    a->pagemap[start + npages - 1] = static_cast<uint16_t>(start);
}

// Go: sysReserve + sysMap. An arena-aligned 64 MiB mapping: map twice the
// size and unmap the ends. NORESERVE: the metadata is mostly never touched.
heapArena* mapArena() {
    auto r = sys::raw::mmap(nullptr, 2 * heapArenaBytes, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (!r.ok()) return nullptr;
    const uintptr_t p = reinterpret_cast<uintptr_t>(r.value());
    const uintptr_t base = (p + heapArenaBytes - 1) & ~(heapArenaBytes - 1);
    if (base != p) (void)sys::raw::munmap(reinterpret_cast<void*>(p), base - p);
    const uintptr_t end = p + 2 * heapArenaBytes;
    if (base + heapArenaBytes != end)
        (void)sys::raw::munmap(reinterpret_cast<void*>(base + heapArenaBytes), end - base - heapArenaBytes);
    return reinterpret_cast<heapArena*>(base);
}

}  // namespace

mspan* mheap::allocSpan(size_t npages) {
    locks::lock(&lock);
    mspan* s = allocSpanLocked(npages);
    locks::unlock(&lock);
    return s;
}

void mheap::freeSpan(mspan* s) {
    locks::lock(&lock);
    freeSpanLocked(s);
    locks::unlock(&lock);
}

mspan* mheap::allocSpanLocked(size_t npages) {
    mspan* s = nullptr;
    for (size_t n = npages; n <= maxFreeListPages && s == nullptr; ++n) s = free[n].first;
    if (s == nullptr) s = bestFitLocked(npages);
    if (s == nullptr) {
        if (!growLocked()) return nullptr;
        s = bestFitLocked(npages);
    }
    removeFree(s);
    heapArena* a = arenaOfSpan(s);
    const size_t start = pageIndex(a, s);
    if (s->npages > npages) {
        markFree(a, start + npages, s->npages - npages);
        insertFree(&a->spans[start + npages]);
    }
    s->state = mSpanState::mSpanInUse;
    s->npages = static_cast<uint16_t>(npages);
    s->startAddr = reinterpret_cast<uintptr_t>(a) + start * pageSize;
    for (size_t i = start; i < start + npages; ++i) a->pagemap[i] = static_cast<uint16_t>(start);
    // Go: allocNeedsZero.
    s->needzero = start < a->zeroedBase;
    if (start + npages > a->zeroedBase) a->zeroedBase = static_cast<uint32_t>(start + npages);
    return s;
}

void mheap::freeSpanLocked(mspan* s) {
    heapArena* a = arenaOfSpan(s);
    size_t start = pageIndex(a, s);
    size_t npages = s->npages;
    s->state = mSpanState::mSpanDead;
    if (start > arenaMetaPages) {
        mspan* before = &a->spans[a->pagemap[start - 1]];
        const size_t bstart = pageIndex(a, before);
        if (before->state == mSpanState::mSpanFree && bstart + before->npages == start) {
            removeFree(before);
            before->state = mSpanState::mSpanDead;
            start = bstart;
            npages += before->npages;
        }
    }
    if (start + npages < pagesPerArena) {
        mspan* after = &a->spans[start + npages];
        if (after->state == mSpanState::mSpanFree) {
            removeFree(after);
            after->state = mSpanState::mSpanDead;
            npages += after->npages;
        }
    }
    markFree(a, start, npages);
    insertFree(&a->spans[start]);
}

// The smallest long run that fits, the lowest one among equals (keeps the
// heap packed towards the arena's start).
mspan* mheap::bestFitLocked(size_t npages) {
    mspan* best = nullptr;
    for (mspan* s = free[0].first; s != nullptr; s = s->next) {
        if (s->npages < npages) continue;
        if (best == nullptr || s->npages < best->npages ||
            (s->npages == best->npages && s->startAddr < best->startAddr))
            best = s;
    }
    return best;
}

void mheap::insertFree(mspan* s) {
    free[s->npages <= maxFreeListPages ? s->npages : 0].insert(s);
}

void mheap::removeFree(mspan* s) { free[s->npages <= maxFreeListPages ? s->npages : 0].remove(s); }

// Go: mheap.grow / sysAlloc. One more arena, all of it one free run.
bool mheap::growLocked() {
    if (narenas == maxArenas) return false;
    heapArena* a = mapArena();
    if (a == nullptr) return false;
    const uintptr_t base = reinterpret_cast<uintptr_t>(a);
    size_t i = arenaSlot(base);
    while (arenaIndex[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & (arenaIndexSlots - 1);
    a->zeroedBase = static_cast<uint32_t>(arenaMetaPages);
    markFree(a, arenaMetaPages, pagesPerArena - arenaMetaPages);
    insertFree(&a->spans[arenaMetaPages]);
    a->next = allarenas;
    allarenas = a;
    ++narenas;
    mappedBytes += heapArenaBytes;
    arenaIndex[i].store(base, std::memory_order_release);
    return true;
}

namespace {
size_t largeBucket(uintptr_t base) { return (base / physPageSize) % mheap::largeBuckets; }
}  // namespace

void mheap::recordLarge(largeObject* l) {
    largeObject*& head = large[largeBucket(l->base)];
    l->next = head;
    head = l;
    ++largeMappings;
    mappedBytes += l->bytes;
}

largeObject* mheap::forgetLarge(uintptr_t base) {
    for (largeObject** link = &large[largeBucket(base)]; *link != nullptr; link = &(*link)->next) {
        largeObject* l = *link;
        if (l->base != base) continue;
        *link = l->next;
        --largeMappings;
        mappedBytes -= l->bytes;
        return l;
    }
    return nullptr;
}

size_t mheap::largeSize(uintptr_t base) {
    for (largeObject* l = large[largeBucket(base)]; l != nullptr; l = l->next)
        if (l->base == base) return l->bytes;
    return 0;
}

// Every mapping goes; the bookkeeping returns to its first state. The large
// objects' records live in arenas, so their mappings go first.
void mheap::releaseAll() {
    locks::lock(&lock);
    for (auto& head : large) {
        for (largeObject* l = head; l != nullptr; l = l->next)
            (void)sys::raw::munmap(reinterpret_cast<void*>(l->base), l->bytes);
        head = nullptr;
    }
    for (heapArena* a = allarenas; a != nullptr;) {
        heapArena* next = a->next;
        (void)sys::raw::munmap(a, heapArenaBytes);
        a = next;
    }
    allarenas = nullptr;
    narenas = 0;
    for (auto& slot : arenaIndex) slot.store(0, std::memory_order_relaxed);
    for (auto& list : free) list.first = nullptr;
    for (auto& c : central) c.mcentral.partial.first = c.mcentral.full.first = nullptr;
    allcaches = nullptr;
    mappedBytes = 0;
    largeMappings = 0;
    inuse.store(0, std::memory_order_relaxed);
    locks::unlock(&lock);
}

}  // namespace rawrt::mem
