// The scheduler proper, after Go's runtime/proc.go: Gs are made runnable on a
// P's queue, Ms holding Ps run them from schedule(), Ms without work park on
// their note, and a G that blocks gives its M to the next G instead of
// holding it. Function names are Go's; the comments say where rawrt differs.

#include "sched/proc.hpp"

#include <linux/sched.h>

#include "sched/go.hpp"
#include "sched/os_linux.hpp"
#include "sched/rand.hpp"
#include "sched/runq.hpp"
#include "sched/signal_unix.hpp"
#include "sched/stack.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

Schedt sched;
P* allp[kMaxProcs];
std::atomic<M*> allm{nullptr};

namespace {

constexpr size_t kG0StackSize = 64 * 1024;

// ------------------------------------------------------------ G status

#if RAWRT_CHECKED
bool legal_transition(uint32_t from, uint32_t to) {
    switch (from) {
        case _Gidle: return to == _Gdead;
        case _Gdead: return to == _Grunnable;
        case _Grunnable: return to == _Grunning;
        case _Grunning: return to == _Grunnable || to == _Gwaiting || to == _Gsyscall || to == _Gdead;
        case _Gsyscall: return to == _Grunning || to == _Grunnable;
        case _Gwaiting: return to == _Grunnable;
    }
    return false;
}
#endif

}  // namespace

void casgstatus(G* gp, uint32_t oldval, uint32_t newval) {
#if RAWRT_CHECKED
    if (!legal_transition(oldval, newval))
        sys::fatal("casgstatus: bad transition ", oldval, " -> ", newval, " for goroutine ", gp->goid);
    uint32_t seen = oldval;
    if (!gp->atomicstatus.compare_exchange_strong(seen, newval, std::memory_order_acq_rel))
        sys::fatal("casgstatus: goroutine ", gp->goid, " is in status ", seen, ", not ", oldval);
#else
    (void)oldval;
    gp->atomicstatus.store(newval, std::memory_order_release);
#endif
}

uint32_t readgstatus(G* gp) { return gp->atomicstatus.load(std::memory_order_acquire); }

namespace {

// ------------------------------------------------------------ Ps and Ms

// Go: acquirep / releasep. The checked build proves a P has one owner.
void acquirep(P* pp) {
    M* mp = getm();
#if RAWRT_CHECKED
    if (mp->p != nullptr || pp->m != nullptr || pp->status.load() != _Pidle)
        sys::fatal("acquirep: P ", pp->id, " is owned or busy (status ", pp->status.load(), ")");
#endif
    mp->p = pp;
    pp->m = mp;
    pp->status.store(_Prunning, std::memory_order_relaxed);
}

P* releasep() {
    M* mp = getm();
    P* pp = mp->p;
#if RAWRT_CHECKED
    if (pp == nullptr || pp->m != mp || pp->status.load() != _Prunning)
        sys::fatal("releasep: M ", mp->id, " does not own a running P");
#endif
    pp->m = nullptr;
    mp->p = nullptr;
    pp->status.store(_Pidle, std::memory_order_relaxed);
    return pp;
}

}  // namespace

void pidleput(P* pp) {
    pp->status.store(_Pidle, std::memory_order_relaxed);
    pp->link = sched.pidle;
    sched.pidle = pp;
    sched.npidle.fetch_add(1, std::memory_order_relaxed);
}

