// sysmon, after Go's runtime.sysmon (runtime/proc.go): the M without a P
// that retakes Ps from Ms in syscalls (retake), asks Gs that hog their P to
// yield, polls the network when nobody has for 10 ms, and prints the
// schedtrace. sched/sysmon.hpp describes its sleeps and rawrt's prompt
// wakes; sched/entersyscall.cpp the retake protocol.

#include "sched/sysmon.hpp"

#include "sched/poller.hpp"
#include "arch/cpu_relax.hpp"
#include "sched/asymfence.hpp"
#include "sched/debug.hpp"
#include "sched/layers_below.hpp"
#include "sched/preempt.hpp"
#include "sched/proc.hpp"
#include "sched/runq.hpp"
#include "sched/signal_unix.hpp"
#include "sched/standby.hpp"
#include "sched/stats.hpp"
#include "sched/trace.hpp"
#include "sys/calls.hpp"
#include "sys/counter.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

std::atomic<uint32_t> sysmon_state{kSysmonAwake};
std::atomic<bool> sysmon_prompts_off{false};
std::atomic<int32_t> nmblocked{0};

namespace {

// Written by sysmon (and the retake counts by standby Ms); read by
// rawrt::stats().
struct Counters {
    std::atomic<uint64_t> passes{0};
    std::atomic<uint64_t> wakes{0};
    std::atomic<uint64_t> prompts{0};
    std::atomic<uint64_t> retakes{0};
    std::atomic<uint64_t> standbys{0};
    std::atomic<uint64_t> preempts{0};
    std::atomic<uint64_t> preempt_signals{0};
    std::atomic<uint64_t> polls{0};
    std::atomic<int64_t> delay_ns{0};
    std::atomic<uint64_t> timer_starts{0};
} counters;

// How late a timer may be before sysmon starts an M for it: a wake that
// is merely on its way (an M leaving its futex) is not a missed one.
constexpr int64_t kTimerOverdueNs = 1'000'000;

// Watches in a row that retook nothing. At kPromptWastes, prompts go off
// (sysmon_prompts_off) until sysmon has counted sysmonidle passes. One is
// forgiven: a stray short syscall with Gs queued should not cost the long
// ones behind it a few milliseconds of Go's latency.
constexpr uint32_t kPromptWastes = 2;
// The longest timed deep sleep (Go: forcegcperiod/2): a timer deleted
// meanwhile keeps sysmon from Ps that got busy no longer than this.
constexpr int64_t kMaxDeepTimedNs = 60'000'000'000;
std::atomic<uint32_t> prompt_wastes{0};

// Go: incidlelocked. sysmon pretends one more M runs while it takes a P or
// readies Gs, or an M going idle meanwhile could see a deadlock that is not.
void incidlelocked(int32_t v) {
    lock(&sched.lock);
    sched.nmidlelocked += v;
    if (v > 0) checkdead();
    unlock(&sched.lock);
}

// Whether a G other than pp's current one wants pp: Gs queued on it or on
// the global queue, or a timer of pp's that is due. rawrt signals a G only
// then (Go preempts regardless): switching out a G that nothing waits for
// costs its loop a signal and two switches, and it runs on at once anyway.
bool something_waits(P* pp, int64_t now) {
    if (!runqempty(pp) || sched.runqsize != 0) return true;
    const int64_t when = pp->timers.timer0When.load(std::memory_order_relaxed);
    return when != 0 && when <= now;
}

// Go: preemptone. Asks the G running on pp to yield at its next scheduling
// point, and signals its M when something waits for pp. Under sched.lock:
// an M that exits leaves allm under it, so pp->m read here is an M whose
// memory (and thread) is still its own; a G is never freed during a run, so
// at worst the request reaches a G that already moved on.
void preemptone(P* pp, int64_t now) {
    lock(&sched.lock);
    M* mp = pp->m;
    G* gp = mp != nullptr ? mp->curg : nullptr;
    if (gp != nullptr) {
        gp->preempt.store(true, std::memory_order_relaxed);
        sys::counter_add(counters.preempts);
        if (preempt_signal_installed() && something_waits(pp, now) && preemptM(mp))
            sys::counter_add(counters.preempt_signals);
    }
    unlock(&sched.lock);
}

// Go's sysmon starts an M for timers that should have run already (on
// netbsd, whose timed waits can oversleep): a timer overdue on a P that no
// M runs, with nobody spinning to find it, has nobody to run it. A busy P's
// due timer is the preemption's (something_waits), not this.
void sysmon_timers(int64_t now) {
    if (sched.npidle.load(std::memory_order_relaxed) == 0 || sched.nmspinning.load(std::memory_order_relaxed) != 0)
        return;
    bool overdue = false;
    for (int32_t i = 0; i < sched.gomaxprocs && !overdue; ++i) {
        P* pp = allp[i];
        const int64_t when = pp->timers.timer0When.load(std::memory_order_relaxed);
        overdue = when != 0 && now - when > kTimerOverdueNs && pp->status.load(std::memory_order_relaxed) == Pidle;
    }
    if (!overdue) return;
    incidlelocked(-1);
    wakep();
    incidlelocked(1);
    sys::counter_add(counters.timer_starts);
}

// The retaker's half of the protocol in sched/entersyscall.cpp (sysmon's, or a
// standby M's): true if pp, found in Psyscall, is now the caller's (Pidle)
// and its M will not take it back; counted.
bool retake_p(P* pp) {
    uint32_t s = Psyscall;
    if (!pp->status.compare_exchange_strong(s, Pretaking, std::memory_order_acq_rel)) return false;
    const M* mp = pp->syscallm.load(std::memory_order_relaxed);
    heavy_fence();
    const bool returning = mp->exiting_syscall.load(std::memory_order_acquire);
    // Fails if the M already stored Prunning over Pretaking.
    s = Pretaking;
    if (!pp->status.compare_exchange_strong(s, returning ? Psyscall : Pidle, std::memory_order_acq_rel) || returning)
        return false;
    ++pp->syscalltick;
    nmblocked.fetch_add(1, std::memory_order_relaxed);
    sys::counter_add(counters.retakes);
    return true;
}

// Takes pp from the M in its syscall and hands it on; false if the M was
// back first.
bool retake_one(P* pp) {
    incidlelocked(-1);
    const bool took = retake_p(pp);
    if (took) {
        traceEvent(evProcRetake, static_cast<uint32_t>(pp->id));
        handoffp(pp);
    }
    incidlelocked(1);
    return took;
}

// What sysmon's next sleep must not miss (preempt_sleep), for pp running
// a G that reaches the quantum at due, when something is queued or a timer
// is pending (a G that will want pp): that moment; or, the G asked already
// (its signal refused at an unsafe point, or on its way), a look again a
// twentieth of the quantum on.
void note_preempt_due(P* pp, int64_t due, int64_t now, int64_t* preempt_due) {
    const bool pending = !runqempty(pp) || pp->timers.timer0When.load(std::memory_order_relaxed) != 0 ||
                         std::atomic_ref<int32_t>(sched.runqsize).load(std::memory_order_relaxed) != 0;
    if (!pending) return;
    if (due <= now) due = now + debug.forcepreempt_ns / 20;
    if (*preempt_due == 0 || due < *preempt_due) *preempt_due = due;
}

// Go: retake. Returns how many Ps it took from Ms in syscalls, and sets
// *paced if it left one for later (retake_wait). Sets *preempt_due for
// sysmon's next sleep (note_preempt_due; 0: no G running needs a look soon).
uint32_t retake(int64_t now, int64_t* preempt_due, bool* paced) {
    uint32_t n = 0;
    *preempt_due = 0;
    *paced = false;
    const int64_t wait = retake_wait();
    for (int32_t i = 0; i < sched.gomaxprocs; ++i) {
        P* pp = allp[i];
        auto& pd = pp->sysmontick;
        const uint32_t s = pp->status.load(std::memory_order_acquire);
        bool sysretake = false;
        if (s == Prunning || s == Psyscall) {
            // The same schedtick for forcePreemptNS: one G has had the P
            // all that time.
            const uint32_t t = pp->schedtick;
            if (pd.schedtick != t) {
                pd.schedtick = t;
                pd.schedwhen = now;
            } else if (pd.schedwhen + debug.forcepreempt_ns <= now) {
                if (s == Prunning) preemptone(pp, now);
                sysretake = true;  // a syscall that long is retaken at once
            }
            if (s == Prunning) note_preempt_due(pp, pd.schedwhen + debug.forcepreempt_ns, now, preempt_due);
        }
        if (s != Psyscall) continue;
        // Retake only after a full tick in the same syscall: a short one has
        // returned (and bumped syscalltick) by then. (syscallwhen 0: the
        // P's first syscall, whose tick sysmon's initial 0 matches.)
        const uint32_t t = pp->syscalltick;
        if (!sysretake && (pd.syscalltick != t || pd.syscallwhen == 0)) {
            pd.syscalltick = t;
            pd.syscallwhen = now;
            continue;
        }
        // Nothing queued behind it and someone else free to take new work:
        // leave the P to its M for up to retake_ns, sparing a handoff.
        if (runqempty(pp) &&
            sched.nmspinning.load(std::memory_order_relaxed) + sched.npidle.load(std::memory_order_relaxed) > 0 &&
            pd.syscallwhen + debug.retake_ns > now)
            continue;
        if (!sysretake && wait > debug.sysmon_min_ns && pd.syscallwhen + wait > now) {
            *paced = true;
            continue;
        }
        if (retake_one(pp)) ++n;
    }
    return n;
}

// A P in a syscall with Gs waiting behind it: what sysmon must not sleep
// through (rawrt's prompt retake).
bool work_at_stake() {
    for (int32_t i = 0; i < sched.gomaxprocs; ++i) {
        P* pp = allp[i];
        if (pp->status.load(std::memory_order_relaxed) == Psyscall && !runqempty(pp)) return true;
    }
    return false;
}

// Sleeps in `state` for at most ns (< 0: until woken). True if sysmon_wake
// cut the sleep short. A sleeping state is only entered under sched.lock, so
// that begin_exit (which wakes sysmon under it) cannot slip in between the
// check of sched.exiting and the sleep.
bool sysmon_sleep(uint32_t state, int64_t ns) {
    if (state == kSysmonNap) {
        // No lock: a nap ends by itself, so an ending run waits a tick at
        // most. A prompt missed while the nap begins costs a tick of latency.
        uint32_t s = kSysmonAwake;
        if (!sysmon_state.compare_exchange_strong(s, kSysmonNap, std::memory_order_acq_rel)) return false;
    } else if (state != kSysmonAwake) {
        lock(&sched.lock);
        const bool stay = !sched.exiting && (!sysmon_deep(state) || sched.npidle.load() == sched.gomaxprocs);
        if (stay) sysmon_state.store(state, std::memory_order_seq_cst);
        unlock(&sched.lock);
        if (!stay) return false;
        // Dekker with entersyscall: it stored Psyscall, then read the
        // state; sysmon stored the state, then reads the Ps.
        if (state == kSysmonLong && debug.sysmon_prompt) heavy_fence();
        if (state == kSysmonLong && debug.sysmon_prompt && work_at_stake()) {
            uint32_t s = state;  // (unless the run is ending meanwhile)
            sysmon_state.compare_exchange_strong(s, kSysmonAwake, std::memory_order_acq_rel);
            return true;
        }
    }
    futexsleep(&sysmon_state, state, ns);
    if (state == kSysmonAwake) return false;
    // Still in `state`: the sleep timed out. Awake: sysmon_wake cut it short.
    // Exit: the run is ending (left as it is, so no later sleep can start).
    uint32_t s = state;
    return !sysmon_state.compare_exchange_strong(s, kSysmonAwake, std::memory_order_acq_rel) && s == kSysmonAwake;
}

}  // namespace

