// Ms and Ps, after Go's runtime/proc.go: which M holds which P, how Ms are
// made (newm), parked (stopm) and woken (startm, wakep), how a P changes
// hands (handoffp), how a G locked to its thread keeps it (startlockedm,
// stoplockedm), and how a run ends (checkdead, mexit).
//
// Ownership: a P has at most one M (p.m / m.p, proved in the checked build);
// the idle lists, allm and the counters below are under sched.lock.

#include <linux/sched.h>

#include "sched/debug.hpp"
#include "sched/layers_below.hpp"
#include "sched/poller.hpp"
#include "sched/proc.hpp"
#include "sched/runq.hpp"
#include "sched/signal_unix.hpp"
#include "sched/stack.hpp"
#include "sched/standby.hpp"
#include "sched/stats.hpp"
#include "sched/sysmon.hpp"
#include "sched/trace.hpp"
#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "sys/fatal.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

P* allp[kMaxProcs];
M* allm = nullptr;

namespace {
constexpr size_t kG0StackSize = 64 * 1024;
}

// ------------------------------------------------------------ owning a P

void acquirep(P* pp) {
    M* mp = getm();
#if RAWRT_CHECKED
    if (mp->p != nullptr || pp->m != nullptr || pp->status.load() != Pidle)
        sys::fatal("acquirep: P ", pp->id, " is owned or busy (status ", pp->status.load(), ")");
#endif
    mp->p = pp;
    pp->m = mp;
    pp->status.store(Prunning, std::memory_order_relaxed);
    traceEvent(evProcStart, static_cast<uint32_t>(pp->id));
    sysmon_pbusy();
}

P* releasep() {
    M* mp = getm();
    P* pp = mp->p;
#if RAWRT_CHECKED
    if (pp == nullptr || pp->m != mp || pp->status.load() != Prunning)
        sys::fatal("releasep: M ", mp->id, " does not own a running P");
#endif
    traceEvent(evProcStop, static_cast<uint32_t>(pp->id));
    pp->m = nullptr;
    mp->p = nullptr;
    pp->status.store(Pidle, std::memory_order_relaxed);
    return pp;
}

void pidleput(P* pp) {
    pp->status.store(Pidle, std::memory_order_relaxed);
    pp->link = sched.pidle;
    sched.pidle = pp;
    sched.npidle.fetch_add(1, std::memory_order_relaxed);
}

P* pidleget() {
    P* pp = sched.pidle;
    if (pp != nullptr) {
        sched.pidle = pp->link;
        sched.npidle.fetch_sub(1, std::memory_order_relaxed);
    }
    return pp;
}

// ------------------------------------------------------------ idle Ms

void mput(M* mp) {
    mp->schedlink = sched.midle;
    sched.midle = mp;
    ++sched.nmidle;
    checkdead();
}

namespace {

// mp is off the idle list: no longer counted there, nor the M that waits
// for the earliest timer (stopm). sched.lock held.
void left_idle(M* mp) {
    --sched.nmidle;
    if (sched.timer_waiter == mp) sched.timer_waiter = nullptr;
}

// Takes mp off the list of Ms at *head (linked through schedlink) if it is
// there. sched.lock held.
bool m_unlink(M** head, M* mp) {
    for (M** link = head; *link != nullptr; link = &(*link)->schedlink) {
        if (*link == mp) {
            *link = mp->schedlink;
            return true;
        }
    }
    return false;
}

// Removes mp from the idle list if it is still there. sched.lock held.
bool m_remove(M* mp) {
    if (!m_unlink(&sched.midle, mp)) return false;
    left_idle(mp);
    return true;
}

}  // namespace

M* mget() {
    M* mp = sched.midle;
    if (mp != nullptr) {
        sched.midle = mp->schedlink;
        left_idle(mp);
    }
    return mp;
}

int32_t mcount() { return static_cast<int32_t>(sched.mnext - sched.nmfreed); }

namespace {

// Wakes every idle M so it can see sched.exiting and leave, including those
// parked with a locked G (stoplockedm). sched.lock held.
void wake_all_idle() {
    while (M* mp = mget()) notewakeup(&mp->park);
    for (M* mp = allm; mp != nullptr; mp = mp->alllink) {
        if (!mp->locked_park) continue;
        mp->locked_park = false;
        --sched.nmidlelocked;
        notewakeup(&mp->park);
    }
}

}  // namespace

