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

uintptr_t page_index(const heapArena* a, const mspan* s) { return static_cast<uintptr_t>(s - a->spans); }

// A free run's first and last page lead to its record, which is what
// freeSpanLocked needs to merge neighbours.
void mark_free(heapArena* a, size_t start, size_t npages) {
    mspan* s = &a->spans[start];
    s->state = mSpanState::mSpanFree;
    s->npages = static_cast<uint16_t>(npages);
    s->startAddr = reinterpret_cast<uintptr_t>(a) + start * pageSize;
    a->page_map[start] = static_cast<uint16_t>(start);
    a->page_map[start + npages - 1] = static_cast<uint16_t>(start);
}

// Go: sysReserve + sysMap. An arena-aligned 64 MiB mapping: map twice the
// size and unmap the ends. NORESERVE: the metadata is mostly never touched.
heapArena* map_arena() {
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
    mspan* s = alloc_span_locked(npages);
    locks::unlock(&lock);
    return s;
}

void mheap::freeSpan(mspan* s) {
    locks::lock(&lock);
    freeSpanLocked(s);
    locks::unlock(&lock);
}

mspan* mheap::alloc_span_locked(size_t npages) {
    mspan* s = nullptr;
    for (size_t n = npages; n <= kMaxFreeListPages && s == nullptr; ++n) s = free[n].first;
    if (s == nullptr) s = best_fit_locked(npages);
    if (s == nullptr) {
        if (!grow_locked()) return nullptr;
        s = best_fit_locked(npages);
    }
    remove_free(s);
    heapArena* a = arena_of_span(s);
    const size_t start = page_index(a, s);
    if (s->npages > npages) {
        mark_free(a, start + npages, s->npages - npages);
        insert_free(&a->spans[start + npages]);
    }
    s->state = mSpanState::mSpanInUse;
    s->npages = static_cast<uint16_t>(npages);
    s->startAddr = reinterpret_cast<uintptr_t>(a) + start * pageSize;
    for (size_t i = start; i < start + npages; ++i) a->page_map[i] = static_cast<uint16_t>(start);
    // Go: allocNeedsZero.
    s->needzero = start < a->zeroedBase;
    if (start + npages > a->zeroedBase) a->zeroedBase = static_cast<uint32_t>(start + npages);
    return s;
}

void mheap::freeSpanLocked(mspan* s) {
    heapArena* a = arena_of_span(s);
    size_t start = page_index(a, s);
    size_t npages = s->npages;
    s->state = mSpanState::mSpanDead;
    if (start > kArenaMetaPages) {
        mspan* before = &a->spans[a->page_map[start - 1]];
        const size_t bstart = page_index(a, before);
        if (before->state == mSpanState::mSpanFree && bstart + before->npages == start) {
            remove_free(before);
            before->state = mSpanState::mSpanDead;
            start = bstart;
            npages += before->npages;
        }
    }
    if (start + npages < pagesPerArena) {
        mspan* after = &a->spans[start + npages];
        if (after->state == mSpanState::mSpanFree) {
            remove_free(after);
            after->state = mSpanState::mSpanDead;
            npages += after->npages;
        }
    }
    mark_free(a, start, npages);
    insert_free(&a->spans[start]);
}

// The smallest long run that fits, the lowest one among equals (keeps the
// heap packed towards the arena's start).
mspan* mheap::best_fit_locked(size_t npages) {
    mspan* best = nullptr;
    for (mspan* s = free[0].first; s != nullptr; s = s->next) {
        if (s->npages < npages) continue;
        if (best == nullptr || s->npages < best->npages ||
            (s->npages == best->npages && s->startAddr < best->startAddr))
            best = s;
    }
    return best;
}

void mheap::insert_free(mspan* s) { free[s->npages <= kMaxFreeListPages ? s->npages : 0].insert(s); }

void mheap::remove_free(mspan* s) { free[s->npages <= kMaxFreeListPages ? s->npages : 0].remove(s); }

// Go: mheap.grow / sysAlloc. One more arena, all of it one free run.
bool mheap::grow_locked() {
    if (narenas == kMaxArenas) return false;
    heapArena* a = map_arena();
    if (a == nullptr) return false;
    const uintptr_t base = reinterpret_cast<uintptr_t>(a);
    size_t i = arena_slot(base);
    while (arenaIndex[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & (kArenaIndexSlots - 1);
    a->zeroedBase = static_cast<uint32_t>(kArenaMetaPages);
    mark_free(a, kArenaMetaPages, pagesPerArena - kArenaMetaPages);
    insert_free(&a->spans[kArenaMetaPages]);
    a->next = all_arenas;
    all_arenas = a;
    ++narenas;
    mapped_bytes += heapArenaBytes;
    arenaIndex[i].store(base, std::memory_order_release);
    return true;
}

namespace {
size_t large_bucket(uintptr_t base) { return (base / physPageSize) % mheap::kLargeBuckets; }
}  // namespace

void mheap::record_large(large_object* l) {
    large_object*& head = large[large_bucket(l->base)];
    l->next = head;
    head = l;
    ++large_mappings;
    mapped_bytes += l->bytes;
}

large_object* mheap::forget_large(uintptr_t base) {
    for (large_object** link = &large[large_bucket(base)]; *link != nullptr; link = &(*link)->next) {
        large_object* l = *link;
        if (l->base != base) continue;
        *link = l->next;
        --large_mappings;
        mapped_bytes -= l->bytes;
        return l;
    }
    return nullptr;
}

size_t mheap::large_size(uintptr_t base) {
    for (large_object* l = large[large_bucket(base)]; l != nullptr; l = l->next)
        if (l->base == base) return l->bytes;
    return 0;
}

// Every mapping goes; the bookkeeping returns to its first state. The large
// objects' records live in arenas, so their mappings go first.
void mheap::releaseAll() {
    locks::lock(&lock);
    for (auto& head : large) {
        for (large_object* l = head; l != nullptr; l = l->next)
            (void)sys::raw::munmap(reinterpret_cast<void*>(l->base), l->bytes);
        head = nullptr;
    }
    for (heapArena* a = all_arenas; a != nullptr;) {
        heapArena* next = a->next;
        (void)sys::raw::munmap(a, heapArenaBytes);
        a = next;
    }
    all_arenas = nullptr;
    narenas = 0;
    for (auto& slot : arenaIndex) slot.store(0, std::memory_order_relaxed);
    for (auto& list : free) list.first = nullptr;
    for (auto& c : central) c.mcentral.partial.first = c.mcentral.full.first = nullptr;
    all_caches = nullptr;
    mapped_bytes = 0;
    large_mappings = 0;
    inuse.store(0, std::memory_order_relaxed);
    locks::unlock(&lock);
}

}  // namespace rawrt::mem