int64_t retake_wait() {
    const int64_t tick = debug.sysmon_min_ns;
    const int64_t cap = debug.retake_pace_ns;
    if (cap <= tick) return tick;
    const int32_t blocked = nmblocked.load(std::memory_order_relaxed);
    const int64_t wait = tick * (1 + (blocked > 0 ? blocked : 0) / sched.gomaxprocs);
    return wait < cap ? wait : cap;
}

bool sysmon_wake() {
    uint32_t s = sysmon_state.load(std::memory_order_relaxed);
    while (s == kSysmonNap || s == kSysmonLong || sysmon_deep(s))
        if (sysmon_state.compare_exchange_weak(s, kSysmonAwake, std::memory_order_acq_rel)) {
            futexwakeup(&sysmon_state, 1);
            return true;
        }
    return false;
}

void sysmon_prompt(P* pp, uint32_t tick) {
    pp->prompt_when.store(vdso::nanotime(), std::memory_order_relaxed);
    pp->prompt_tick.store(tick, std::memory_order_release);
    // (An awake sysmon looks in its next pass: no prompt needed.) A retake
    // paced past a watch is left to sysmon's passes: no standby M watches
    // it, and a napping sysmon finds it without a wake.
    const bool paced = retake_wait() > kMaxWatchNs;
    if (paced && sysmon_state.load(std::memory_order_relaxed) == kSysmonNap) return;
    if ((debug.sysmon_standby && !paced && standby_watch(pp)) || sysmon_wake()) sys::counter_add(counters.prompts);
}

