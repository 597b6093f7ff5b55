// Timers, per P as in Go 1.23 (runtime/time.go): each P keeps a min-heap of
// the timers started on it; the scheduler runs the expired ones
// (checkTimers) each time round, steals expired ones from other Ps, and an
// idle M sleeps (in epoll once the poller runs, else on its note) only until
// the earliest one.
//
// A timer is a function to call at a time: sleep's readies a parked G (its
// Timer lives on that G's stack, like a sudog), an I/O deadline's fails the
// waits on a pollDesc (its Timers live in the type-stable pollDesc). The
// function runs on the scheduler's g0 with a P, outside every timer lock; it
// must not block.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/layers_below.hpp"

namespace rawrt::sched {

struct G;
struct Timers;

struct Timer {
    int64_t when = 0;  // nanotime() at which f runs
    // Go: timer.f, arg, seq. seq lets f tell a firing meant for an older
    // setting from the current one (netpoll's deadlines).
    void (*f)(void* arg, uintptr_t seq) = nullptr;
    void* arg = nullptr;
    uintptr_t seq = 0;
    // The heap the timer is queued on (nullptr: not queued) and its index
    // there; both under that heap's mu.
    std::atomic<Timers*> ts{nullptr};
    uint32_t idx = 0;
};

// Go: p.timers.
struct Timers {
    mutex mu;
    Timer** heap = nullptr;  // a binary min-heap on when
    uint32_t len = 0;
    uint32_t cap = 0;
    std::atomic<int64_t> timer0When{0};  // when of heap[0], 0 if empty: read without mu
};

struct P;

// Go: timer.maybeAdd. Queues t (when, f, arg and seq set; not queued) on
// the calling M's P, and wakes the poller or an M if t is now that P's
// earliest (wakeNetPoller). Only on an M with a P.
void addtimer(Timer* t);
// addtimer without the wake, for a caller that holds a lock of its own:
// true if t is now its P's earliest, and the caller then calls
// wakeNetPoller(t's when) once it has let go of that lock.
bool addtimer_nowake(Timer* t);
// Go: timer.stop. Takes t off its heap; false if it was not queued (never
// added, or already fired: f may be running or about to). One owner at a
// time: the calls on one Timer must not overlap (netpoll holds pd->lock).
bool deltimer(Timer* t);
// Runs pp's timers that are due at *now and returns when the next one is
// due (0: none). *now == 0: the clock is read only if pp has a timer, and
// *now keeps the reading for the caller's next check (Go: timers.check).
// The caller holds a P (the functions ready Gs on it).
int64_t checkTimers(P* pp, int64_t* now);
// The earliest timer of any P (0: none): how long an idle M may sleep.
int64_t earliest_timer();
// Go: wakeNetPoller. A timer due at `when` was queued: if an M is blocked
// in netpoll until later, break its poll; if none is, wake an M (it will
// sleep only until the earliest timer).
void wakeNetPoller(int64_t when);
// Frees a P's heap storage (teardown).
void free_timers(Timers* ts);

}  // namespace rawrt::sched

namespace rawrt {
// Go's time.Sleep: parks the calling G for at least ns nanoseconds; its M
// runs other Gs meanwhile. ns <= 0 returns at once. Outside the runtime, the
// thread sleeps (nanosleep).
void sleep(int64_t ns);
}  // namespace rawrt
