// The channels' spin lock (locks/lock_spin.hpp), rawrt's own: Go's
// channels take the futex mutex.

#include "locks/lock_spin.hpp"

#include "arch/cpu_relax.hpp"
#include "locks/lock_futex.hpp"
#include "locks/os_linux.hpp"
#include "sys/fatal.hpp"

namespace rawrt::locks {

namespace {

// Looks before it takes: a locked exchange in a loop would keep the line
// away from the holder.
bool try_take(spinmutex* l) {
    return l->key.load(std::memory_order_relaxed) == 0 && l->key.exchange(1, std::memory_order_acquire) == 0;
}

}  // namespace

void lock_slow(spinmutex* l) {
    const int spin = lock_spin_rounds();
    for (int i = 0; i < spin; ++i) {
        if (try_take(l)) return;
        for (int j = 0; j < kLockSpinPauses; ++j) arch::cpu_relax();
    }
    while (!try_take(l)) osyield();
}

#if RAWRT_CHECKED
void unlock(spinmutex* l) {
    count_held_lock(-1);
    if (l->key.exchange(0, std::memory_order_release) == 0) sys::fatal("unlock of unlocked lock");
}
#endif

}  // namespace rawrt::locks
