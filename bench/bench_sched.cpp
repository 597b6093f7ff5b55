// What the scheduler's own operations cost, each the same shape as its Go
// counterpart in bench/go (make bench prints them side by side):
//
//   BM_gosched_1p     two Gs on one P call rawrt::yield in turn (Go's
//                     runtime.Gosched): ns per switch from one G to the other
//   BM_spawn_join     batches of 100 000 Gs started with rawrt::go and joined
//                     with a WaitGroup on one P: ns per G (Go: about 850 ns)
//   BM_mutex_handoff  two Gs on one P take turns on a rawrt::Mutex: ns per
//                     contended lock+unlock (see time_mutex_handoff)
//   BM_sleep_wakeup   rawrt::sleep(1 ns) on one P: ns per sleep and wake
//   BM_sleep_100us/P  rawrt::sleep(100 µs) on one G with P Ps: how long it
//                     really sleeps (counter slept_us; the kernel's wake-up
//                     and an idle M's timer slack are in it)
//   BM_sleep_100us_nanosleep  the floor beside it: one thread with rawrt's
//                     1 ns of timer slack calling clock_nanosleep(100 µs)
//
// One P, but for BM_sleep_100us/2: on one P the figures are the scheduler's
// own path, not how often the two noisy cores here happen to be free.
//
// As in bench_chan.cpp, the timed loop runs on a G and runtime threads must
// not call libc, so the benchmark's State (a pthread mutex, glibc's thread
// block) stays on the benchmark thread: the G times max_iterations
// operations with rawrt's vDSO clock and the library gets manual time. The
// cpu_ns counter is the process's CPU time per operation over the same loop:
// on a loaded machine the wall time also counts time spent waiting for a CPU.

#include <benchmark/benchmark.h>

#include <sys/prctl.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "bench/on_g.hpp"
#include "bench/ratio_reporter.hpp"
#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "vdso/vdso.hpp"

namespace {

using rawrt::bench::Stopwatch;
using rawrt::bench::Timing;

// The operations are split between two Gs, so an odd count gets one more.
int64_t half_up(int64_t n) { return (n + 1) / 2; }

Timing time_gosched(int64_t switches) {
    Timing t;
    auto r = rawrt::run({.procs = 1}, [&] {
        // On one P a yield goes to the other G whenever that one is
        // runnable, so each yield is one switch; each G makes half of them.
        const int64_t each = half_up(switches);
        std::atomic<bool> started{false};
        rawrt::Chan<int> done;
        rawrt::go([&] {
            while (!started.load(std::memory_order_relaxed)) rawrt::yield();
            for (int64_t i = 0; i < each; ++i) rawrt::yield();
            done.close();
        });
        rawrt::yield();  // the partner now spins on started: the first yield of the loop switches
        Stopwatch sw;
        sw.start();
        started.store(true, std::memory_order_relaxed);
        for (int64_t i = 0; i < each; ++i) rawrt::yield();
        (void)done.recv();
        sw.stop(t, 2 * each);
    });
    t.ok = r.ok();
    return t;
}

constexpr int64_t kSpawnBatch = 100'000;

// Go's 850 ns figure is for this shape: every G of a batch is started before
// any runs (one P, the spawner never blocks until wait), so a batch has
// 100 000 live Gs at once. Go gives each its stack as it is made; rawrt
// only as it first runs, and each of these ends before the next starts, so
// they all run on the few stacks in the P's cache (docs/scheduler.md).
//
// One untimed batch comes first, as in bench/go: the timed batches reuse its
// dead Gs, as a long-running program does. Each run() starts from nothing,
// and a new G costs far more (first-touch page faults: tens of µs in this
// VM) than anything the steady state does.
void spawn_join_batch() {
    rawrt::WaitGroup wg;
    wg.add(static_cast<int32_t>(kSpawnBatch));
    for (int64_t i = 0; i < kSpawnBatch; ++i) rawrt::go([&wg] { wg.done(); });
    wg.wait();
}

Timing time_spawn_join(int64_t gs) {
    Timing t;
    const int64_t batches = (gs + kSpawnBatch - 1) / kSpawnBatch;
    auto r = rawrt::run({.procs = 1}, [&] {
        spawn_join_batch();
        Stopwatch sw;
        sw.start();
        for (int64_t b = 0; b < batches; ++b) spawn_join_batch();
        sw.stop(t, batches * kSpawnBatch);
    });
    t.ok = r.ok();
    return t;
}

// Two Gs on one P each run lock(); yield(); unlock() in a loop. The holder
// yields inside, so the other G always finds the lock held and parks on it:
// every acquisition is contended. rawrt::Mutex then hands the lock to the
// parked G on unlock (FIFO), so one operation is: unlock readies the waiter,
// the unlocker's next lock parks it, the waiter runs holding the lock; plus
// one yield that finds nothing else to run. Go's sync.Mutex lets the
// unlocker barge in instead (until a waiter starves for 1 ms), so there the
// same count of acquisitions costs a different mix of switches: both sides
// report ns per contended lock+unlock, over the same number of them.
Timing time_mutex_handoff(int64_t acquisitions) {
    Timing t;
    auto r = rawrt::run({.procs = 1}, [&] {
        const int64_t each = half_up(acquisitions);
        rawrt::Mutex mu;
        rawrt::Chan<int> done;
        Stopwatch sw;
        sw.start();
        rawrt::go([&] {
            for (int64_t i = 0; i < each; ++i) {
                mu.lock();
                rawrt::yield();
                mu.unlock();
            }
            done.close();
        });
        for (int64_t i = 0; i < each; ++i) {
            mu.lock();
            rawrt::yield();
            mu.unlock();
        }
        (void)done.recv();
        sw.stop(t, 2 * each);
    });
    t.ok = r.ok();
    return t;
}

// 1 ns is already due when the scheduler next looks at the timer heap, so
// this is the cost of the mechanism (park on the heap, the scheduler's timer
// check, ready, switch back), not of the kernel's sleeping: the same in Go's
// time.Sleep(1).
Timing time_sleep_wakeup(int64_t sleeps) {
    Timing t;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::sleep(1);
        Stopwatch sw;
        sw.start();
        for (int64_t i = 0; i < sleeps; ++i) rawrt::sleep(1);
        sw.stop(t, sleeps);
    });
    t.ok = r.ok();
    return t;
}

