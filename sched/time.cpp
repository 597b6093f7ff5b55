#include "sched/time.hpp"

#include "sched/malloc.hpp"
#include "sched/proc.hpp"
#include "sched/runtime2.hpp"
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
    freeTimers(ts);
    ts->heap = heap;
    ts->cap = cap;
}

void siftUp(Timers* ts, uint32_t i) {
    Timer* t = ts->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (ts->heap[parent]->when <= t->when) break;
        ts->heap[i] = ts->heap[parent];
        i = parent;
    }
    ts->heap[i] = t;
}

void siftDown(Timers* ts, uint32_t i) {
    Timer* t = ts->heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= ts->len) break;
        if (child + 1 < ts->len && ts->heap[child + 1]->when < ts->heap[child]->when) ++child;
        if (t->when <= ts->heap[child]->when) break;
        ts->heap[i] = ts->heap[child];
        i = child;
    }
    ts->heap[i] = t;
}

// mu held.
void updateTimer0When(Timers* ts) {
    ts->timer0When.store(ts->len != 0 ? ts->heap[0]->when : 0, std::memory_order_release);
}

// The unlockf of sleep: runs on g0 once the G is parked, so no M can ready
// it before it is really waiting (Go: resetForSleep).
bool addTimer(G* gp, void* arg) {
    auto* t = static_cast<Timer*>(arg);
    t->g = gp;
    Timers* ts = &getm()->p->timers;
    lock(&ts->mu);
    if (ts->len == ts->cap) grow(ts);
    ts->heap[ts->len] = t;
    siftUp(ts, ts->len++);
    updateTimer0When(ts);
    unlock(&ts->mu);
    return true;
}

}  // namespace

int64_t checkTimers(P* pp, int64_t* now) {
    Timers* ts = &pp->timers;
    int64_t next = ts->timer0When.load(std::memory_order_acquire);
    if (next == 0) return 0;  // the common case costs no clock read
    if (*now == 0) *now = vdso::nanotime();
    if (next > *now) return next;
    GQueue due;  // readied outside mu: ready may wake another M
    lock(&ts->mu);
    while (ts->len != 0 && ts->heap[0]->when <= *now) {
        Timer* t = ts->heap[0];
        ts->heap[0] = ts->heap[--ts->len];
        if (ts->len != 0) siftDown(ts, 0);
        due.push_back(t->g);
    }
    updateTimer0When(ts);
    next = ts->timer0When.load(std::memory_order_relaxed);
    unlock(&ts->mu);
    // Unlike Go (whose timers ready into runnext, so a batch runs out of
    // order), sleepers due together run in the order they were due.
    while (G* gp = due.pop()) ready(gp, false);
    return next;
}

int64_t earliestTimer() {
    int64_t earliest = 0;
    for (int32_t i = 0; i < sched.gomaxprocs; ++i) {
        int64_t w = allp[i]->timers.timer0When.load(std::memory_order_acquire);
        if (w != 0 && (earliest == 0 || w < earliest)) earliest = w;
    }
    return earliest;
}

void freeTimers(Timers* ts) {
    mfree(ts->heap, current_mcache());
    ts->heap = nullptr;
}

}  // namespace rawrt::sched

namespace rawrt {

void sleep(int64_t ns) {
    if (ns <= 0) return;
    if (sched::getm() == nullptr || sched::getm()->curg == nullptr) {
        const sys::KernelTimespec ts = {ns / 1'000'000'000, ns % 1'000'000'000};
        (void)sys::nanosleep(sys::as_timespec(&ts), nullptr);
        return;
    }
    sched::Timer t;
    t.when = vdso::nanotime() + ns;
    sched::gopark(sched::addTimer, &t, "sleep");
}

}  // namespace rawrt
