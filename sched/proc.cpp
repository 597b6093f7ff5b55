// The scheduler proper, after Go's runtime/proc.go: G status changes,
// findRunnable, schedule and execute, gopark and goready, newproc and goexit,
// yielding, lock_os_thread. Gs are made runnable on a P's queue, Ms holding Ps
// run them from schedule(), an M without work waits in the poller or parks on
// its note, and a G that blocks gives its M to the next G instead of holding
// it. Function names are Go's; the comments say where rawrt differs.
// docs/scheduler.md walks through the design: the G, P and M state machines,
// findRunnable's order, spinning Ms, run queues, timers and stacks.

#include "sched/proc.hpp"

#include "sched/go.hpp"
#include "sched/layers_below.hpp"
#include "sched/poller.hpp"
#include "sched/rand.hpp"
#include "sched/runq.hpp"
#include "sched/stack.hpp"
#include "sched/trace.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

Schedt sched;

namespace {

// ------------------------------------------------------------ G status

#if RAWRT_CHECKED
bool legal_transition(uint32_t from, uint32_t to) {
    switch (from) {
        case Gidle: return to == Gdead;
        case Gdead: return to == Grunnable;
        case Grunnable: return to == Grunning;
        case Grunning: return to == Grunnable || to == Gwaiting || to == Gsyscall || to == Gdead;
        case Gsyscall: return to == Grunning || to == Grunnable;
        case Gwaiting: return to == Grunnable;
    }
    return false;
}
#endif

}  // namespace

#if RAWRT_CHECKED
void casgstatus(G* gp, uint32_t oldval, uint32_t newval) {
    if (!legal_transition(oldval, newval))
        sys::fatal("casgstatus: bad transition ", oldval, " -> ", newval, " for goroutine ", gp->goid);
    uint32_t seen = oldval;
    if (!gp->atomicstatus.compare_exchange_strong(seen, newval, std::memory_order_acq_rel))
        sys::fatal("casgstatus: goroutine ", gp->goid, " is in status ", seen, ", not ", oldval);
}
#endif

uint32_t readgstatus(G* gp) { return gp->atomicstatus.load(std::memory_order_acquire); }