namespace {

P* pidleget() {
    P* pp = sched.pidle;
    if (pp != nullptr) {
        sched.pidle = pp->link;
        sched.npidle.fetch_sub(1, std::memory_order_relaxed);
    }
    return pp;
}

void checkdead();

// sched.lock held.
void mput(M* mp) {
    mp->schedlink = sched.midle;
    sched.midle = mp;
    ++sched.nmidle;
    checkdead();
}

M* mget() {
    M* mp = sched.midle;
    if (mp != nullptr) {
        sched.midle = mp->schedlink;
        --sched.nmidle;
    }
    return mp;
}

int32_t mcount() { return static_cast<int32_t>(sched.mnext); }

// Wakes every idle M so it can see sched.exiting and leave. sched.lock held.
void wake_all_idle() {
    while (M* mp = mget()) notewakeup(&mp->park);
}

// Ends the run: the main G returned, or nothing can ever run again. Every M
// leaves at its next scheduling point; run()'s caller joins them.
// sched.lock held.
void begin_exit() {
    if (sched.exiting) return;
    sched.exiting = true;
    wake_all_idle();
    notewakeup(&sched.done);
}

[[noreturn]] void mexit() {
    M* mp = getm();
    if (mp->p != nullptr) {
        P* pp = releasep();
        lock(&sched.lock);
        pidleput(pp);
        unlock(&sched.lock);
    }
    unminitSignalStack();
    // The kernel clears mp->procid and wakes run()'s caller once this thread
    // is gone; only then may its stack (which holds *mp) be unmapped.
    sys::exit(0);
}

// Go: checkdead. Called with sched.lock held when an M goes idle: if no M is
// running Go code, nothing will ever make a G runnable again.
void checkdead() {
    if (sched.exiting) return;
    int32_t run = mcount() - sched.nmidle - sched.nmidlelocked - sched.nmsys;
    if (run > 0) return;
    for (G* gp = sched.allgs; gp != nullptr; gp = gp->alllink) {
        uint32_t s = readgstatus(gp);
        if (s == _Grunnable || s == _Grunning || s == _Gsyscall)
            sys::fatal("checkdead: runnable goroutine ", gp->goid, " with no M to run it");
    }
    // A sleeping G will wake: the M that parked last sleeps until its timer.
    if (earliestTimer() != 0) return;
    sched.deadlock = true;
    if (sched.exit_process_on_end) sys::fatal("all goroutines are asleep - deadlock!");
    begin_exit();
}

void mstart(M* mp);

int mstart_clone(void* arg) {
    mstart(static_cast<M*>(arg));
    return 0;  // not reached: mstart ends in schedule() or mexit()
}

}  // namespace

// Go: newm + newosproc. The M, its g0 and its TCB live at the top of the
// thread's own stack mapping; the thread is created with every signal
// blocked and restores the creator's mask once it runs.
void newm(P* pp, bool spinning, int64_t id) {
    // Below the M and g0: the signal stack, then g0's stack down to the guard.
    const size_t sigsize = signalstacksize();
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
    mp->g0stack = stk;
    mp->id = id;
    mp->nextp = pp;
    mp->spinning = spinning;
    mp->tcb.init(sys::random_canary());
    mp->tcb.m = mp;
    mp->tcb.g = g0;

    M* head = allm.load(std::memory_order_relaxed);
    do mp->alllink = head;
    while (!allm.compare_exchange_weak(head, mp, std::memory_order_release));

    constexpr unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM |
                                    CLONE_THREAD | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    const sys::SignalSet all = ~sys::SignalSet{0};
    (void)sys::raw::rt_sigprocmask(sys::kSigSetmask, &all, &mp->sigmask);
    long r = rawrt_clone(flags, reinterpret_cast<void*>(g0->stack.hi), &mp->procid, &mp->tcb, mstart_clone, mp);
    (void)sys::raw::rt_sigprocmask(sys::kSigSetmask, &mp->sigmask, nullptr);
    if (r < 0) sys::fatal("newosproc: clone failed: ", sys::Errno(static_cast<int>(-r)), " (", mcount(), " threads)");
}

int64_t mReserveID() {
    if (sched.mnext + 1 > sched.maxmcount) sys::fatal("thread exhaustion (", sched.maxmcount, " threads)");
    return sched.mnext++;
}