bool standby_retake(P* pp) {
    // No incidlelocked, unlike sysmon: the standby M is off the idle list,
    // so checkdead counts it as running while it retakes.
    if (!retake_p(pp)) return false;
    traceEvent(evProcRetake, static_cast<uint32_t>(pp->id), 0, 0, 0, 1);
    sys::counter_add(counters.standbys);
    prompt_wastes.store(0, std::memory_order_relaxed);
    return true;
}

void sysmon_prompt_wasted() {
    if (prompt_wastes.fetch_add(1, std::memory_order_relaxed) + 1 < kPromptWastes) return;
    prompt_wastes.store(0, std::memory_order_relaxed);
    sysmon_prompts_off.store(true, std::memory_order_relaxed);
}

void sysmon_exit() {
    sysmon_state.store(kSysmonExit, std::memory_order_seq_cst);
    futexwakeup(&sysmon_state, 1);
}

namespace {

// Go: sysmon's "poll network if not polled for more than 10ms". The Ms
// poll the network only when they run out of work; a process whose Ps stay
// busy would leave Gs readied by I/O waiting for ever without this.
void sysmon_poll(int64_t now) {
    int64_t lastpoll = sched.lastpoll.load(std::memory_order_acquire);
    if (!netpollinited() || lastpoll == 0 || lastpoll + debug.netpoll_ns >= now) return;
    sched.lastpoll.compare_exchange_strong(lastpoll, now, std::memory_order_acq_rel);
    GList list;
    const int32_t delta = netpoll(0, &list);
    if (list.empty()) return;
    sys::counter_add(counters.polls);
    // sysmon counts as no M for checkdead: from the Gs' Grunnable to the
    // M that startIdle wakes, an M going idle would find them runnable with
    // every M idle and call it a deadlock (Go does the same).
    incidlelocked(-1);
    injectglist(&list);
    incidlelocked(1);
    netpollAdjustWaiters(delta);
}

// sysmon was woken by sysmon_prompt (no M could stand by): a P went into a
// syscall with Gs queued behind it. Rather than sleep a tick and look again,
// as retake does (a timed sleep in a VM lasts 60 µs or more whatever it asks
// for), sysmon watches the syscall until it has lasted sysmon_min since it
// began, and retakes the P if it is still in it. Returns how many it retook:
// 0 means the wake found only syscalls that were short after all, or
// (*paced) left one to the passes, for a retake that must wait its turn
// (retake_wait) longer than a watch lasts.
uint32_t watch_prompted(bool* paced) {
    uint32_t n = 0;
    const int64_t wait = retake_wait();
    *paced = false;
    for (int32_t i = 0; i < sched.gomaxprocs; ++i) {
        P* pp = allp[i];
        const uint32_t tick = pp->prompt_tick.load(std::memory_order_acquire);
        const int64_t until = pp->prompt_when.load(std::memory_order_relaxed) + wait;
        auto going = [pp, tick] {
            return pp->status.load(std::memory_order_acquire) == Psyscall &&
                   std::atomic_ref<uint32_t>(pp->syscalltick).load(std::memory_order_relaxed) == tick;
        };
        // A long minimum tick (sysmonmin) is not spun through: the passes
        // look at that syscall as Go's do.
        if (!going()) continue;
        if (until - vdso::nanotime() > kMaxWatchNs) {
            *paced = *paced || wait > debug.sysmon_min_ns;
            continue;
        }
        while (going() && vdso::nanotime() < until) arch::cpu_relax();
        if (going() && !runqempty(pp) && retake_one(pp)) ++n;
    }
    return n;
}

// How long sysmon sleeps, its backed-off delay given, while the preemption
// signal is on (rawrt; Go's sysmon may sleep 10 ms on top of its 10 ms
// quantum): while a G runs with others pending behind it (queued Gs,
// timers), no longer than a twentieth of the quantum, so that a G that
// starts running is seen within that much of its start and preempted
// within that much of the quantum; and not past the moment the earliest
// such G reaches the quantum. A lone G computing on its P lets sysmon back
// off; a timer added wakes it (sysmon_timer_added).
int64_t preempt_sleep(int64_t delay, int64_t preempt_due) {
    if (preempt_due <= 0 || !preempt_signal_installed()) return delay;
    int64_t sleep = debug.forcepreempt_ns / 20;
    if (sleep > delay) sleep = delay;
    const int64_t until = preempt_due - vdso::nanotime();
    if (until < sleep) sleep = until;
    const int64_t least = debug.sysmon_min_ns;
    return sleep < least ? least : sleep;
}

}  // namespace

