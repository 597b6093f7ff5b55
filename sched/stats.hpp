// What the scheduler counts (rawrt::stats) and prints (Go's schedtrace).
//
//   auto s = rawrt::stats();
//   s.syscalls == s.exit_fast + s.exit_idle_p + s.exit_slow   // once no G is in a syscall
//
// Inside a run the figures are live (each a moment's reading, not one
// consistent snapshot); after run() returns they are the totals of the run
// that just ended, until the next one starts.
#pragma once

#include <cstdint>

namespace rawrt {

struct SchedStats {
    // Syscall handoff (sched/entersyscall.cpp). Every entersyscall is one
    // syscall and ends in exactly one of the three exits.
    uint64_t syscalls = 0;        // blocking-capable wrappers and blocking_call entered
    uint64_t exit_fast = 0;       // got the same P back (no handoff happened)
    uint64_t exit_idle_p = 0;     // the P was gone; took an idle one
    uint64_t exit_slow = 0;       // no P: the G was queued, the M parked
    uint64_t handoff_block = 0;   // entersyscallblock handed the P off at once
    uint64_t blocking_calls = 0;  // rawrt::blocking_call (counted in syscalls too)
    // sysmon (sched/sysmon.cpp).
    uint64_t retakes = 0;         // Ps taken from Ms in a syscall
    uint64_t retake_standby = 0;  // of which made by an M a prompt woke to stand by
    uint64_t preempts = 0;        // requests to a G to yield
    // Asynchronous preemption (sched/preempt.hpp). Every signal ends in one
    // of the two, or in nothing when the G had yielded meanwhile.
    uint64_t preempt_signals = 0;      // requests sent as a signal (something waited for the P)
    uint64_t preempted = 0;            // Gs the signal switched out
    uint64_t preempt_refused = 0;      // signals that found an unsafe point (sysmon asks again)
    uint64_t sysmon_passes = 0;        // times sysmon woke and looked
    uint64_t sysmon_wakes = 0;         // of which cut short by the syscall paths
    uint64_t sysmon_prompts = 0;       // syscalls begun with Gs queued that woke a standby M or sysmon
    uint64_t sysmon_polls = 0;         // its network polls (nobody had for 10 ms) that readied Gs
    uint64_t sysmon_timer_starts = 0;  // Ms it started for a timer overdue on an idle P
    int64_t sysmon_delay_ns = 0;       // sysmon's current sleep (grows while nothing happens)
    // Threads (Ms), sysmon's included.
    int32_t threads = 0;          // alive now (at the end: 0)
    int32_t threads_max = 0;      // most alive at once
    int64_t threads_created = 0;  // Ms ever made
    int64_t threads_spared = 0;   // Ps startm handed to an M on its way to park, where Go makes an M
    int32_t idle_threads = 0;     // parked with nothing to do (or for a locked G)
    int32_t in_syscall = 0;       // Ms in a syscall now
    int32_t procs = 0;            // Ps (Go: GOMAXPROCS)
    int32_t idle_procs = 0;
};

// The scheduler's counters: see above for when they are exact.
SchedStats stats();

}  // namespace rawrt

namespace rawrt::sched {
struct M;
// Adds an exiting M's counters to the run's totals (sched.lock held).
void retire_mstats(M* mp);
// Run start: zeroes the totals. Teardown (every M joined): keeps the
// final figures for stats() after run() has returned.
void reset_stats();
void final_stats();
SchedStats stats_now();
// Go: schedtrace. One "SCHED ..." line to fd 2 (detail: and a line per P, M
// and G); uptime_ns is the time since the run started.
void schedtrace(bool detail, int64_t uptime_ns);
}  // namespace rawrt::sched
