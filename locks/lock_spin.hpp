// A lock whose waiters never sleep in the kernel, for the channels' locks
// (Go uses its futex mutex, locks/lock_futex.hpp, there too). A channel's
// critical sections are a few dozen instructions that never block: readying
// a G and waking an M happen after the unlock. With no sleeper to wake,
// unlock is a release store, not a locked exchange: two locked instructions
// fewer per channel handoff (ping-pong on one P 55 -> 47 ns). A waiter spins
// as Go's mutex does, then yields the CPU until the lock is free, so a
// holder that the kernel has preempted gets to run.
//
//   lock(&c->lock); ...; unlock(&c->lock);
#pragma once

#include <atomic>
#include <cstdint>

#include "locks/lock_futex.hpp"

namespace rawrt::locks {

struct spinmutex {
    std::atomic<uint32_t> key{0};  // 0 unlocked, 1 locked
};

void lock_slow(spinmutex* l);

inline void lock(spinmutex* l) {
    if (l->key.exchange(1, std::memory_order_acquire) != 0) lock_slow(l);
    count_held_lock(1);
}

// The checked build catches an unlock of an unlocked spinmutex, as the
// futex mutex always does ("unlock of unlocked lock").
#if RAWRT_CHECKED
void unlock(spinmutex* l);
#else
inline void unlock(spinmutex* l) { l->key.store(0, std::memory_order_release); }
#endif

}  // namespace rawrt::locks
