// Timers per P, after Go's runtime/time.go: a min-heap per P under its own
// lock, run by checkTimers; sleep; and the wake of a poller that would sleep
// past a new timer (wakeNetPoller).

#include "sched/time.hpp"

#include "sched/poller.hpp"
#include "sched/layers_below.hpp"
#include "sched/proc.hpp"
#include "sched/runq.hpp"
#include "sched/runtime2.hpp"
#include "sched/sysmon.hpp"
#include "sched/trace.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {
namespace {

void grow(Timers* ts) {
    uint32_t cap = ts->cap != 0 ? ts->cap * 2 : 512;
    auto** heap = static_cast<Timer**>(mallocgc(cap * sizeof(Timer*), current_mcache()));
    if (heap == nullptr) sys::fatal("timers: out of memory (", cap, " timers)");
    for (uint32_t i = 0; i < ts->len; ++i) heap[i] = ts->heap[i];
    free_timers(ts);
    ts->heap = heap;
    ts->cap = cap;
}

void place(Timers* ts, Timer* t, uint32_t i) {
    ts->heap[i] = t;
    t->idx = i;
}

void siftUp(Timers* ts, uint32_t i) {
    Timer* t = ts->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (ts->heap[parent]->when <= t->when) break;
        place(ts, ts->heap[parent], i);
        i = parent;
    }
    place(ts, t, i);
}

void siftDown(Timers* ts, uint32_t i) {
    Timer* t = ts->heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= ts->len) break;
        if (child + 1 < ts->len && ts->heap[child + 1]->when < ts->heap[child]->when) ++child;
        if (t->when <= ts->heap[child]->when) break;
        place(ts, ts->heap[child], i);
        i = child;
    }
    place(ts, t, i);
}

// mu held. Takes heap[i] off: the last timer fills the hole and moves
// whichever way restores the order.
void remove_at(Timers* ts, uint32_t i) {
    ts->heap[i]->ts.store(nullptr, std::memory_order_relaxed);
    Timer* last = ts->heap[--ts->len];
    if (i == ts->len) return;
    place(ts, last, i);
    if (i > 0 && ts->heap[(i - 1) / 2]->when > last->when) siftUp(ts, i);
    else siftDown(ts, i);
}

// mu held.
void updateTimer0When(Timers* ts) {
    ts->timer0When.store(ts->len != 0 ? ts->heap[0]->when : 0, std::memory_order_release);
}

// What checkTimers calls, copied out under mu: once mu is dropped the
// owner may re-arm the Timer for another time.
struct Firing {
    void (*f)(void*, uintptr_t);
    void* arg;
    uintptr_t seq;
};

// sleep's timer function.
void goroutineReady(void* arg, uintptr_t) { ready(static_cast<G*>(arg), false); }

// The unlockf of sleep: runs on g0 once the G is parked, so no M can ready
// it before it is really waiting (Go: resetForSleep).
bool add_sleep_timer(G* gp, void* arg) {
    auto* t = static_cast<Timer*>(arg);
    t->arg = gp;
    // rawrt: this M schedules next. With nothing queued for it, it finds no
    // work and waits for the earliest timer itself: parked until it, or in
    // the poller (breaking a poller that would sleep past it). Waking an M
    // for the timer (Go's wakeNetPoller, addtimer's way) costs a futex wake
    // and that M's wait for nothing (docs/scheduler.md has the counts).
    const int64_t when = t->when;
    P* pp = getm()->p;
    const bool self = runqempty(pp) && std::atomic_ref<int32_t>(sched.runqsize).load(std::memory_order_relaxed) == 0;
    if (addtimer_nowake(t) && !self) wakeNetPoller(when);
    sysmon_timer_added();
    return true;
}

}  // namespace

bool addtimer_nowake(Timer* t) {
    Timers* ts = &getm()->p->timers;
    lock(&ts->mu);
    if (ts->len == ts->cap) grow(ts);
    t->ts.store(ts, std::memory_order_relaxed);
    ts->heap[ts->len] = t;
    siftUp(ts, ts->len++);
    const bool earliest = ts->heap[0] == t;
    updateTimer0When(ts);
    unlock(&ts->mu);
    return earliest;
}

void addtimer(Timer* t) {
    // when is read first: once t is queued, another M may run it and its
    // owner re-arm it.
    const int64_t when = t->when;
    if (addtimer_nowake(t)) wakeNetPoller(when);
    sysmon_timer_added();
}

bool deltimer(Timer* t) {
    Timers* ts = t->ts.load(std::memory_order_relaxed);
    if (ts == nullptr) return false;
    lock(&ts->mu);
    // checkTimers may have taken it off meanwhile (it clears ts under mu).
    const bool queued = t->ts.load(std::memory_order_relaxed) == ts;
    if (queued) {
        remove_at(ts, t->idx);
        updateTimer0When(ts);
    }
    unlock(&ts->mu);
    return queued;
}

int64_t checkTimers(P* pp, int64_t* now) {
    Timers* ts = &pp->timers;
    int64_t next = ts->timer0When.load(std::memory_order_acquire);
    if (next == 0) return 0;  // the common case costs no clock read
    if (*now == 0) *now = vdso::nanotime();
    if (next > *now) return next;
    // The functions run outside mu (they ready Gs, which may wake Ms), a
    // batch at a time, in the order their timers were due. Unlike Go (whose
    // sleep timers ready into runnext, so a batch runs out of order),
    // sleepers due together run in that order too.
    constexpr uint32_t kBatch = 32;
    Firing batch[kBatch];
    for (;;) {
        uint32_t n = 0;
        lock(&ts->mu);
        while (n < kBatch && ts->len != 0 && ts->heap[0]->when <= *now) {
            Timer* t = ts->heap[0];
            batch[n++] = {t->f, t->arg, t->seq};
            remove_at(ts, 0);
        }
        updateTimer0When(ts);
        next = ts->timer0When.load(std::memory_order_relaxed);
        unlock(&ts->mu);
        if (n != 0) traceEvent(evTimers, static_cast<uint32_t>(pp->id), n);
        for (uint32_t i = 0; i < n; ++i) batch[i].f(batch[i].arg, batch[i].seq);
        if (n < kBatch || next == 0 || next > *now) return next;
    }
}

int64_t earliest_timer() {
    int64_t earliest = 0;
    for (int32_t i = 0; i < sched.gomaxprocs; ++i) {
        int64_t w = allp[i]->timers.timer0When.load(std::memory_order_acquire);
        if (w != 0 && (earliest == 0 || w < earliest)) earliest = w;
    }
    return earliest;
}

void wakeNetPoller(int64_t when) {
    if (sched.lastpoll.load(std::memory_order_acquire) == 0) {
        netpoll_break_before(when);
        return;
    }
    wakep();
}

void free_timers(Timers* ts) {
    mfree(ts->heap, current_mcache());
    ts->heap = nullptr;
}

}  // namespace rawrt::sched

namespace rawrt {

void sleep(int64_t ns) {
    if (ns <= 0) return;
    if (sched::current_g() == nullptr) {
        const sys::KernelTimespec ts = {ns / 1'000'000'000, ns % 1'000'000'000};
        (void)sys::nanosleep(sys::as_timespec(&ts), nullptr);
        return;
    }
    sched::Timer t;
    t.when = vdso::nanotime() + ns;
    t.f = sched::goroutineReady;
    sched::gopark(sched::add_sleep_timer, &t, "sleep");
}

}  // namespace rawrt
