// rawrt::stats() and the schedtrace line (Go: schedtrace, runtime/proc.go):
// the Ms' counters summed, with those of Ms already gone kept aside.

#include "sched/stats.hpp"

#include "sched/proc.hpp"
#include "sched/runq.hpp"
#include "sched/sysmon.hpp"
#include "sys/print.hpp"

namespace rawrt::sched {
namespace {

SchedStats retired;  // Ms gone during this run
SchedStats last;     // the previous run's totals
bool in_run = false;

void add(SchedStats& s, const MStats& m) {
    s.syscalls += m.syscalls.load(std::memory_order_relaxed);
    s.exit_fast += m.exit_fast.load(std::memory_order_relaxed);
    s.exit_idle_p += m.exit_idle_p.load(std::memory_order_relaxed);
    s.exit_slow += m.exit_slow.load(std::memory_order_relaxed);
    s.handoff_block += m.handoff_block.load(std::memory_order_relaxed);
    s.blocking_calls += m.blocking_calls.load(std::memory_order_relaxed);
    s.preempted += m.preempted.load(std::memory_order_relaxed);
    s.preempt_refused += m.preempt_refused.load(std::memory_order_relaxed);
}

// sched.lock held.
SchedStats collect() {
    SchedStats s = retired;
    for (M* mp = allm; mp != nullptr; mp = mp->alllink) {
        add(s, mp->stats);
        if (mp->curg != nullptr && readgstatus(mp->curg) == Gsyscall) ++s.in_syscall;
        // From the Ms themselves: sched.nmidlelocked is held one low while
        // retake hands a P off (Go's incidlelocked(-1)).
        if (mp->locked_park) ++s.idle_threads;
    }
    const SysmonStats sm = sysmon_stats();
    s.retakes = sm.retakes;
    s.retake_standby = sm.standbys;
    s.preempts = sm.preempts;
    s.preempt_signals = sm.preempt_signals;
    s.sysmon_passes = sm.passes;
    s.sysmon_wakes = sm.wakes;
    s.sysmon_prompts = sm.prompts;
    s.sysmon_polls = sm.polls;
    s.sysmon_timer_starts = sm.timer_starts;
    s.sysmon_delay_ns = sm.delay_ns;
    s.threads = mcount();
    s.threads_max = sched.mmax;
    s.threads_created = sched.mnext;
    s.threads_spared = static_cast<int64_t>(sched.mstopping_handed);
    s.idle_threads += sched.nmidle;
    s.procs = sched.gomaxprocs;
    s.idle_procs = sched.npidle.load(std::memory_order_relaxed);
    return s;
}

}  // namespace

void retire_mstats(M* mp) { add(retired, mp->stats); }

void reset_stats() {
    retired = SchedStats{};
    in_run = true;
}

void final_stats() {
    lock(&sched.lock);
    last = collect();
    unlock(&sched.lock);
    last.threads = 0;
    last.idle_threads = 0;
    last.in_syscall = 0;
    in_run = false;
}

SchedStats stats_now() {
    if (!in_run) return last;
    lock(&sched.lock);
    SchedStats s = collect();
    unlock(&sched.lock);
    return s;
}

void schedtrace(bool detail, int64_t uptime_ns) {
    lock(&sched.lock);
    const SchedStats s = collect();
    sys::fdprint(2, "SCHED ", uptime_ns / 1'000'000, "ms: gomaxprocs=", s.procs, " idleprocs=", s.idle_procs,
                 " threads=", s.threads, " spinningthreads=", sched.nmspinning.load(std::memory_order_relaxed),
                 " needspinning=0 idlethreads=", s.idle_threads, " runqueue=", sched.runqsize, " [");
    for (int32_t i = 0; i < sched.gomaxprocs; ++i) sys::fdprint(2, i != 0 ? " " : "", runqlen(allp[i]));
    sys::fdprint(2, "]\n");
    if (detail) {
        for (int32_t i = 0; i < sched.gomaxprocs; ++i) {
            P* pp = allp[i];
            M* mp = pp->m;
            sys::fdprint(2, "  P", i, ": status=", pp->status.load(), " schedtick=", pp->schedtick,
                         " syscalltick=", pp->syscalltick, " m=", mp != nullptr ? mp->id : -1,
                         " runqsize=", runqlen(pp), " gfreecnt=", pp->gFree.n, " timerslen=", pp->timers.len, "\n");
        }
        for (M* mp = allm; mp != nullptr; mp = mp->alllink) {
            sys::fdprint(2, "  M", mp->id, ": p=", mp->p != nullptr ? mp->p->id : -1,
                         " curg=", mp->curg != nullptr ? mp->curg->goid : -1,
                         " spinning=", mp->spinning ? "true" : "false",
                         " lockedg=", mp->lockedg != nullptr ? mp->lockedg->goid : -1,
                         mp->mstartfn != nullptr ? " (sysmon)" : "", "\n");
        }
        for (G* gp = sched.allgs; gp != nullptr; gp = gp->alllink) {
            const uint32_t st = readgstatus(gp);
            if (st == Gdead) continue;
            sys::fdprint(2, "  G", gp->goid, ": status=", st, "(",
                         st == Gwaiting && gp->waitreason ? gp->waitreason : "",
                         ") m=", gp->m != nullptr ? gp->m->id : -1,
                         " lockedm=", gp->lockedm != nullptr ? gp->lockedm->id : -1, "\n");
        }
    }
    unlock(&sched.lock);
}

}  // namespace rawrt::sched

namespace rawrt {

SchedStats stats() { return sched::stats_now(); }

}  // namespace rawrt
