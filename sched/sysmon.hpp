// sysmon (Go: runtime.sysmon): an M of its own, with no P, that wakes now and
// then to take Ps away from Ms stuck in syscalls (retake), to ask Gs that
// hog their P to yield (preemptone), and to print the schedtrace. It backs
// off while nothing happens and sleeps deeply while every P is idle.
//
// Its sleep is a futex on sysmon_state, which also tells the syscall paths
// whether waking it is worth a syscall:
//
//   kSysmonAwake  running, or in a short sleep it will not be woken from
//   kSysmonNap    in a short (minimum) sleep: woken when a P enters a
//                 syscall with Gs queued behind it (rawrt's addition: Go
//                 looks again a tick later), unless such wakes lately found
//                 the syscall over already
//   kSysmonLong   backed off (up to sysmonmax): woken likewise (rawrt's
//                 addition: Go waits out the long sleep)
//   kSysmonDeep   every P idle and no timer pending: woken by an M that
//                 takes a P, which leaves the backed-off tick as it is, and
//                 by any syscall entry (Go: sysmonwait)
//   kSysmonDeepTimed  every P idle, timers pending: sleeps until the
//                 earliest is overdue (an idle M sleeps until the timer
//                 itself) and at least the backed-off delay; woken by any syscall entry
//                 but not by an M that takes a P, which is there for a
//                 timer (waking sysmon around every timer cost two futex
//                 calls per sleep)
//   kSysmonExit   the run is ending: no sleep starts any more
//
// A prompt (a P entering a syscall with Gs queued behind it) first tries to
// put an idle M on standby to watch that syscall (sched/standby.hpp), and
// wakes sysmon only when no M can stand by. Prompts that find the syscall
// over already turn prompts off for a while (sysmon_prompts_off).
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/debug.hpp"
#include "sched/runq.hpp"
#include "sched/runtime2.hpp"
#include "sched/signal_unix.hpp"

namespace rawrt::sched {

enum : uint32_t {
    kSysmonAwake = 0,
    kSysmonLong = 1,
    kSysmonDeep = 2,
    kSysmonDeepTimed = 3,
    kSysmonExit = 4,
    kSysmonNap = 5
};
// Side by side, so that entersyscall's test of both is one compare.
inline bool sysmon_deep(uint32_t state) { return state - kSysmonDeep <= kSysmonDeepTimed - kSysmonDeep; }
extern std::atomic<uint32_t> sysmon_state;
// Prompts are off: lately they found only short syscalls.
extern std::atomic<bool> sysmon_prompts_off;

// The body of sysmon's M (newm's mstartfn); returns when the run ends.
void sysmon();
// Wakes sysmon if it sleeps (nap, long or deep); false if it was awake.
bool sysmon_wake();
// entersyscall: pp went into syscall number `tick` with Gs queued behind
// it. Notes when, and puts an M on standby to watch the syscall, or, with
// none to spare, wakes sysmon (if it naps or sleeps long) to watch it.
void sysmon_prompt(P* pp, uint32_t tick);
// Prompted watches, by sysmon or a standby M, retake the P once the
// syscall has lasted the minimum tick; a longer one (sysmonmin) is left to
// sysmon's passes, since the watcher spins.
constexpr int64_t kMaxWatchNs = 100'000;
// A standby M: retakes pp, found in the syscall it watched, for itself
// (counted as sysmon's retakes are). False if pp's M was back first.
bool standby_retake(P* pp);
// rawrt: Ms in a syscall whose P went on without them (retaken, or handed
// off by entersyscallblock), not yet back: what paces retakes
// (retake_wait). A moment's reading, below 0 while a retaken M that came
// back first has counted itself out before its retaker counted it in.
extern std::atomic<int32_t> nmblocked;
// rawrt: how long a syscall with a retake condition (Gs queued behind it,
// or none to look for work) must have lasted before its P is retaken, by
// sysmon or a standby M. A retaken P runs the next G, which may block in a
// call of its own: Gs that each block in a medium or long call (an fsync
// storm, a thousand 50 ms foreign calls) got a thread per call in flight,
// one per P per tick, twice Go's count (its sysmon is slower to look). So
// the call must have lasted a tick (sysmonmin), and a tick more for each M
// already blocked in a syscall per P (nmblocked), up to retakepace
// (500 µs): a bound on Ms in syscalls while work is queued that gives way
// over time. The first blocked calls are retaken as promptly as ever; a
// pile of them paces the next retakes to one per P per retakepace; calls
// that wait on each other still each get their thread, at that pace.
int64_t retake_wait();
// A watch retook nothing, the syscall being over: after kPromptWastes such
// watches in a row, prompts are turned off for sysmonidle passes.
void sysmon_prompt_wasted();
// The run ends: wakes sysmon from any sleep, for good.
void sysmon_exit();

// entersyscall's check, after pp went to Psyscall and a light_fence (which
// sysmon's decision to sleep long pairs with): two loads when prompts are
// off, a look at the run queue otherwise.
inline void sysmon_entersyscall(P* pp, uint32_t tick) {
    if (sysmon_deep(sysmon_state.load(std::memory_order_relaxed))) sysmon_wake();
    else if (!sysmon_prompts_off.load(std::memory_order_relaxed) && debug.sysmon_prompt && !runqempty(pp))
        sysmon_prompt(pp, tick);
}

// An M took a P: if sysmon sleeps deeply with no end, there is again
// something to watch.
inline void sysmon_pbusy() {
    if (sysmon_state.load(std::memory_order_relaxed) == kSysmonDeep) sysmon_wake();
}

// addtimer's check (rawrt): a timer now waits behind the G that runs on
// its P; sysmon, backed off, would look at that G a whole backed-off sleep
// late, and preempt it that late if it computes on. Woken, it times the
// quantum against the timer (preempt_sleep) and naps meanwhile, so this
// wakes it at most once per backing off. One load while sysmon is not in a
// long sleep.
inline void sysmon_timer_added() {
    if (sysmon_state.load(std::memory_order_relaxed) == kSysmonLong && preempt_signal_installed()) sysmon_wake();
}

struct SysmonStats {
    uint64_t passes;
    uint64_t wakes;            // sleeps cut short by sysmon_wake
    uint64_t prompts;          // prompts that set a standby M watching or woke sysmon
    uint64_t retakes;          // Ps taken from Ms in syscalls
    uint64_t standbys;         // of which made by a standby M, woken at the prompt
    uint64_t preempts;         // preemption requests
    uint64_t preempt_signals;  // of which sent as a signal too
    uint64_t polls;            // its network polls that found Gs to run
    int64_t delay_ns;          // the current sleep (deep sleep: -1)
    uint64_t timer_starts;     // spinning Ms started for an overdue timer
};
SysmonStats sysmon_stats();
// Run start: sysmon awake, counters zero.
void sysmon_reset();

}  // namespace rawrt::sched