namespace {

// Removes mp from the idle list if it is still there. sched.lock held.
bool mremove(M* mp) {
    for (M** link = &sched.midle; *link != nullptr; link = &(*link)->schedlink) {
        if (*link == mp) {
            *link = mp->schedlink;
            --sched.nmidle;
            return true;
        }
    }
    return false;
}

// stopm's wait for a timer: mp (idle-listed) sleeps on its note until
// `until`. True if nobody handed it a P by then and it took an idle one
// itself; false if it must wait for startm's P after all.
bool park_until(M* mp, int64_t until) {
    const int64_t delay = until - vdso::nanotime();
    if (notetsleep(&mp->park, delay > 0 ? delay : 0)) return false;  // woken: nextp is coming
    lock(&sched.lock);
    if (mremove(mp)) {
        P* pp = sched.exiting ? nullptr : pidleget();
        if (pp != nullptr) {
            unlock(&sched.lock);
            acquirep(pp);
            return true;
        }
        mput(mp);
    }
    unlock(&sched.lock);
    return false;
}

// Go: stopm. Parks the M until startm hands it a P (or the run ends). With
// until != 0 it parks only until that nanotime, then tries to take an idle
// P itself so the timer due then gets run; where Go's idle M would block in
// netpoll(delay), rawrt's sleeps on its note with the same timeout.
void stopm(int64_t until = 0) {
    M* mp = getm();
    lock(&sched.lock);
    if (sched.exiting) {
        unlock(&sched.lock);
        mexit();
    }
    mput(mp);
    unlock(&sched.lock);
    if (until != 0 && park_until(mp, until)) return;
    notesleep(&mp->park);
    noteclear(&mp->park);
    if (sched.exiting) mexit();
    acquirep(mp->nextp);
    mp->nextp = nullptr;
}

// Go: startm. Runs pp (or an idle P) on an idle M, or a new one.
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
    M* nmp = mget();
    if (nmp == nullptr) {
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

}  // namespace

// Go: wakep. A G became runnable: if a P is idle and nobody is already
// looking for work, start a spinning M to find it.
void wakep() {
    if (sched.npidle.load(std::memory_order_relaxed) == 0) return;
    int32_t expected = 0;
    if (sched.nmspinning.load(std::memory_order_relaxed) != 0 ||
        !sched.nmspinning.compare_exchange_strong(expected, 1, std::memory_order_acq_rel))
        return;
    startm(nullptr, true);
}

namespace {

// Go: resetspinning. A spinning M found work: stop counting it, and if it
// was the last one, let another look for the rest.
void resetspinning() {
    M* mp = getm();
    mp->spinning = false;
    if (sched.nmspinning.fetch_sub(1, std::memory_order_acq_rel) - 1 < 0)
        sys::fatal("findrunnable: negative nmspinning");
    wakep();
}

// Go: stealWork. Four passes over the other Ps in a random order; the last
// pass may take their runnext too.
G* stealWork(P* pp, int64_t* now) {
    const int32_t n = sched.gomaxprocs;
    for (int pass = 0; pass < 4; ++pass) {
        const uint32_t start = cheaprandn(static_cast<uint32_t>(n));
        for (int32_t i = 0; i < n; ++i) {
            P* p2 = allp[(start + i) % n];
            if (p2 == pp) continue;
            // The last pass also runs other Ps' due timers: an idle P's
            // sleepers have nobody else to wake them. Their Gs land here.
            if (pass == 3 && p2->timers.timer0When.load(std::memory_order_relaxed) != 0) {
                checkTimers(p2, now);
                bool inherit;
                if (G* gp = runqget(pp, &inherit)) return gp;
            }
            if (runqempty(p2) && !(pass == 3 && p2->runnext.load(std::memory_order_relaxed))) continue;
            if (G* gp = runqsteal(pp, p2, pass == 3)) {
                ++pp->stats_steals;
                return gp;
            }
        }
    }
    return nullptr;
}

// Go: findRunnable. Local queue, global queue, [poller: later layer], steal;
// with nothing anywhere, give up the P and park the M.
G* findRunnable(bool* inherit_time) {
    M* mp = getm();
top:
    if (sched.exiting) mexit();
    P* pp = mp->p;
    int64_t now = 0;
    checkTimers(pp, &now);
    // Fairness: now and then the global queue goes first, so Gs there are
    // not starved by two Gs that keep readying each other locally.
    if (pp->schedtick % 61 == 0 && sched.runqsize > 0) {
        lock(&sched.lock);
        G* gp = globrunqget(pp, 1);
        unlock(&sched.lock);
        if (gp != nullptr) {
            *inherit_time = false;
            return gp;
        }
    }
    if (G* gp = runqget(pp, inherit_time)) return gp;
    if (sched.runqsize != 0) {
        lock(&sched.lock);
        G* gp = globrunqget(pp, 0);
        unlock(&sched.lock);
        if (gp != nullptr) {
            *inherit_time = false;
            return gp;
        }
    }
    // Spinning is capped at half the busy Ps: more would burn CPU for nothing.
    const int32_t busy = sched.gomaxprocs - sched.npidle.load(std::memory_order_relaxed);
    if (mp->spinning || 2 * sched.nmspinning.load(std::memory_order_relaxed) < busy) {
        if (!mp->spinning) {
            mp->spinning = true;
            sched.nmspinning.fetch_add(1, std::memory_order_relaxed);
        }
        if (G* gp = stealWork(pp, &now)) {
            *inherit_time = false;
            return gp;
        }
    }

    // Nothing to do: give the P back and park. Re-check the global queue
    // under the lock, or a G put there meanwhile would wait for nobody.
    lock(&sched.lock);
    if (sched.exiting) {
        unlock(&sched.lock);
        mexit();
    }
    if (sched.runqsize != 0) {
        G* gp = globrunqget(pp, 0);
        unlock(&sched.lock);
        *inherit_time = false;
        return gp;
    }
    pidleput(releasep());
    unlock(&sched.lock);

    // The last spinning M to give up must look once more at every queue: a
    // G readied between its steal and its pidleput saw a spinning M and did
    // not wake anyone (Go's "delicate dance").
    if (mp->spinning) {
        mp->spinning = false;
        if (sched.nmspinning.fetch_sub(1, std::memory_order_acq_rel) - 1 < 0)
            sys::fatal("findrunnable: negative nmspinning");
        for (int32_t i = 0; i < sched.gomaxprocs; ++i) {
            if (runqempty(allp[i])) continue;
            lock(&sched.lock);
            P* idle = pidleget();
            unlock(&sched.lock);
            if (idle != nullptr) {
                acquirep(idle);
                mp->spinning = true;
                sched.nmspinning.fetch_add(1, std::memory_order_relaxed);
                goto top;
            }
            break;
        }
    }
    stopm(earliestTimer());
    goto top;
}

}  // namespace

// Go: execute. Runs gp on the current M; never returns.
[[noreturn]] void execute(G* gp, bool inherit_time) {
    M* mp = getm();
    mp->curg = gp;
    gp->m = mp;
    casgstatus(gp, _Grunnable, _Grunning);
    if (!inherit_time) ++mp->p->schedtick;
    setg(gp);
    rawrt_gogo(&gp->sched);
}

// Go: schedule. One round of the scheduler, on g0; never returns.
[[noreturn]] void schedule() {
    M* mp = getm();
    if (mp->p == nullptr) sys::fatal("schedule: M ", mp->id, " has no P");
    bool inherit_time = false;
    G* gp = findRunnable(&inherit_time);
    if (mp->spinning) resetspinning();
    execute(gp, inherit_time);
}

namespace {

// The first code of every M, on its own thread and stack (Go: mstart).
void mstart(M* mp) {
    minitSignalStack(mp);  // before signals are unblocked
    (void)sys::raw::rt_sigprocmask(sys::kSigSetmask, &mp->sigmask, nullptr);
    acquirep(mp->nextp);
    mp->nextp = nullptr;
    schedule();
}

// Go: gfput / gfget. Dead Gs keep their stacks and are reused; a P's list
// spills half to the global one past 64 and refills 32 at a time.
void gfput(P* pp, G* gp) {
    pp->gFree.push(gp);
    if (pp->gFree.n >= 64) {
        lock(&sched.gFreeLock);
        while (pp->gFree.n >= 32) sched.gFree.push(pp->gFree.pop());
        unlock(&sched.gFreeLock);
    }
}

G* gfget(P* pp) {
    if (pp->gFree.empty() && !sched.gFree.empty()) {
        lock(&sched.gFreeLock);
        while (pp->gFree.n < 32 && !sched.gFree.empty()) pp->gFree.push(sched.gFree.pop());
        unlock(&sched.gFreeLock);
    }
    return pp->gFree.pop();
}

}  // namespace

// Go: malg. A G and its stack from one mapping: the G sits at the top, the
// stack grows down below it.
G* malg() {
    Stack stk = stackalloc(stack_size);
    auto top = (stk.hi - sizeof(G)) & ~uintptr_t{63};
    G* gp = ::new (reinterpret_cast<void*>(top)) G;
    gp->stack = Stack{stk.lo, top};
    return gp;
}

void allgadd(G* gp) {
    lock(&sched.lock);
    gp->alllink = sched.allgs;
    sched.allgs = gp;
    unlock(&sched.lock);
}

namespace {

// Go: dropg. The M stops running its current G (on g0, with the G saved).
void dropg() {
    M* mp = getm();
    mp->curg->m = nullptr;
    mp->curg = nullptr;
}

// Go: goexit0, on g0: the G is dead; reuse it and schedule something else.
void goexit0(void* arg) {
    G* gp = static_cast<G*>(arg);
    M* mp = getm();
    casgstatus(gp, _Grunning, _Gdead);
    dropg();
    if (gp->is_main) {
        lock(&sched.lock);
        begin_exit();
        unlock(&sched.lock);
        mexit();
    }
    gfput(mp->p, gp);
    schedule();
}

// Go: park_m, on g0.
void park_m(void* arg) {
    G* gp = static_cast<G*>(arg);
    M* mp = getm();
    casgstatus(gp, _Grunning, _Gwaiting);
    dropg();
    if (auto fn = mp->waitunlockf) {
        bool ok = fn(gp, mp->waitlock);
        mp->waitunlockf = nullptr;
        mp->waitlock = nullptr;
        if (!ok) {
            casgstatus(gp, _Gwaiting, _Grunnable);
            execute(gp, true);
        }
    }
    schedule();
}

// Go: gosched_m, on g0: the G goes to the global queue's tail.
void gosched_m(void* arg) {
    G* gp = static_cast<G*>(arg);
    casgstatus(gp, _Grunning, _Grunnable);
    dropg();
    lock(&sched.lock);
    globrunqput(gp);
    unlock(&sched.lock);
    schedule();
}

}  // namespace

// Where every G starts (through context_start): its body, then goexit.
void goroutine_start(void* arg) {
    G* gp = static_cast<G*>(arg);
    gp->fn(gp->closure);
    if (gp->destroy != nullptr) gp->destroy(gp->closure);
    goexit1();
}

// Go: mcall. Saves the current G and runs fn(gp) on the M's g0 stack, from
// its top; fn never returns (it ends in schedule or execute).
void mcall(void (*fn)(void*)) {
    M* mp = getm();
    G* gp = mp->curg;
    setg(mp->g0);
    rawrt_mcall(&gp->sched, reinterpret_cast<void*>(mp->g0->stack.hi), fn, gp);
    // Resumed by execute.
}

void goexit1() { mcall(goexit0); }

void gopark(bool (*unlockf)(G*, void*), void* lock_arg, WaitReason reason) {
    M* mp = getm();
    G* gp = mp->curg;
    mp->waitunlockf = unlockf;
    mp->waitlock = lock_arg;
    gp->waitreason = reason;
    mcall(park_m);
}

void ready(G* gp, bool next) {
    casgstatus(gp, _Gwaiting, _Grunnable);
    runqput(getm()->p, gp, next);
    wakep();
}

void goready(G* gp) { ready(gp, true); }

void newproc(void (*fn)(void*), void (*destroy)(void*), void (*move_into)(void* from, void* to), void* callable) {
    M* mp = getm();
    if (mp == nullptr || mp->curg == nullptr) sys::fatal("go: called outside the runtime (not on a G)");
    P* pp = mp->p;
    G* newg = gfget(pp);
    if (newg == nullptr) {
        newg = malg();
        casgstatus(newg, _Gidle, _Gdead);
        allgadd(newg);
    }
    newg->fn = fn;
    newg->destroy = destroy;
    move_into(callable, newg->closure);
    newg->goid = static_cast<int64_t>(sched.goidgen.fetch_add(1, std::memory_order_relaxed) + 1);
    newg->is_main = false;
    newg->param = nullptr;
    newg->waitreason = nullptr;
    make_context(&newg->sched, reinterpret_cast<void*>(newg->stack.lo), newg->stack.hi - newg->stack.lo,
                 goroutine_start, newg);
    casgstatus(newg, _Gdead, _Grunnable);
    runqput(pp, newg, true);
    wakep();
}

}  // namespace rawrt::sched

namespace rawrt {

void yield() {
    sched::M* mp = sched::getm();
    if (mp == nullptr || mp->curg == nullptr) {
        (void)sys::raw::sched_yield();  // not on a G: a plain thread yield
        return;
    }
    sched::mcall(sched::gosched_m);
}

int64_t goid() {
    sched::M* mp = sched::getm();
    return mp != nullptr && mp->curg != nullptr ? mp->curg->goid : 0;
}

}  // namespace rawrt