void sysmon() {
    lock(&sched.lock);
    ++sched.nmsys;
    checkdead();
    unlock(&sched.lock);

    const int64_t start = vdso::nanotime();
    int64_t lasttrace = start;
    uint32_t idle = 0;
    // Passes left while prompts are off (0: no count started). Prompts that
    // found only short syscalls cost the Ms a futex wake each for nothing.
    uint32_t prompt_off = 0;
    int64_t delay = debug.sysmon_min_ns;
    int64_t preempt_due = 0;  // retake's: when a running G reaches the quantum
    while (!sched.exiting) {
        if (idle == 0) delay = debug.sysmon_min_ns;
        else if (idle > debug.sysmon_idle_passes) delay *= 2;
        if (delay > debug.sysmon_max_ns) delay = debug.sysmon_max_ns;

        // Every P idle: nothing to retake or preempt until one gets an M.
        // The schedtrace still wants its lines.
        bool woken;
        int64_t slept = -1;  // for the trace: -1 until woken
        uint32_t state = kSysmonDeep;
        if (sched.npidle.load(std::memory_order_relaxed) == sched.gomaxprocs) {
            const int64_t now = vdso::nanotime();
            int64_t sleep = -1;
            if (const int64_t next = earliest_timer(); next != 0) {
                // Until the earliest timer is overdue, when sysmon_timers
                // would act (an idle M sleeps until the timer itself), and
                // at least the backed-off delay: Go's sysmon sleeps until
                // the timer and then the delay, two wakes per timer for
                // nothing while a Ticker keeps an M waking for it.
                state = kSysmonDeepTimed;
                sleep = next - now + 2 * kTimerOverdueNs;
                if (sleep < delay) sleep = delay;
                if (sleep > kMaxDeepTimedNs) sleep = kMaxDeepTimedNs;
            }
            if (debug.schedtrace_ms > 0) {
                const int64_t trace = lasttrace + debug.schedtrace_ms * 1'000'000 - now;
                if (sleep < 0 || trace < sleep) sleep = trace < 0 ? 0 : trace;
            }
            counters.delay_ns.store(-1, std::memory_order_relaxed);
            slept = sleep;
            woken = sysmon_sleep(state, sleep);
        } else {
            const int64_t sleep = preempt_sleep(delay, preempt_due);
            counters.delay_ns.store(sleep, std::memory_order_relaxed);
            // A sleep cut short for a preemption is a nap: it ends soon by
            // itself, so it skips the long sleep's fence (a membarrier that
            // interrupts every running M, at 2000 naps a second a real
            // share of a computing G's time).
            if (sleep > debug.sysmon_min_ns && sleep == delay) state = kSysmonLong;
            else if (debug.sysmon_prompt && !sysmon_prompts_off.load(std::memory_order_relaxed)) state = kSysmonNap;
            else state = kSysmonAwake;
            slept = sleep;
            woken = sysmon_sleep(state, sleep);
        }
        // Prompts off: this pass is one of the sysmonidle they stay off for
        // (the first starts the count; with sysmonidle=0 it also ends it).
        if (sysmon_prompts_off.load(std::memory_order_relaxed)) {
            if (prompt_off == 0) prompt_off = debug.sysmon_idle_passes + 1;
            if (--prompt_off == 0) sysmon_prompts_off.store(false, std::memory_order_relaxed);
        }
        // Woken because something is at stake: back to the shortest tick
        // (Go resets delay the same way, on a syscall's wake). Out of a deep
        // sleep with no timer only an M that took a P wakes sysmon
        // (sysmon_pbusy): no M held a P meanwhile, so no syscall began.
        // Nothing is at stake yet, and the backed-off tick stays: a G woken
        // by the netpoller each time (a loop of spawns, each waited for)
        // would otherwise bring sysmon back to its shortest tick every time,
        // a few passes each on the CPU the G and its child run on. (Go does
        // not wake sysmon there at all.)
        uint32_t took = 0;
        bool paced = false;  // a retake left for a later pass (retake_wait)
        if (woken) {
            sys::counter_add(counters.wakes);
            if (state != kSysmonDeep) {
                idle = 0;
                delay = debug.sysmon_min_ns;
            }
            if (!sysmon_deep(state)) {
                took = watch_prompted(&paced);
                if (took == 0 && !paced) sysmon_prompt_wasted();
                else prompt_wastes.store(0, std::memory_order_relaxed);
            }
        }
        sys::counter_add(counters.passes);
        traceEvent(evSysmonPass, woken ? 1 : 0, static_cast<uint64_t>(slept));
        const int64_t now = vdso::nanotime();
        bool paced_pass = false;
        // A retake left for later keeps the tick short, as one made does.
        if (retake(now, &preempt_due, &paced_pass) + took != 0 || paced || paced_pass) idle = 0;
        else ++idle;
        sysmon_poll(now);
        sysmon_timers(now);
        if (debug.schedtrace_ms > 0 && now - lasttrace >= debug.schedtrace_ms * 1'000'000) {
            lasttrace = now;
            schedtrace(debug.scheddetail, now - start);
        }
    }
}

SysmonStats sysmon_stats() {
    return {counters.passes.load(),          counters.wakes.load(),    counters.prompts.load(),
            counters.retakes.load(),         counters.standbys.load(), counters.preempts.load(),
            counters.preempt_signals.load(), counters.polls.load(),    counters.delay_ns.load(),
            counters.timer_starts.load()};
}

void sysmon_reset() {
    sysmon_state.store(kSysmonAwake);
    counters.passes.store(0);
    counters.wakes.store(0);
    counters.prompts.store(0);
    counters.retakes.store(0);
    counters.standbys.store(0);
    counters.preempts.store(0);
    counters.preempt_signals.store(0);
    counters.polls.store(0);
    counters.delay_ns.store(0);
    counters.timer_starts.store(0);
    prompt_wastes.store(0);
    sysmon_prompts_off.store(false);
    nmblocked.store(0);
}

}  // namespace rawrt::sched
