// A short syscall never hands its P off. getpid in a loop, through the
// blocking-capable wrapper (Go's Syscall): every call enters the scheduler's
// syscall path (entersyscall puts the P in Psyscall), and every one comes
// back before sysmon could take the P, so exitsyscall's fast path (its P
// still in Psyscall: a store of Prunning, no locked instruction) succeeds
// each time.
//
//   fastpath [calls]       200 000 by default
//
// The G yields every kYieldEvery calls, as a G doing any other work would
// pass through the scheduler now and then. One that never did for 10 ms
// would be asked to yield (Go's forcePreemptNS), and sysmon takes the P of
// such a G at once if it finds it in a syscall: Go does the same.

#include <cstdint>

#include "examples/common/process.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sys/calls.hpp"
#include "sys/print.hpp"
#include "vdso/vdso.hpp"

namespace {

using examples::positive_arg;
using rawrt::sys::fdprint;

constexpr int64_t kYieldEvery = 1000;

// Nanoseconds per call of a getpid loop (best of three rounds: the figure
// least disturbed by a noisy machine).
template <class Getpid>
int64_t ns_per_call(int64_t calls, Getpid getpid) {
    int64_t best = -1;
    for (int round = 0; round < 3; ++round) {
        const int64_t start = rawrt::vdso::nanotime();
        for (int64_t i = 1; i <= calls; ++i) {
            (void)getpid();
            if (i % kYieldEvery == 0) rawrt::yield();
        }
        const int64_t ns = (rawrt::vdso::nanotime() - start) / calls;
        if (best < 0 || ns < best) best = ns;
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t calls = positive_arg(argc > 1 ? argv[1] : nullptr, 200'000);

    const rawrt::SchedStats before = rawrt::stats();
    for (int64_t i = 1; i <= calls; ++i) {
        (void)rawrt::sys::getpid();  // Go's syscall.Syscall(SYS_GETPID)
        if (i % kYieldEvery == 0) rawrt::yield();
    }
    const rawrt::SchedStats after = rawrt::stats();

    fdprint(1, "fastpath: ", calls,
            " getpid calls through the blocking-capable wrapper (Go's Syscall), one G; Ps: ", after.procs, "\n");
    fdprint(1, "syscalls entered: ", after.syscalls - before.syscalls, "\n");
    fdprint(1, "exit_fast (its own P back): ", after.exit_fast - before.exit_fast, "\n");
    fdprint(1, "exit_idle_p (P gone, took an idle one): ", after.exit_idle_p - before.exit_idle_p, "\n");
    fdprint(1, "exit_slow (no P: G queued, M parked): ", after.exit_slow - before.exit_slow, "\n");
    fdprint(1, "retakes: ", after.retakes - before.retakes, "\n");
    fdprint(1, "handoffs by entersyscallblock: ", after.handoff_block - before.handoff_block, "\n");
    fdprint(1, "threads made meanwhile: ", after.threads_created - before.threads_created, " (alive: ", after.threads,
            ")\n");
    fdprint(1,
            "seed: a short syscall returns before sysmon's tick, takes the fast path and never hands off; "
            "handoff only when a syscall outlasts a tick\n");

    // What the round trip through the scheduler costs (not asserted
    // anywhere: a speed; bench/ measures it properly).
    const int64_t timed = calls < 20'000 ? calls : 20'000;
    const int64_t hooked = ns_per_call(timed, [] { return rawrt::sys::getpid(); });
    const int64_t raw = ns_per_call(timed, [] { return rawrt::sys::raw::getpid(); });
    fdprint(1, "per call: ", hooked, " ns through entersyscall/exitsyscall, ", raw,
            " ns raw (Go's RawSyscall); the difference is the fast path's bookkeeping (seed: ~50-100 ns; "
            "Go here: ~40 ns; make bench: BM_getpid_blocking against BM_getpid_stub)\n");
    return 0;
}
