// WaitGroup (sched/sync.hpp), after Go's sync.WaitGroup (sync/waitgroup.go):
// counter and waiters in one word, waiters parked on a runtime semaphore.

#include "sched/sync.hpp"
#include "sys/fatal.hpp"

namespace rawrt {

// Go: sync.WaitGroup.Add. The last done() wakes every waiter at once.
void WaitGroup::add(int32_t delta) {
    uint64_t state = state_.fetch_add(static_cast<uint64_t>(static_cast<int64_t>(delta)) << 32,
                                      std::memory_order_acq_rel) +
                     (static_cast<uint64_t>(static_cast<int64_t>(delta)) << 32);
    const auto v = static_cast<int32_t>(state >> 32);
    const auto w = static_cast<uint32_t>(state);
    if (v < 0) sys::fatal("sync: negative WaitGroup counter");
    if (v > 0 || w == 0) return;
    // Counter at zero with waiters: nobody may add concurrently now (Go's
    // rule), so reset and release them all.
    state_.store(0, std::memory_order_relaxed);
    for (uint32_t i = 0; i < w; ++i) sched::semrelease(&sema_);
}

void WaitGroup::wait() {
    uint64_t state = state_.load(std::memory_order_acquire);
    for (;;) {
        if ((state >> 32) == 0) return;
        if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) {
            sched::semacquire(&sema_);
            return;
        }
    }
}

}  // namespace rawrt
