// The scheduler's thread-level synchronisation, as Go's runtime/lock_futex.go:
// a mutex for the scheduler's shared state, and one-shot notes on which an
// idle M (or sysmon) sleeps. Both block the whole OS thread, never a G, and
// never enter the scheduler, so they work on any thread: an M on g0, a
// thread without a P, or a plain glibc thread.
//
//   lock(&sched.lock); ...; unlock(&sched.lock);   held for a few instructions
//
//   noteclear(&m->park);    reset before a new round; nobody may be using it
//   notewakeup(&m->park);   wake the sleeper, or let its next sleep return at
//                           once; a second wakeup without a clear is fatal
//                           ("notewakeup - double wakeup"): it means two owners
//   notesleep(&m->park);    sleep until woken
//   notetsleep(&n, ns);     the same, at most ns (ns < 0: no limit); true if woken
#pragma once

#include <atomic>
#include <cstdint>

#include "sys/tcb.hpp"

namespace rawrt::locks {

// The checked build counts the locks a runtime thread holds, both kinds
// (sys::ThreadControlBlock::locks); other threads, and other builds, count
// nothing.
inline void count_held_lock([[maybe_unused]] intptr_t delta) {
#if RAWRT_CHECKED
    if (sys::ThreadControlBlock* tcb = sys::current_runtime_tcb()) tcb->locks += delta;
#endif
}

// Go: mutex. 0 unlocked, 1 locked, 2 locked with (possible) sleepers.
struct mutex {
    std::atomic<uint32_t> key{0};
};

// Spin while the holder may be running on another CPU, yield once, then
// sleep on the futex; Go's constants (4 × 30 pauses, 1 osyield).
void lock(mutex* l);
// How many rounds of 30 pauses a waiter spins: 4 (Go's active_spin), or 0
// on a single CPU, where the holder cannot run meanwhile.
int lock_spin_rounds();
constexpr int kLockSpinPauses = 30;  // Go: active_spin_cnt
// Unlocking an unlocked mutex is fatal ("unlock of unlocked lock").
void unlock(mutex* l);

// Go: note. 0 not woken, 1 woken.
struct note {
    std::atomic<uint32_t> key{0};
};

void noteclear(note* n);
void notewakeup(note* n);
void notesleep(note* n);
bool notetsleep(note* n, int64_t ns);

}  // namespace rawrt::locks
