// Timers for sleeping Gs, per P as in Go 1.23 (runtime/time.go): each P keeps
// a min-heap of the timers its Gs started; the scheduler runs the expired
// ones (checkTimers) each time round, steals expired ones from other Ps, and
// an M with nothing to do sleeps on its note only until the earliest timer.
//
// A timer lives on the sleeping G's stack, like a sudog: the G is parked for
// exactly as long as its timer is queued.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/lock_futex.hpp"

namespace rawrt::sched {

struct G;

struct Timer {
    int64_t when = 0;  // nanotime() at which g is readied
    G* g = nullptr;
};

// Go: p.timers.
struct Timers {
    mutex mu;
    Timer** heap = nullptr;   // a binary min-heap on when
    uint32_t len = 0;
    uint32_t cap = 0;
    std::atomic<int64_t> timer0When{0};  // when of heap[0], 0 if empty: read without mu
};

struct P;

// Runs pp's timers that are due at *now (readying their Gs on the caller's
// P) and returns when the next one is due (0: none). *now == 0: the clock is
// read only if pp has a timer, and *now keeps the reading for the caller's
// next check (Go: timers.check).
int64_t checkTimers(P* pp, int64_t* now);
// The earliest timer of any P (0: none): how long an idle M may sleep.
int64_t earliestTimer();
// Frees a P's heap storage (teardown).
void freeTimers(Timers* ts);

}  // namespace rawrt::sched

namespace rawrt {
// Go's time.Sleep: parks the calling G for at least ns nanoseconds; its M
// runs other Gs meanwhile. ns <= 0 returns at once. Outside the runtime, the
// thread sleeps (nanosleep).
void sleep(int64_t ns);
}  // namespace rawrt
