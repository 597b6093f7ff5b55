// Per-P span caches, after Go's runtime/mcache.go. See mcache.hpp.

#include "mem/mcache.hpp"

#include "mem/mheap.hpp"

namespace rawrt::mem {

constinit mspan emptymspan;

mspan* mcache::refill(int spc) {
    mspan* s = alloc[spc];
    if (s != &emptymspan) {
        // Other Ps may have freed into this span since: take those first,
        // still without a lock.
        if ((s->remotefree.load(std::memory_order_relaxed) & ~spanCached) != 0) {
            s->freeRemoteList(s->remotefree.exchange(spanCached, std::memory_order_acquire));
            if (s->freelist != nullptr) return s;
        }
        centralOf(spc).uncacheSpan(s);
    }
    s = centralOf(spc).cacheSpan(this);
    alloc[spc] = s != nullptr ? s : &emptymspan;
    return s;
}

void mcache::releaseAll() {
    for (int spc = 1; spc < _NumSizeClasses; ++spc) {
        if (alloc[spc] == &emptymspan) continue;
        centralOf(spc).uncacheSpan(alloc[spc]);
        alloc[spc] = &emptymspan;
    }
}

}  // namespace rawrt::mem