void begin_exit() {
    if (sched.exiting) return;
    sched.exiting = true;
    wake_all_idle();
    netpollBreak();  // the M blocked in epoll, if any
    sysmon_exit();
    notewakeup(&sched.done);
}

// Go: checkdead. If no M is running Go code, nothing will ever make a G
// runnable again (sysmon, an M of its own, does not count: it readies no G).
void checkdead() {
    if (sched.exiting) return;
    int32_t run = mcount() - sched.nmidle - sched.nmidlelocked - sched.nmsys;
    if (run > 0) return;
    for (G* gp = sched.allgs; gp != nullptr; gp = gp->alllink) {
        uint32_t s = readgstatus(gp);
        // The counts say which M was missed, should this ever fire.
        if (s == Grunnable || s == Grunning || s == Gsyscall)
            sys::fatal("checkdead: runnable goroutine ", gp->goid, " (status ", s, ") with no M to run it (Ms ",
                       mcount(), ", idle ", sched.nmidle, ", idle locked ", sched.nmidlelocked, ", system ",
                       sched.nmsys, "; idle Ps ", sched.npidle.load(std::memory_order_relaxed), " of ",
                       sched.gomaxprocs, "; global queue ", sched.runqsize, ")");
    }
    // A sleeping G will wake: the M that parked last sleeps until its timer.
    if (earliest_timer() != 0) return;
    sched.deadlock = true;
    if (sched.exit_process_on_end) sys::fatal("all goroutines are asleep - deadlock!");
    begin_exit();
}

// Go: mexit. The M's thread ends: at the end of the run, or because a locked
// G exited (the G may have left its thread in a state nobody else should
// inherit). Mid-run its P goes to someone else and the M moves from allm to
// sched.freem, where newm frees its stack once the thread is gone.
[[noreturn]] void mexit() {
    M* mp = getm();
    if (mp->p != nullptr) handoffp(releasep());
    if (!sched.exiting) poller_thread_exit(mp);
    traceEvent(evMExit);
    lock(&sched.lock);
    trace_mexit(mp);
    if (!sched.exiting) {
        for (M** link = &allm; *link != nullptr; link = &(*link)->alllink) {
            if (*link != mp) continue;
            *link = mp->alllink;
            break;
        }
        mp->alllink = sched.freem;
        sched.freem = mp;
        ++sched.nmfreed;
        retire_mstats(mp);
        checkdead();
    }
    unlock(&sched.lock);
    unminitSignalStack();
    // The kernel clears mp->procid (and wakes run()'s caller) once this
    // thread is gone; only then may its stack, which holds *mp, be reused.
    sys::exit(0);
}

// ------------------------------------------------------------ making Ms

namespace {

// The first code of every M, on its own thread and stack (Go: mstart).
void mstart(M* mp) {
    // Linux stretches a thread's timed waits by its timer slack (50 µs by
    // default) to batch wake-ups: an idle M waiting in the poller for a
    // 100 µs timer woke 180 µs late, and sysmon's shortest sleep would be
    // stretched past twice its length. An M's timed waits are for timers
    // and sysmon's ticks, whose timing is their point: 1 ns of slack (Go
    // keeps the default).
    (void)sys::raw::prctl(sys::kPR_SET_TIMERSLACK, 1);
    minitSignalStack(mp);  // before signals are unblocked
    // The creator's mask, but never without the preemption signal (Go:
    // minitSignalMask unblocks the runtime's signals likewise).
    if (preempt_signal_installed()) mp->sigmask &= ~sys::signal_bit(sys::kSIGURG);
    (void)sys::raw::rt_sigprocmask(sys::kSIG_SETMASK, &mp->sigmask, nullptr);
    traceEvent(evMStart);
    if (mp->mstartfn != nullptr) {
        mp->mstartfn();  // an M without a P (sysmon): returns when the run ends
        mexit();
    }
    acquirep(mp->nextp);
    mp->nextp = nullptr;
    schedule();
}

int mstart_clone(void* arg) {
    mstart(static_cast<M*>(arg));
    return 0;  // not reached: mstart ends in schedule() or mexit()
}

// Frees the stacks of exited Ms (sched.freem) whose threads the kernel has
// let go: CLONE_CHILD_CLEARTID zeroes procid once the thread no longer uses
// its stack. Go does this in allocm.
void reap_freem() {
    lock(&sched.lock);
    M* keep = nullptr;
    M* gone = nullptr;
    while (M* mp = sched.freem) {
        sched.freem = mp->alllink;
        M** list = __atomic_load_n(&mp->procid, __ATOMIC_ACQUIRE) == 0 ? &gone : &keep;
        mp->alllink = *list;
        *list = mp;
    }
    sched.freem = keep;
    unlock(&sched.lock);
    while (M* mp = gone) {
        gone = mp->alllink;
        stackfree(mp->g0_stack);
    }
}

// Go: newosproc. The thread starts with every signal blocked and restores
// the creator's mask once it runs. The kernel refuses threads with EAGAIN
// under memory pressure or a pids limit: retried as Go does (20 times,
// sleeping 1, 2, ... ms), then fatal with what to change.
void newosproc(M* mp) {
    constexpr unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM | CLONE_THREAD |
                                    CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    const sys::SignalSet all = ~sys::SignalSet{0};
    long r = 0;
    for (int tries = 0; tries < 20; ++tries) {
        (void)sys::raw::rt_sigprocmask(sys::kSIG_SETMASK, &all, &mp->sigmask);
        r = rawrt_clone(flags, reinterpret_cast<void*>(mp->g0->stack.hi), &mp->procid, &mp->tcb, mstart_clone, mp);
        (void)sys::raw::rt_sigprocmask(sys::kSIG_SETMASK, &mp->sigmask, nullptr);
        if (r != -EAGAIN) break;
        const sys::KernelTimespec pause = {0, (tries + 1) * 1'000'000};
        (void)sys::raw::nanosleep(sys::as_timespec(&pause), nullptr);
    }
    if (r < 0)
        sys::fatal("runtime: failed to create new OS thread (have ", mcount(),
                   " already; errno=", sys::Errno(static_cast<int>(-r)),
                   "): raise the system's thread limit (ulimit -u, pids.max)");
}

}  // namespace

