// Timers with channels and after_func, after Go 1.23's runtime/time.go
// (newTimer, timer.modify, timer.stop, timer.unlockAndRun, sendTime,
// goFunc, timerchandrain) and time/sleep.go, time/tick.go.
//
// How stop and reset settle a race with a firing (Go's design): the heap
// entry is a sched::Timer whose seq says which setting it was armed for.
// checkTimers pops a due entry under its heap's lock and calls timer_fire
// outside it; timer_fire takes the timer's sendLock and sends only if seq
// still matches. stop and reset take sendLock too, bump seq and drain the
// channel, so whichever comes second loses cleanly: a firing that comes
// after finds a stale seq and sends nothing; one that came before has put
// its value in the channel (drained: "pending") or into a receiver (the
// value was received: not pending). A firing popped but not yet sent is
// cancelled by the bump, and stop reports the timer pending.
//
// Lifetime: rawrt has no garbage collector, so a ChanTimer counts its
// owners: the handle, the heap entry (from addtimer to the deltimer that
// removes it or the firing that pops it) and each G running an
// after_func's fn.

#include "sched/timer.hpp"

#include <atomic>

#include "sched/go.hpp"
#include "sched/proc.hpp"
#include "sched/runtime2.hpp"
#include "sched/time.hpp"
#include "sys/fatal.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

struct ChanTimer {
    Timer t;             // the heap entry (f = timer_fire, arg = this)
    mutex sendLock;      // Go: timer.sendLock; guards everything below but refs
    hchan* c = nullptr;  // the channel (nullptr: an after_func timer)
    TimerFunc fn{};      // after_func's function
    int64_t period = 0;  // a Ticker's (0: fires once)
    bool armed = false;  // Go: when != 0. Set from arming until its firing completes, or stop
    std::atomic<uint32_t> refs{1};
};

namespace {

constexpr int64_t kMaxWhen = INT64_MAX;

// Go: when(d). nanotime() + d, saturated; d <= 0 is now.
int64_t when_after(int64_t d) {
    const int64_t now = vdso::nanotime();
    if (d <= 0) return now;
    return d > kMaxWhen - now ? kMaxWhen : now + d;
}

void unref(ChanTimer* ct) {
    if (ct->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    if (ct->fn.destroy != nullptr) ct->fn.destroy(ct->fn.obj);
    ct->~ChanTimer();
    mfree(ct, current_mcache());
}

// sendLock held. Queues the heap entry on the calling M's P, with a
// reference for it.
void arm(ChanTimer* ct, int64_t when, bool have_heap_ref) {
    if (!have_heap_ref) ct->refs.fetch_add(1, std::memory_order_relaxed);
    ct->armed = true;
    ct->t.when = when;
    addtimer(&ct->t);
}

// Go: timerchandrain. sendLock held; true if a value was dropped.
bool drain(ChanTimer* ct) {
    if (ct->c == nullptr) return false;
    return chanrecv(ct->c, nullptr, false).received;
}

// Go: sendTime, a non-blocking send from g0. A receiver parked on c gets
// the value in its frame and goes to the tail of this P's queue, not
// runnext: receivers of timers due together run in the order the timers
// were due (as sleep's do, sched/time.cpp). A full channel (a Ticker's
// receiver is behind) drops the value.
void timer_send(hchan* c, int64_t v) {
    lock(&c->lock);
    if (Sudog* sg = c->recvq.dequeue()) {
        if (sg->elem != nullptr) __builtin_memcpy(sg->elem, &v, sizeof v);
        sg->elem = nullptr;
        G* gp = sg->g;
        unlock(&c->lock);
        gp->param = sg;
        sg->success = true;
        ready(gp, false);
        return;
    }
    if (c->qcount.load(std::memory_order_relaxed) < c->dataqsiz) buf_put(c, &v);
    unlock(&c->lock);
}

// Go: goFunc, the G an after_func firing starts.
void run_func(ChanTimer* ct) {
    ct->fn.call(ct->fn.obj);
    unref(ct);
}

// The heap entry's f: on g0 with a P, outside every heap lock (checkTimers).
// Owns the heap entry's reference, which it keeps when a Ticker rearms.
void timer_fire(void* arg, uintptr_t seq) {
    auto* ct = static_cast<ChanTimer*>(arg);
    lock(&ct->sendLock);
    if (ct->t.seq != seq || !ct->armed) {  // stopped or reset since it was popped
        unlock(&ct->sendLock);
        unref(ct);
        return;
    }
    const int64_t when = ct->t.when;
    bool keep = false;
    if (ct->c != nullptr) {
        timer_send(ct->c, when);
        if (ct->period > 0) {
            // Go: the periodic rearm in unlockAndRun. The next tick stays on
            // the grid when + k * period, skipping the ticks already missed.
            const int64_t now = vdso::nanotime();
            int64_t next = when + ct->period;
            if (next <= now) next += ct->period * ((now - next) / ct->period + 1);
            arm(ct, next, true);
            keep = true;
        } else {
            ct->armed = false;
        }
    } else {
        ct->armed = false;
        ct->refs.fetch_add(1, std::memory_order_relaxed);  // the G's
        rawrt::go([ct] { run_func(ct); });
    }
    unlock(&ct->sendLock);
    if (!keep) unref(ct);
}

// sendLock held: takes the current setting out (off the heap, or its firing
// cancelled by the seq bump). True if it was pending.
bool disarm(ChanTimer* ct) {
    if (!ct->armed) return false;
    ct->armed = false;
    ++ct->t.seq;
    if (deltimer(&ct->t)) ct->refs.fetch_sub(1, std::memory_order_relaxed);  // the handle still holds one
    return true;
}

}  // namespace

ChanTimer* timer_new(int64_t d, int64_t period, hchan* c, TimerFunc fn) {
    (void)getg_for("rawrt::Timer");
    if (period < 0) sys::fatal("non-positive interval for NewTicker");
    void* mem = mallocgc(sizeof(ChanTimer), current_mcache());
    if (mem == nullptr) sys::fatal("timer: out of memory");
    auto* ct = ::new (mem) ChanTimer;
    ct->c = c;
    ct->fn = fn;
    ct->period = period;
    ct->t.f = timer_fire;
    ct->t.arg = ct;
    lock(&ct->sendLock);
    arm(ct, when_after(d), false);
    unlock(&ct->sendLock);
    return ct;
}

bool timer_stop(ChanTimer* ct) {
    if (ct == nullptr) return false;
    lock(&ct->sendLock);
    bool pending = disarm(ct);
    if (drain(ct)) pending = true;
    unlock(&ct->sendLock);
    return pending;
}

bool timer_reset(ChanTimer* ct, int64_t d, int64_t period) {
    if (ct == nullptr) return false;
    if (period < 0) sys::fatal("non-positive interval for Ticker.Reset");
    lock(&ct->sendLock);
    const bool was_armed = ct->armed;
    // Off the heap with its reference kept, or a firing in flight
    // cancelled (that firing drops its own reference).
    bool have_ref = false;
    if (was_armed) {
        ct->armed = false;
        have_ref = deltimer(&ct->t);
    }
    ++ct->t.seq;
    bool pending = was_armed;
    if (drain(ct)) pending = true;
    ct->period = period;
    arm(ct, when_after(d), have_ref);
    unlock(&ct->sendLock);
    return pending;
}

void timer_release(ChanTimer* ct) {
    // A channel timer nobody can receive from stops; an after_func one
    // stays armed, as Go's does when its *Timer is dropped.
    if (ct->c != nullptr) (void)timer_stop(ct);
    unref(ct);
}

}  // namespace rawrt::sched
