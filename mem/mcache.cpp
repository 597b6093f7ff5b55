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
        if ((s->remote_free.load(std::memory_order_relaxed) & ~span_cached) != 0) {
            s->free_remote_list(s->remote_free.exchange(span_cached, std::memory_order_acquire));
            if (s->freelist != nullptr) return s;
        }
        central_of(spc).uncacheSpan(s);
    }
    s = central_of(spc).cacheSpan(this);
    alloc[spc] = s != nullptr ? s : &emptymspan;
    return s;
}

void mcache::releaseAll() {
    for (int spc = 1; spc < _NumSizeClasses; ++spc) {
        if (alloc[spc] == &emptymspan) continue;
        central_of(spc).uncacheSpan(alloc[spc]);
        alloc[spc] = &emptymspan;
    }
}

}  // namespace rawrt::mem