// Go: newm (with allocm). The M, its g0 and its TCB live at the top of the
// thread's own stack mapping.
void newm(P* pp, bool spinning, int64_t id, void (*mstartfn)()) {
    if (sched.freem != nullptr) reap_freem();
    // Below the M and g0: the signal stack, then g0's stack down to the guard.
    const size_t sigsize = signal_stack_size();
    Stack stk = stackalloc(kG0StackSize + sigsize);
    auto top = stk.hi - sizeof(M) - sizeof(G);
    top &= ~uintptr_t{63};
    M* mp = ::new (reinterpret_cast<void*>(top)) M;
    G* g0 = ::new (reinterpret_cast<void*>(top + sizeof(M))) G;
    static_assert(sizeof(M) % 64 == 0, "the G after the M stays aligned");
    mp->gsignal = Stack{top - sigsize, top};
    g0->stack = Stack{stk.lo, top - sigsize};
    g0->m = mp;
    mp->g0 = g0;
    mp->g0_stack = stk;
    mp->id = id;
    mp->nextp = pp;
    mp->spinning = spinning;
    mp->mstartfn = mstartfn;
    mp->tcb.init(sys::random_canary());
    mp->tcb.m = mp;
    mp->tcb.g = g0;

    lock(&sched.lock);
    mp->alllink = allm;
    allm = mp;
    if (mcount() > sched.mmax) sched.mmax = mcount();
    unlock(&sched.lock);
    newosproc(mp);
    sched.m_starting.fetch_sub(1, std::memory_order_release);
}

// Go: checkmcount. Past the limit the program is stuck making threads
// (typically Gs piling up in blocking syscalls). sched.lock held.
int64_t mReserveID() {
    if (mcount() + 1 > sched.maxmcount)
        sys::fatal("thread exhaustion: the program exceeds its ", sched.maxmcount, "-thread limit (", mcount(),
                   " threads exist; RunConfig::max_threads raises it)");
    sched.m_starting.fetch_add(1, std::memory_order_relaxed);
    return sched.mnext++;
}

// ------------------------------------------------------------ parking Ms

