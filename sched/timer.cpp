// Timers with channels and after_func, after Go 1.23's runtime/time.go
// (newTimer, timer.modify, timer.stop, timer.unlockAndRun, sendTime,
// goFunc, timerchandrain) and time/sleep.go, time/tick.go.
//
// How stop and reset settle a race with a firing: one lock per timer, mu
// (Go's timer.mu and sendLock in one), guards its setting: when it is to
// fire (0: stopped or fired), its period, and whether its heap entry is
// queued or being fired. checkTimers pops a due entry under its heap's lock
// and calls timer_fire outside it; timer_fire takes mu and acts on the
// setting it finds there, not on the one the entry was queued for. stop
// and reset take mu too, change the setting and drain the channel, so
// whichever comes second loses cleanly: a firing that comes after finds the
// timer stopped or moved and sends nothing; one that came before has put
// its value in the channel (drained: "pending") or into a receiver (the
// value was received: not pending). A firing popped but not yet run is
// cancelled by the new setting, and stop reports the timer pending.
//
// Lazily, as Go's timerModified and timerZombie states: stop and a reset
// to a later time leave the heap entry where it is, and take no heap lock.
// When the entry comes due, timer_fire drops it (stopped) or queues it
// again at the new time (reset later). A reset to an earlier time moves
// the entry at once, so that it is not late. So a stopped timer keeps its
// entry until that entry's time, or until its handle goes: the handle's
// release takes the entry off, and a timer nobody holds is never left
// queued. Go 1.23 bounds such leftovers instead by counting them per heap
// and sweeping past a quarter of the heap; here the bound is one entry per
// live handle, and stop and reset need no counter (the reset+stop pair
// costs the clock read and one locked instruction each).
//
// Lifetime: rawrt has no garbage collector, so a ChanTimer counts its
// owners: the handle, the heap entry (from being queued to the firing or
// deltimer that takes it off for good) and each G running an after_func's
// fn.

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
    Timer t;              // the heap entry (f = timer_fire, arg = this); t.when: where it sits
    spinmutex mu;         // Go: timer.mu, with sendLock's part; guards the fields below but refs
    int64_t when = 0;     // Go: timer.when. When it is to fire; 0: stopped, or fired once
    int64_t period = 0;   // a Ticker's (0: fires once)
    bool heaped = false;  // Go: timerHeaped. t is queued or being fired, and holds a reference
    hchan* c = nullptr;   // the channel (nullptr: an after_func timer)
    TimerFunc fn{};       // after_func's function
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

// Go: timer.modify's heap half. mu held. Sets the timer to fire at when
// (> 0); true if its entry became its P's earliest, and the caller must
// call wakeNetPoller(when) once mu is let go.
bool set_when(ChanTimer* ct, int64_t when) {
    ct->when = when;
    if (!ct->heaped) {
        ct->heaped = true;
        ct->refs.fetch_add(1, std::memory_order_relaxed);
        ct->t.when = when;
        return addtimer_nowake(&ct->t);
    }
    // Later than the entry: it stays, and timer_fire moves it when it
    // comes due (Go: timerModifiedLater), with no heap lock taken here.
    if (when >= ct->t.when) return false;
    // Earlier: the entry moves now, or the timer would be late. An entry
    // already popped is being fired: timer_fire reads the new when.
    if (!deltimer(&ct->t)) return false;
    ct->t.when = when;
    return addtimer_nowake(&ct->t);
}

// Go: timerchandrain. mu held; true if a value was dropped. Only firings
// put values in the channel, under mu, so an empty buffer seen here stays
// empty until mu is let go.
bool drain(ChanTimer* ct) {
    if (ct->c == nullptr || ct->c->qcount.load(std::memory_order_relaxed) == 0) return false;
    return chanrecv(ct->c, nullptr, false).received;
}

