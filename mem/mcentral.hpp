// The central free lists of one size class (Go: mcentral in runtime/
// mcentral.go): the spans no P's cache holds, under one lock per class.
//
// A cache that runs dry swaps its span for one from here (cacheSpan /
// uncacheSpan); a thread without a P allocates and frees here directly.
// Spans come from the page heap when the lists have none, and go back to it
// once empty, except one spare per class so that alloc/free pairs on the
// central path do not cut and merge a span each time.
#pragma once

#include <cstdint>

#include "locks/lock_futex.hpp"
#include "mem/mspan.hpp"

namespace rawrt::mem {

struct mcentral {
    locks::mutex lock;
    mSpanList partial;  // not cached, at least one free object (Go: partial)
    mSpanList full;     // not cached, none free (Go: full)

    // Go: cacheSpan. A span with a free object, now owned by c; nullptr when
    // the OS refuses memory.
    mspan* cacheSpan(mcache* c);
    // Go: uncacheSpan. Takes back a span from its cache, with the frees other
    // Ps made into it meanwhile.
    void uncacheSpan(mspan* s);
    // The no-P path: one object from the lists, under the lock.
    void* alloc(bool& dirty);
    // Frees object idx of s (found by mfree) from a thread that does not hold
    // s: lock-free while s is in some cache, else under the lock.
    void free_remote(mspan* s, void* p, uintptr_t idx);

private:
    uint8_t spanclass() const;
    mspan* grow();
    void put_back_locked(mspan* s);
};

}  // namespace rawrt::mem