namespace {

// stopm's wait for a timer: mp (idle-listed) sleeps on its note until
// `until`. True if nobody handed it a P by then and it took an idle one
// itself; false if it must wait for startm's P after all.
bool park_until(M* mp, int64_t until) {
    const int64_t delay = until - vdso::nanotime();
    if (notetsleep(&mp->park, delay > 0 ? delay : 0)) return false;  // woken: nextp is coming
    lock(&sched.lock);
    if (m_remove(mp)) {
        P* pp = sched.exiting ? nullptr : pidleget();
        if (pp != nullptr) {
            unlock(&sched.lock);
            traceEvent(evMWake);
            acquirep(pp);
            return true;
        }
        mput(mp);
    }
    unlock(&sched.lock);
    return false;
}

// rawrt: an M idle for debug.mretire_ns while more Ms than Ps are idle
// ends, so that a burst of blocking syscalls does not leave its threads
// and their stacks behind for good (Go keeps every M it ever made). The
// Ms kept are the ones most recently idle (mget takes from the head). Idle
// counts from the last G the M ran, not from its last wake: a recurring
// wake-up (a G sleeping 1 ms at a time) rouses idle Ms in turn to spin and
// find nothing, and counted from the wake, none of them would ever have
// been idle long enough. An idle M still needed looks again every
// mretire_ns: the first to go idle in a burst cannot know how many will
// follow. Returns when the M is to wait on: woken (a P or a watch is
// coming).
void retire_if_idle(M* mp) {
    const int64_t after = debug.mretire_ns;
    if (after <= 0) return;
    if (mp->idle_since == 0) mp->idle_since = vdso::nanotime();
    int64_t deadline = mp->idle_since + after;
    for (;;) {
        const int64_t wait = deadline - vdso::nanotime();
        if (wait > 0 && notetsleep(&mp->park, wait)) return;
        lock(&sched.lock);
        // An M a poller keeps kernel state on (the ring's io-wq, whose
        // queued work the kernel cancels when its thread ends) stays.
        if (!sched.exiting && sched.nmidle > sched.gomaxprocs && mp->poller_mark != run_generation() && m_remove(mp)) {
            unlock(&sched.lock);
            mexit();
        }
        unlock(&sched.lock);
        deadline = vdso::nanotime() + after;
    }
}

}  // namespace

void lock_sched_or_mexit() {
    lock(&sched.lock);
    if (sched.exiting) {
        unlock(&sched.lock);
        mexit();
    }
}

namespace {

// m.stopping.
enum : uint8_t { kStoppingNone, kStoppingListed, kStoppingHanded, kStoppingHandedSpinning };

// startm's use of sched.mstopping (locked): pp to the M that gave up its P
// last, if any is still on its way. No wake: it is awake.
bool mstopping_hand(P* pp, bool spinning) {
    M* mp = sched.mstopping;
    if (mp == nullptr) return false;
    sched.mstopping = mp->schedlink;
    mp->nextp = pp;
    mp->stopping = spinning ? kStoppingHandedSpinning : kStoppingHanded;
    ++sched.mstopping_handed;
    return true;
}

}  // namespace

void mstopping_put(M* mp) {
    mp->stopping = kStoppingListed;
    mp->schedlink = sched.mstopping;
    sched.mstopping = mp;
}

P* mstopping_leave(M* mp, bool handed_only) {
    switch (mp->stopping) {
        case kStoppingListed:
            if (handed_only) return nullptr;
            (void)m_unlink(&sched.mstopping, mp);
            mp->stopping = kStoppingNone;
            return nullptr;
        case kStoppingHanded:
        case kStoppingHandedSpinning: {
            // The M's own write: startm's could race the M clearing its
            // spinning as it gave up its P.
            mp->spinning = mp->stopping == kStoppingHandedSpinning;
            mp->stopping = kStoppingNone;
            P* pp = mp->nextp;
            mp->nextp = nullptr;
            return pp;
        }
    }
    return nullptr;
}

void stopm(int64_t until) {
    M* mp = getm();
    lock_sched_or_mexit();
    // Handed a P on the way here: run it (no park, no wake).
    if (P* pp = mstopping_leave(mp)) {
        unlock(&sched.lock);
        acquirep(pp);
        return;
    }
    mput(mp);
    // One M waits for the earliest timer; with a waiter due as soon, this
    // one parks without a deadline, and can retire. (If every idle M waited
    // for the timer, a 1 ms sleeper would wake each of them in turn.)
    if (until != 0) {
        if (sched.timer_waiter != nullptr && sched.timer_until <= until) {
            until = 0;
        } else {
            sched.timer_waiter = mp;
            sched.timer_until = until;
        }
    }
    unlock(&sched.lock);
    traceEvent(evMPark);
    do {
        if (until != 0 && park_until(mp, until)) return;
        retire_if_idle(mp);
        notesleep(&mp->park);
        noteclear(&mp->park);
        // On standby, standby_wait sees the run ending too, and leaves the
        // slot first: startm must not hand a P to an M that is gone.
        if (sched.exiting && mp->standby.load(std::memory_order_relaxed) == kStandbyNone) mexit();
    } while (!standby_wait(mp));  // woken on standby for a P that did not come
    traceEvent(evMWake);
    acquirep(mp->nextp);
    mp->nextp = nullptr;
}

