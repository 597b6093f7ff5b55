// The futex mutex and notes (locks/lock_futex.hpp), after Go's
// runtime/lock_futex.go: a lock spins, yields, then sleeps on the futex.

#include "locks/lock_futex.hpp"

#include "arch/cpu_relax.hpp"
#include "locks/os_linux.hpp"
#include "sys/fatal.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::locks {
namespace {

constexpr uint32_t mutex_unlocked = 0;
constexpr uint32_t mutex_locked = 1;
constexpr uint32_t mutex_sleeping = 2;

constexpr int active_spin = 4;
constexpr int passive_spin = 1;

// Takes l if it is free, leaving `wait` in it (mutex_sleeping once this
// thread has slept: there may be other sleepers unlock must wake).
bool try_take(mutex* l, uint32_t wait) {
    while (l->key.load(std::memory_order_relaxed) == mutex_unlocked) {
        uint32_t expected = mutex_unlocked;
        if (l->key.compare_exchange_weak(expected, wait, std::memory_order_acquire)) return true;
    }
    return false;
}

}  // namespace

// Spinning pays only when the holder can run meanwhile on another CPU.
int lock_spin_rounds() {
    static std::atomic<int32_t> ncpu{0};  // racing threads all store the same value
    int32_t n = ncpu.load(std::memory_order_relaxed);
    if (n == 0) ncpu.store(n = getproccount(), std::memory_order_relaxed);
    return n > 1 ? active_spin : 0;
}

namespace {

// Go: lock2.
inline void lock2(mutex* l) {
    uint32_t v = l->key.exchange(mutex_locked, std::memory_order_acquire);
    if (v == mutex_unlocked) return;
    uint32_t wait = v;
    const int spin = lock_spin_rounds();
    for (;;) {
        for (int i = 0; i < spin; ++i) {
            if (try_take(l, wait)) return;
            for (int j = 0; j < kLockSpinPauses; ++j) arch::cpu_relax();
        }
        for (int i = 0; i < passive_spin; ++i) {
            if (try_take(l, wait)) return;
            osyield();
        }
        v = l->key.exchange(mutex_sleeping, std::memory_order_acquire);
        if (v == mutex_unlocked) return;
        wait = mutex_sleeping;
        futexsleep(&l->key, mutex_sleeping, -1);
    }
}

}  // namespace

void lock(mutex* l) {
    lock2(l);
    count_held_lock(1);
}

void unlock(mutex* l) {
    count_held_lock(-1);
    uint32_t v = l->key.exchange(mutex_unlocked, std::memory_order_release);
    if (v == mutex_unlocked) sys::fatal("unlock of unlocked lock");
    if (v == mutex_sleeping) futexwakeup(&l->key, 1);
}

void noteclear(note* n) { n->key.store(0, std::memory_order_relaxed); }

void notewakeup(note* n) {
    uint32_t old = n->key.exchange(1, std::memory_order_acq_rel);
    if (old != 0) sys::fatal("notewakeup - double wakeup (", old, ")");
    futexwakeup(&n->key, 1);
}

void notesleep(note* n) {
    while (n->key.load(std::memory_order_acquire) == 0) futexsleep(&n->key, 0, -1);
}

bool notetsleep(note* n, int64_t ns) {
    if (ns < 0) {
        notesleep(n);
        return true;
    }
    if (n->key.load(std::memory_order_acquire) != 0) return true;
    const int64_t deadline = vdso::nanotime() + ns;
    for (;;) {
        futexsleep(&n->key, 0, ns);
        if (n->key.load(std::memory_order_acquire) != 0) return true;
        ns = deadline - vdso::nanotime();
        if (ns <= 0) return false;
    }
}

}  // namespace rawrt::locks