namespace {

// One spinning M fewer (the M has cleared its own spinning); fatal below 0.
void nmspinning_dec() {
    if (sched.nmspinning.fetch_sub(1, std::memory_order_acq_rel) - 1 < 0)
        sys::fatal("findrunnable: negative nmspinning");
}

// Go: resetspinning. A spinning M found work: stop counting it, and if it
// was the last one, let another look for the rest.
void resetspinning() {
    M* mp = thism();
    mp->spinning = false;
    nmspinning_dec();
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

// findRunnable's blocking poll: this M, P-less and not spinning, sleeps in
// the poller until an fd is ready, pollUntil (0: none) or a break. Returns
// a G to run on the P it then took, or nullptr to look again (with a P or
// parked).
G* poll_idle(int64_t pollUntil) {
    sched.pollUntil.store(pollUntil, std::memory_order_release);
    int64_t delay = -1;
    if (pollUntil != 0) {
        delay = pollUntil - vdso::nanotime();
        if (delay < 0) delay = 0;
    }
    GList list;
    const int32_t delta = netpoll(delay, &list);
    sched.pollUntil.store(0, std::memory_order_relaxed);
    sched.lastpoll.store(vdso::nanotime(), std::memory_order_release);
    if (sched.exiting) mexit();
    lock(&sched.lock);
    P* pp = pidleget();
    unlock(&sched.lock);
    if (pp == nullptr) {
        // Every P is busy: they take the Gs (and their own timers).
        injectglist(&list);
        netpollAdjustWaiters(delta);
        stopm();
        return nullptr;
    }
    acquirep(pp);
    G* gp = list.pop();
    if (gp == nullptr) return nullptr;
    injectglist(&list);
    netpollAdjustWaiters(delta);
    casgstatus(gp, Gwaiting, Grunnable);
    return gp;
}

// Go: findRunnable. Timers, local queue, global queue, the network, steal;
// with nothing anywhere, give up the P and wait: in the poller or parked.
G* findRunnable(bool* inherit_time) {
    M* mp = thism();
top:
    if (sched.exiting) mexit();
    P* pp = mp->p;
    int64_t now = 0;
    mp->readying_for_self = true;
    checkTimers(pp, &now);
    mp->readying_for_self = false;
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
    // The pollers, without blocking, before stealing: a G made ready by I/O
    // is as good as any (Go's fast path; skipped while another M is blocked
    // in netpoll, which will hand out what it finds). Not Go: only the
    // pollers that can tell without a syscall (the ring), not epoll. An M
    // that finds nothing to steal either waits in epoll below, which returns
    // at once with whatever this poll would have found, or leaves it to the
    // M already waiting there; so epoll's poll here was a kernel entry for
    // nothing whenever it came back empty (docs/netpoll.md, "Who polls, and
    // when").
    if (netpollinited() && netpollAnyWaiters() && sched.lastpoll.load(std::memory_order_relaxed) != 0) {
        GList list;
        const int32_t delta = netpoll_without_syscall(&list);
        if (G* gp = list.pop()) {
            injectglist(&list);
            netpollAdjustWaiters(delta);
            casgstatus(gp, Gwaiting, Grunnable);
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
    lock_sched_or_mexit();
    if (sched.runqsize != 0) {
        G* gp = globrunqget(pp, 0);
        unlock(&sched.lock);
        *inherit_time = false;
        return gp;
    }
    pidleput(releasep());
    // From here to stopm a startm may hand this M a P (mstopping_put).
    mstopping_put(mp);
    unlock(&sched.lock);

    // The last spinning M to give up must look once more at every queue: a
    // G readied between its steal and its pidleput saw a spinning M and did
    // not wake anyone (Go's "delicate dance").
    if (mp->spinning) {
        mp->spinning = false;
        nmspinning_dec();
        for (int32_t i = 0; i < sched.gomaxprocs; ++i) {
            if (runqempty(allp[i])) continue;
            lock(&sched.lock);
            // A P handed to this M meanwhile comes with its spinning set
            // as its startm asked (and counted).
            P* idle = mstopping_leave(mp, true);
            const bool handed = idle != nullptr;
            if (!handed && (idle = pidleget()) != nullptr) (void)mstopping_leave(mp);
            unlock(&sched.lock);
            if (idle != nullptr) {
                acquirep(idle);
                if (!handed) {
                    mp->spinning = true;
                    sched.nmspinning.fetch_add(1, std::memory_order_relaxed);
                }
                goto top;
            }
            break;
        }
    }
    // One idle M waits in the poller, for I/O and for the earliest timer of
    // every P at once; the others park without a deadline (Go's rule). A
    // poller that sleeps past a timer we know of is woken to recompute.
    const int64_t pollUntil = earliest_timer();
    if (netpollinited()) {
        if (netpollAnyWaiters() || pollUntil != 0) {
            // Into the poller only if no P was handed to this M on its way
            // (it would wait there while the P's Gs wait for it); leaving
            // for the poller, it is no longer on its way to stopm.
            lock(&sched.lock);
            P* handed = mstopping_leave(mp, true);
            const bool poll = handed == nullptr && sched.lastpoll.exchange(0, std::memory_order_acq_rel) != 0;
            if (poll) (void)mstopping_leave(mp);
            unlock(&sched.lock);
            if (handed != nullptr) {
                acquirep(handed);
                goto top;
            }
            if (poll) {
                if (G* gp = poll_idle(pollUntil)) {
                    *inherit_time = false;
                    return gp;
                }
                goto top;
            }
        }
        if (pollUntil != 0) netpoll_break_before(pollUntil);
        stopm();
        goto top;
    }
    // No poller yet: the M sleeps on its note until the earliest timer.
    stopm(pollUntil);
    goto top;
}

// Where every G starts (through context_start): its body, then goexit.
void goroutine_start(void* arg) {
    G* gp = static_cast<G*>(arg);
    gp->fn(gp->closure);
    if (gp->destroy != nullptr) gp->destroy(gp->closure);
    goexit1();
}

// rawrt: a G holds a stack only from its first run to its exit (Go: from
// malg, and a dead G keeps its stack on the free list). Gs started faster
// than they run (a burst of go statements) then hold no stack while they
// wait, and a G that runs to completion without parking hands the next one
// a stack still in the cache and TLB: with Go's way, spawn+join of 100 000
// Gs touches a cold stack page per G (one TLB miss and two cache misses, in
// newproc's make_context and again at the first run).
void stack_bind(G* gp) {
    gp->stack = stackalloc(stack_size);
    make_context(&gp->sched, reinterpret_cast<void*>(gp->stack.lo), gp->stack.hi - gp->stack.lo, goroutine_start, gp);
}

void stack_release(G* gp) {
    stackfree(gp->stack);
    gp->stack = Stack{};
}

}  // namespace

// Go: execute. Runs gp on the current M; never returns.
void execute(G* gp, bool inherit_time) {
    M* mp = thism();
    if (gp->stack.lo == 0) stack_bind(gp);
    mp->curg = gp;
    gp->m = mp;
    mp->idle_since = 0;
    casgstatus(gp, Grunnable, Grunning);
    if (!inherit_time) ++mp->p->schedtick;
    traceEvent(evGoStart, 0, static_cast<uint64_t>(gp->goid));
    setg(gp);
    rawrt_gogo(&gp->sched);
}

namespace {

struct Runnable {
    G* gp;
    bool inherit_time;
};

// schedule's search, out of line so that the locals whose addresses it
// passes on (inherit_time, findRunnable's now) live in this frame: GCC never
// turns a call into a jump in a function with an address-taken local, and
// schedule's call to execute must be a jump (proc.hpp). As a call it would
// leave a stale entry on the return-address stack at every switch.
[[gnu::noinline]] Runnable findNext(M* mp) {
    for (;;) {
        bool inherit_time = false;
        G* gp = findRunnable(&inherit_time);
        if (mp->spinning) resetspinning();
        if (gp->lockedm == nullptr) return {gp, inherit_time};
        // A G locked to another M runs there: give that M our P and park.
        startlockedm(gp);
    }
}

}  // namespace

// Go: schedule. One round of the scheduler, on g0; never returns.
void schedule() {
    M* mp = thism();
    // An M locked to a G runs that G or nothing: it waits for it with its P
    // handed off (Go: stoplockedm).
    if (mp->lockedg != nullptr) {
        stoplockedm();
        return execute(mp->lockedg, false);
    }
    if (mp->p == nullptr) sys::fatal("schedule: M ", mp->id, " has no P");
    const Runnable next = findNext(mp);
    return execute(next.gp, next.inherit_time);
}

namespace {

// Go: gfput / gfget. Dead Gs, their stacks already given back
// (stack_release), are reused; a P's list spills half to the global one past
// 64 and refills 32 at a time.
void gfput(P* pp, G* gp) {
    pp->gFree.push(gp);
    if (pp->gFree.n >= 64) {
        lock(&sched.gfree_lock);
        while (pp->gFree.n >= 32) sched.gFree.push(pp->gFree.pop());
        unlock(&sched.gfree_lock);
    }
}

G* gfget(P* pp) {
    if (pp->gFree.empty() && !sched.gFree.empty()) {
        lock(&sched.gfree_lock);
        while (pp->gFree.n < 32 && !sched.gFree.empty()) pp->gFree.push(sched.gFree.pop());
        unlock(&sched.gfree_lock);
    }
    return pp->gFree.pop();
}

}  // namespace

// Go: malg. The G from the allocator; its stack comes when it first runs
// (stack_bind). Gs sit densely in the heap rather than each at the top of
// its own stack: the scheduler walks them in lists (run queues, free lists)
// far more often than it touches their stacks, and 16 to a page costs that
// walk a sixteenth of the TLB misses.
G* malg() {
    void* mem = mallocgc(sizeof(G), current_mcache());
    if (mem == nullptr) sys::fatal("malg: out of memory");
    return ::new (mem) G;
}

void allgadd(G* gp) {
    lock(&sched.lock);
    gp->alllink = sched.allgs;
    sched.allgs = gp;
    unlock(&sched.lock);
}

void dropg() {
    M* mp = thism();
    mp->curg->m = nullptr;
    mp->curg = nullptr;
}

namespace {

// Go: goexit0, on g0: the G is dead; reuse it and schedule something else.
void goexit0(void* arg) {
    G* gp = static_cast<G*>(arg);
    M* mp = thism();
    casgstatus(gp, Grunning, Gdead);
    traceEvent(evGoStop, kStopExit, static_cast<uint64_t>(gp->goid));
    dropg();
    gp->preempt.store(false, std::memory_order_relaxed);
    if (gp->is_main) {
        lock(&sched.lock);
        begin_exit();
        unlock(&sched.lock);
        mexit();
    }
    stack_release(gp);
    gfput(mp->p, gp);
    // A G that exits still locked takes its thread with it: it may have left
    // the thread in a state (credentials, namespaces, signal mask) that no
    // other G should inherit (Go: gdestroy).
    if (gp->lockedm != nullptr) {
        gp->lockedm = nullptr;
        mp->lockedg = nullptr;
        mp->lockedExt = 0;
        mexit();
    }
    schedule();
}

// Go: park_m, on g0.
void park_m(void* arg) {
    G* gp = static_cast<G*>(arg);
    M* mp = thism();
    casgstatus(gp, Grunning, Gwaiting);
    dropg();
    if (auto fn = mp->waitunlockf) {
        bool ok = fn(gp, mp->waitlock);
        mp->waitunlockf = nullptr;
        mp->waitlock = nullptr;
        if (!ok) {
            casgstatus(gp, Gwaiting, Grunnable);
            return execute(gp, true);
        }
    }
    schedule();
}

}  // namespace

void gosched_m(void* arg) {
    G* gp = static_cast<G*>(arg);
    casgstatus(gp, Grunning, Grunnable);
    dropg();
    lock(&sched.lock);
    globrunqput(gp);
    unlock(&sched.lock);
    schedule();
}

namespace {

// Go: goyield_m. Like gosched_m, but to the tail of this P's own queue: no
// lock, and the G stays with the P whose caches hold its state. The global
// queue (and so the 61-tick fairness check) still sees the queue's overflow.
void goyield_m(void* arg) {
    G* gp = static_cast<G*>(arg);
    P* pp = thism()->p;
    casgstatus(gp, Grunning, Grunnable);
    dropg();
    runqput(pp, gp, false);
    schedule();
}

}  // namespace

void go_preempt() {
    G* gp = thism()->curg;
    gp->preempt.store(false, std::memory_order_relaxed);
    traceEvent(evGoStop, kStopPreempt, static_cast<uint64_t>(gp->goid));
    mcall(gosched_m);
}

// Go: mcall. Saves the current G and runs fn(gp) on the M's g0 stack, from
// its top; fn never returns (it ends in schedule or execute).
void mcall(void (*fn)(void*)) {
    M* mp = thism();
    G* gp = mp->curg;
    setg(mp->g0);
    rawrt_mcall(&gp->sched, reinterpret_cast<void*>(mp->g0->stack.hi), fn, gp);
    // Resumed by execute.
}

void goexit1() { mcall(goexit0); }

void gopark(bool (*unlockf)(G*, void*), void* lock_arg, WaitReason reason) {
    M* mp = thism();
    G* gp = mp->curg;
    mp->waitunlockf = unlockf;
    mp->waitlock = lock_arg;
    gp->waitreason = reason;
    traceEvent(evGoStop, kStopPark, static_cast<uint64_t>(gp->goid), reinterpret_cast<uintptr_t>(reason));
    mcall(park_m);
}

void ready(G* gp, bool next) {
    casgstatus(gp, Gwaiting, Grunnable);
    traceEvent(evGoUnblock, 0, static_cast<uint64_t>(gp->goid));
    M* mp = thism();
    P* pp = mp->p;
    runqput(pp, gp, next);
    // rawrt: a timer that findRunnable's own check fires, readying the one
    // G on an empty queue, readies this M's next G: another M woken for it
    // would find nothing, at two futex calls and a spin (Go wakes one).
    if (mp->readying_for_self && runq_holds_only(pp, gp)) return;
    wakep();
}

void goready(G* gp) { ready(gp, true); }

void injectglist(GList* glist) {
    if (glist->empty()) return;
    GQueue q;
    int32_t qsize = 0;
    while (G* gp = glist->pop()) {
        casgstatus(gp, Gwaiting, Grunnable);
        traceEvent(evGoUnblock, 0, static_cast<uint64_t>(gp->goid));
        q.push_back(gp);
        ++qsize;
    }
    // An M for each idle P that will find one of them on the global queue.
    auto startIdle = [](int32_t n) {
        for (int32_t i = 0; i < n; ++i) {
            lock(&sched.lock);
            P* pp = sched.exiting ? nullptr : pidleget();
            unlock(&sched.lock);
            if (pp == nullptr) break;
            startm(pp, false);
        }
    };
    M* mp = getm();
    P* pp = mp != nullptr ? mp->p : nullptr;
    if (pp == nullptr) {
        lock(&sched.lock);
        globrunqputbatch(&q, qsize);
        unlock(&sched.lock);
        startIdle(qsize);
        return;
    }
    // As many as there are idle Ps go global, for them; the rest stay here.
    const int32_t npidle = sched.npidle.load(std::memory_order_relaxed);
    GQueue globq;
    int32_t n = 0;
    for (; n < npidle && !q.empty(); ++n) globq.push_back(q.pop());
    if (n > 0) {
        lock(&sched.lock);
        globrunqputbatch(&globq, n);
        unlock(&sched.lock);
        startIdle(n);
    }
    while (G* gp = q.pop()) runqput(pp, gp, false);
    wakep();
}

void newproc(void (*fn)(void*), void (*destroy)(void*), void (*move_into)(void* from, void* to), void* callable,
             const char* site_file, uint32_t site_line) {
    M* mp = getm();
    // On a G, or on g0 with a P (an after_func timer firing, sched/timer.cpp).
    if (mp == nullptr || mp->p == nullptr) sys::fatal("go: called outside the runtime (not on a G)");
    P* pp = mp->p;
    G* newg = gfget(pp);
    if (newg == nullptr) {
        newg = malg();
        casgstatus(newg, Gidle, Gdead);
        allgadd(newg);
    }
    newg->fn = fn;
    newg->destroy = destroy;
    // The program's code, with pp in hand: not preempted (Go runs all of
    // newproc on the system stack).
    M* held = acquirem();
    move_into(callable, newg->closure);
    releasem(held);
    newg->goid = static_cast<int64_t>(sched.goidgen.fetch_add(1, std::memory_order_relaxed) + 1);
    newg->is_main = false;
    newg->param = nullptr;
    newg->waitreason = nullptr;
    newg->site_file = site_file;
    newg->site_line = site_line;
    casgstatus(newg, Gdead, Grunnable);
    traceEvent(evGoCreate, site_line, static_cast<uint64_t>(newg->goid), reinterpret_cast<uintptr_t>(site_file));
    runqput(pp, newg, true);
    wakep();
}

}  // namespace rawrt::sched

namespace rawrt {

void yield() {
    sched::G* gp = sched::current_g();
    if (gp == nullptr) {
        (void)sys::raw::sched_yield();  // not on a G: a plain thread yield
        return;
    }
    gp->preempt.store(false, std::memory_order_relaxed);
    sched::traceEvent(sched::evGoStop, sched::kStopYield, static_cast<uint64_t>(gp->goid));
    sched::mcall(sched::goyield_m);
}

void preempt_point() {
    sched::G* gp = sched::current_g();
    if (gp != nullptr && gp->preempt.load(std::memory_order_relaxed)) sched::go_preempt();
}

// Go: LockOSThread / dolockOSThread. Only the M's own fields change: the
// scheduler sees them the next time gp or this M goes through schedule().
void lock_os_thread() {
    sched::M* mp = sched::getm();
    if (mp == nullptr || mp->curg == nullptr) return;  // a plain thread is its own thread already
    if (++mp->lockedExt == 0) sys::fatal("lock_os_thread nesting overflow");
    mp->lockedg = mp->curg;
    mp->curg->lockedm = mp;
}

void unlock_os_thread() {
    sched::M* mp = sched::getm();
    if (mp == nullptr || mp->curg == nullptr || mp->lockedExt == 0) return;
    if (--mp->lockedExt != 0) return;
    mp->lockedg = nullptr;
    mp->curg->lockedm = nullptr;
}

int64_t goid() {
    sched::G* gp = sched::current_g();
    return gp != nullptr ? gp->goid : 0;
}

}  // namespace rawrt