// The whole machinery of a real sleep: the G parks on its P's timer heap,
// the idle M waits in the poller (or on its note) until the timer is due,
// the kernel wakes it, and the M runs the timer and the G.
Timing time_sleep_100us(int64_t sleeps, int32_t procs) {
    Timing t;
    auto r = rawrt::run({.procs = procs}, [&] {
        rawrt::sleep(100'000);
        Stopwatch sw;
        sw.start();
        for (int64_t i = 0; i < sleeps; ++i) rawrt::sleep(100'000);
        sw.stop(t, sleeps);
    });
    t.ok = r.ok();
    return t;
}

using rawrt::bench::report_timing;

void BM_gosched_1p(benchmark::State& state) { report_timing(state, time_gosched(state.max_iterations)); }
BENCHMARK(BM_gosched_1p)->UseManualTime();

void BM_spawn_join(benchmark::State& state) { report_timing(state, time_spawn_join(state.max_iterations)); }
BENCHMARK(BM_spawn_join)->UseManualTime();

void BM_mutex_handoff(benchmark::State& state) { report_timing(state, time_mutex_handoff(state.max_iterations)); }
BENCHMARK(BM_mutex_handoff)->UseManualTime();

void BM_sleep_wakeup(benchmark::State& state) { report_timing(state, time_sleep_wakeup(state.max_iterations)); }
BENCHMARK(BM_sleep_wakeup)->UseManualTime();

void BM_sleep_100us(benchmark::State& state) {
    const Timing t = time_sleep_100us(state.max_iterations, static_cast<int32_t>(state.range(0)));
    if (report_timing(state, t)) state.counters["slept_us"] = static_cast<double>(t.wall_ns) / 1e3 / t.operations;
}
BENCHMARK(BM_sleep_100us)->Arg(1)->Arg(2)->UseManualTime();

// On a thread of its own, so that the benchmark thread's slack stays as it is.
void BM_sleep_100us_nanosleep(benchmark::State& state) {
    Timing t;
    std::thread([&] {
        (void)prctl(PR_SET_TIMERSLACK, 1);
        const timespec d{0, 100'000};
        (void)clock_nanosleep(CLOCK_MONOTONIC, 0, &d, nullptr);
        Stopwatch sw;
        sw.start();
        for (int64_t i = 0; i < state.max_iterations; ++i) (void)clock_nanosleep(CLOCK_MONOTONIC, 0, &d, nullptr);
        sw.stop(t, state.max_iterations);
        t.ok = true;
    }).join();
    if (report_timing(state, t)) state.counters["slept_us"] = static_cast<double>(t.wall_ns) / 1e3 / t.operations;
}
BENCHMARK(BM_sleep_100us_nanosleep)->UseManualTime();

}  // namespace

// What the scheduler adds to a bare switch, and what parking adds to a yield.
RAWRT_BENCH_RATIO("BM_gosched_1p", "BM_switch_asm", "none set (the scheduler's share)");
RAWRT_BENCH_RATIO("BM_mutex_handoff", "BM_gosched_1p", "none set (a park and a ready per switch)");
RAWRT_BENCH_RATIO("BM_sleep_wakeup", "BM_gosched_1p", "none set (the timer heap's share)");
RAWRT_BENCH_RATIO("BM_sleep_100us/1", "BM_sleep_100us_nanosleep", "none set (the kernel's wake-up is the floor)");