// Go: sendTime, a non-blocking send from g0. A receiver parked on c gets
// the value in its frame; it is returned, for the caller to ready at the
// tail of this P's queue once mu is let go (not runnext: receivers of
// timers due together run in the order the timers were due, as sleep's do,
// sched/time.cpp). A full channel (a Ticker's receiver is behind) drops the
// value.
G* timer_send(hchan* c, int64_t v) {
    lock(&c->lock);
    if (Sudog* sg = c->recvq.dequeue()) {
        if (sg->elem != nullptr) __builtin_memcpy(sg->elem, &v, sizeof v);
        sg->elem = nullptr;
        G* gp = sg->g;
        unlock(&c->lock);
        gp->param = sg;
        sg->success = true;
        return gp;
    }
    if (c->qcount.load(std::memory_order_relaxed) < c->dataqsiz) buf_put(c, &v);
    unlock(&c->lock);
    return nullptr;
}

// Go: goFunc, the G an after_func firing starts.
void run_func(ChanTimer* ct) {
    ct->fn.call(ct->fn.obj);
    unref(ct);
}

// The heap entry's f: on g0 with a P, outside every heap lock (checkTimers),
// with the entry popped. Owns the entry's reference, which it keeps when
// the entry is queued again.
void timer_fire(void* arg, uintptr_t) {
    auto* ct = static_cast<ChanTimer*>(arg);
    lock(&ct->mu);
    const int64_t when = ct->when;
    if (when == 0) {  // stopped since it was queued (Go: a zombie)
        ct->heaped = false;
        unlock(&ct->mu);
        unref(ct);
        return;
    }
    int64_t now = 0;
    if (when > ct->t.when) {
        // Reset to a later time since it was queued: queued again at that
        // time, unless that has come too (Go: timerModifiedLater's move).
        now = vdso::nanotime();
        if (when > now) {
            ct->t.when = when;
            const bool wake = addtimer_nowake(&ct->t);
            unlock(&ct->mu);
            if (wake) wakeNetPoller(when);
            return;
        }
    }
    G* receiver = nullptr;
    int64_t next = 0;
    bool wake = false;
    bool start_fn = false;
    if (ct->c != nullptr) {
        receiver = timer_send(ct->c, when);
        if (ct->period > 0) {
            // Go: the periodic rearm in unlockAndRun. The next tick stays on
            // the grid when + k * period, skipping the ticks already missed.
            if (now == 0) now = vdso::nanotime();
            next = when + ct->period;
            if (next <= now) next += ct->period * ((now - next) / ct->period + 1);
            ct->t.when = next;
            wake = addtimer_nowake(&ct->t);
        }
    } else {
        ct->refs.fetch_add(1, std::memory_order_relaxed);  // the G's
        start_fn = true;
    }
    ct->when = next;
    if (next == 0) ct->heaped = false;
    unlock(&ct->mu);
    if (receiver != nullptr) ready(receiver, false);
    if (start_fn) rawrt::go([ct] { run_func(ct); });
    if (wake) wakeNetPoller(next);
    if (next == 0) unref(ct);
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
    // No lock yet: nobody else knows the timer until its entry is queued,
    // and the heap's lock publishes everything set before.
    const int64_t when = when_after(d);
    if (set_when(ct, when)) wakeNetPoller(when);
    return ct;
}

bool timer_stop(ChanTimer* ct) {
    if (ct == nullptr) return false;
    lock(&ct->mu);
    bool pending = ct->when != 0;
    ct->when = 0;  // the entry stays queued: timer_fire drops it
    if (drain(ct)) pending = true;
    unlock(&ct->mu);
    return pending;
}

bool timer_reset(ChanTimer* ct, int64_t d, int64_t period) {
    if (ct == nullptr) return false;
    if (period < 0) sys::fatal("non-positive interval for Ticker.Reset");
    const int64_t when = when_after(d);
    lock(&ct->mu);
    bool pending = ct->when != 0;
    if (drain(ct)) pending = true;
    ct->period = period;
    const bool wake = set_when(ct, when);
    unlock(&ct->mu);
    if (wake) wakeNetPoller(when);
    return pending;
}

void timer_release(ChanTimer* ct) {
    // A channel timer nobody can receive from stops, and its entry goes at
    // once (an entry being fired is dropped by its firing). An after_func
    // one stays armed, as Go's does when its *Timer is dropped.
    if (ct->c != nullptr) {
        lock(&ct->mu);
        ct->when = 0;
        const bool off = ct->heaped && deltimer(&ct->t);
        if (off) ct->heaped = false;
        unlock(&ct->mu);
        if (off) unref(ct);  // the entry's
    }
    unref(ct);
}

}  // namespace rawrt::sched