void startm(P* pp, bool spinning) {
    lock(&sched.lock);
    if (sched.exiting) {
        unlock(&sched.lock);
        return;
    }
    if (pp == nullptr) {
        pp = pidleget();
        if (pp == nullptr) {
            unlock(&sched.lock);
            if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_relaxed);
            return;
        }
    }
    // An M on standby is awake already: it goes first (and sysmon, retaking
    // a P a standby M watches, gives it to that M).
    if (standby_take(pp, spinning)) {
        unlock(&sched.lock);
        return;
    }
    M* nmp = mget();
    if (nmp == nullptr) {
        if (mstopping_hand(pp, spinning)) {
            unlock(&sched.lock);
            return;
        }
        int64_t id = mReserveID();
        unlock(&sched.lock);
        newm(pp, spinning, id);
        return;
    }
    unlock(&sched.lock);
    nmp->spinning = spinning;
    nmp->nextp = pp;
    notewakeup(&nmp->park);
}

void wakep() {
    if (sched.npidle.load(std::memory_order_relaxed) == 0) return;
    int32_t expected = 0;
    if (sched.nmspinning.load(std::memory_order_relaxed) != 0 ||
        !sched.nmspinning.compare_exchange_strong(expected, 1, std::memory_order_acq_rel))
        return;
    startm(nullptr, true);
}

void handoffp(P* pp) {
    traceEvent(evProcHandoff, static_cast<uint32_t>(pp->id));
    // Work of its own, or on the global queue: an M to run it.
    if (!runqempty(pp) || sched.runqsize != 0) {
        startm(pp, false);
        return;
    }
    // Nobody spinning and no P idle: this P's M may be the one that would
    // have found the next G; let a spinning M look in its place.
    int32_t zero = 0;
    if (sched.nmspinning.load(std::memory_order_relaxed) + sched.npidle.load(std::memory_order_relaxed) == 0 &&
        sched.nmspinning.compare_exchange_strong(zero, 1, std::memory_order_acq_rel)) {
        startm(pp, true);
        return;
    }
    lock(&sched.lock);
    if (sched.runqsize != 0) {
        unlock(&sched.lock);
        startm(pp, false);
        return;
    }
    // The last P running, and nobody in the poller: Gs parked there would
    // have no M to wait for them (a locked G parked on the ring, its M in
    // stoplockedm, was taken for a deadlock). Go starts the M whether or not
    // any G waits in the poller; rawrt only when one does, as findRunnable
    // polls only then.
    if (sched.npidle.load(std::memory_order_relaxed) == sched.gomaxprocs - 1 &&
        sched.lastpoll.load(std::memory_order_relaxed) != 0 && netpollAnyWaiters()) {
        unlock(&sched.lock);
        startm(pp, false);
        return;
    }
    const int64_t when = pp->timers.timer0When.load(std::memory_order_relaxed);
    pidleput(pp);
    unlock(&sched.lock);
    // Its sleepers still need an M to wake for them (Go: wakeNetPoller):
    // a spinning M parks only until the earliest timer of every P.
    if (when != 0) wakep();
}

// ------------------------------------------------------------ locked Gs

void stoplockedm() {
    M* mp = getm();
    if (mp->p != nullptr) handoffp(releasep());
    lock_sched_or_mexit();
    // startlockedm may already have handed over a P: then the note is set.
    if (mp->nextp == nullptr) {
        mp->locked_park = true;
        ++sched.nmidlelocked;
        checkdead();
    }
    unlock(&sched.lock);
    notesleep(&mp->park);
    noteclear(&mp->park);
    if (sched.exiting) mexit();
    acquirep(mp->nextp);
    mp->nextp = nullptr;
}

void startlockedm(G* gp) {
    M* mp = gp->lockedm;
    P* pp = releasep();
    lock_sched_or_mexit();
    if (mp->locked_park) {
        mp->locked_park = false;
        --sched.nmidlelocked;
    }
    mp->nextp = pp;
    // Under the lock, so that begin_exit cannot wake it a second time.
    notewakeup(&mp->park);
    unlock(&sched.lock);
    stopm();
}

}  // namespace rawrt::sched
