// Central span lists per size class, after Go's runtime/mcentral.go. See
// mcentral.hpp and mspan.hpp.

#include "mem/mcentral.hpp"

#include "mem/mheap.hpp"

namespace rawrt::mem {

uint8_t mcentral::spanclass() const {
    // The centrals are mheap_'s array, in class order.
    const auto* padded = reinterpret_cast<const mheap::paddedCentral*>(this);
    return static_cast<uint8_t>(padded - mheap_.central);
}

// Go: mcentral.grow. A new span from the heap, ready to hand out objects.
mspan* mcentral::grow() {
    const uint8_t spc = spanclass();
    const size_t npages = sizeclasses.class_to_allocnpages[spc];
    mspan* s = mheap_.allocSpan(npages);
    if (s == nullptr) return nullptr;
    s->spanclass = spc;
    s->elemsize = sizeclasses.class_to_size[spc];
    s->divMul = sizeclasses.class_to_divmagic[spc];
    s->nelems = static_cast<uint16_t>(npages * pageSize / s->elemsize);
    s->freeindex = 0;
    s->allocCount = 0;
    s->freelist = nullptr;
    s->next = s->prev = nullptr;
    s->owner.store(nullptr, std::memory_order_relaxed);
    s->remote_free.store(0, std::memory_order_relaxed);
    for (auto& word : s->allocBits) word = 0;
    return s;
}

// A span that is in no list goes where its count says; an empty one goes
// back to the heap unless it would be this class's only partial span.
void mcentral::put_back_locked(mspan* s) {
    if (s->allocCount == s->nelems) {
        full.insert(s);
    } else if (s->allocCount == 0 && !partial.isEmpty()) {
        mheap_.freeSpan(s);
    } else {
        partial.insert(s);
    }
}

mspan* mcentral::cacheSpan(mcache* c) {
    locks::lock(&lock);
    mspan* s = partial.first;
    if (s != nullptr) {
        partial.remove(s);
    } else if ((s = grow()) == nullptr) {
        locks::unlock(&lock);
        return nullptr;
    }
    s->owner.store(c, std::memory_order_relaxed);
    // From here on frees from other Ps go to remote_free without the lock; one
    // that read the bit clear before takes the lock and looks again.
    s->remote_free.store(span_cached, std::memory_order_relaxed);
    locks::unlock(&lock);
    return s;
}

void mcentral::uncacheSpan(mspan* s) {
    locks::lock(&lock);
    // Clearing span_cached and taking the list is one step: a racing remote
    // free either lands in this list or finds the bit clear and waits for the lock.
    const uintptr_t list = s->remote_free.exchange(0, std::memory_order_acquire);
    s->owner.store(nullptr, std::memory_order_relaxed);
    s->free_remote_list(list);
    put_back_locked(s);
    locks::unlock(&lock);
}

void* mcentral::alloc(bool& dirty) {
    locks::lock(&lock);
    mspan* s = partial.first;
    if (s == nullptr) {
        if ((s = grow()) == nullptr) {
            locks::unlock(&lock);
            return nullptr;
        }
        partial.insert(s);
    }
    void* v = s->nextFree(dirty);  // a partial span always has one
    if (s->allocCount == s->nelems) {
        partial.remove(s);
        full.insert(s);
    }
    locks::unlock(&lock);
    return v;
}

void mcentral::free_remote(mspan* s, void* p, uintptr_t idx) {
    auto push = [s, p](uintptr_t old) {
        // old has span_cached set; the release orders the link before the push.
        do {
            *static_cast<uintptr_t*>(p) = old & ~span_cached;
        } while (!s->remote_free.compare_exchange_weak(old, reinterpret_cast<uintptr_t>(p) | span_cached,
                                                       std::memory_order_release, std::memory_order_relaxed) &&
                 (old & span_cached) != 0);
        return (old & span_cached) != 0;
    };
    uintptr_t old = s->remote_free.load(std::memory_order_relaxed);
    if ((old & span_cached) != 0 && push(old)) return;

    locks::lock(&lock);
    old = s->remote_free.load(std::memory_order_relaxed);
    if ((old & span_cached) != 0 && push(old)) {  // cached meanwhile; only cacheSpan sets the bit, under this lock
        locks::unlock(&lock);
        return;
    }
    const bool was_full = s->allocCount == s->nelems;
    s->free_object(p, idx);
    if (was_full) {
        full.remove(s);
        put_back_locked(s);
    } else if (s->allocCount == 0) {
        partial.remove(s);
        put_back_locked(s);
    }
    locks::unlock(&lock);
}

}  // namespace rawrt::mem
