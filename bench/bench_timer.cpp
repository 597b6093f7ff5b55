// Go's timers (sched/timer.hpp) beside bench/go/gobench/timer.go:
//   BM_timer_reset_stop      a Timer of an hour, reset to an hour then stopped,
//                            on one P: ns per reset+stop pair
//   BM_after_select          select on a channel holding a value and on
//                            after(an hour), one P: ns per select, after()'s
//                            timer made, queued, stopped and freed in it
//   BM_ticker_1ms_overhead   a 1 ms Ticker received 500 times on one P: the
//                            process's CPU time per tick (counter
//                            cpu_ns_per_tick); the wall time is the period
//   BM_ticker_1ms_nanosleep  the floor beside it: one thread with rawrt's
//                            1 ns of timer slack sleeping to the same 1 ms
//                            grid with clock_nanosleep, 500 times: CPU per
//                            tick (counter cpu_ns_per_tick)
// The floor of BM_timer_reset_stop is a clock read (BM_clock_gettime_vdso):
// reset must know when it is called.
// The loops run on a G and report manual time, as bench_sched.cpp's.

#include <benchmark/benchmark.h>

#include <sys/prctl.h>
#include <time.h>

#include <cstdint>
#include <thread>

#include "bench/on_g.hpp"
#include "bench/ratio_reporter.hpp"
#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/timer.hpp"

namespace {

using rawrt::bench::Stopwatch;
using rawrt::bench::Timing;

constexpr int64_t kHour = 3600'000'000'000;

Timing time_reset_stop(int64_t n) {
    Timing t;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::Timer timer(kHour);
        Stopwatch sw;
        sw.start();
        for (int64_t i = 0; i < n; ++i) {
            (void)timer.reset(kHour);
            (void)timer.stop();
        }
        sw.stop(t, n);
    });
    t.ok = r.ok();
    return t;
}

Timing time_after_select(int64_t n) {
    Timing t;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::Chan<int> ch(1);
        int64_t got = 0;
        Stopwatch sw;
        sw.start();
        for (int64_t i = 0; i < n; ++i) {
            (void)ch.try_send(1);
            got += rawrt::select(rawrt::on_recv(ch), rawrt::on_recv(rawrt::after(kHour))) == 0;
        }
        sw.stop(t, n);
        t.ok = got == n;
    });
    t.ok = t.ok && r.ok();
    return t;
}

Timing time_ticker(int64_t ticks) {
    Timing t;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::Ticker tick(1'000'000);
        (void)tick.c().recv();
        Stopwatch sw;
        sw.start();
        for (int64_t i = 0; i < ticks; ++i) (void)tick.c().recv();
        sw.stop(t, ticks);
    });
    t.ok = r.ok();
    return t;
}

using rawrt::bench::report_timing;

void BM_timer_reset_stop(benchmark::State& state) { report_timing(state, time_reset_stop(state.max_iterations)); }
BENCHMARK(BM_timer_reset_stop)->UseManualTime();

void BM_after_select(benchmark::State& state) { report_timing(state, time_after_select(state.max_iterations)); }
BENCHMARK(BM_after_select)->UseManualTime();

void BM_ticker_1ms_overhead(benchmark::State& state) {
    const Timing t = time_ticker(state.max_iterations);
    if (report_timing(state, t))
        state.counters["cpu_ns_per_tick"] = static_cast<double>(t.cpu_ns) / static_cast<double>(t.operations);
}
BENCHMARK(BM_ticker_1ms_overhead)->Iterations(500)->UseManualTime();

// On a thread of its own, so that the benchmark thread's slack stays as it
// is; absolute wake-ups, so that the grid does not drift, as a Ticker's.
void BM_ticker_1ms_nanosleep(benchmark::State& state) {
    Timing t;
    std::thread([&] {
        (void)prctl(PR_SET_TIMERSLACK, 1);
        timespec next{};
        (void)clock_gettime(CLOCK_MONOTONIC, &next);
        const auto tick = [&] {
            next.tv_nsec += 1'000'000;
            if (next.tv_nsec >= 1'000'000'000) {
                next.tv_nsec -= 1'000'000'000;
                ++next.tv_sec;
            }
            (void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
        };
        tick();
        Stopwatch sw;
        sw.start();
        for (int64_t i = 0; i < state.max_iterations; ++i) tick();
        sw.stop(t, state.max_iterations);
        t.ok = true;
    }).join();
    if (report_timing(state, t))
        state.counters["cpu_ns_per_tick"] = static_cast<double>(t.cpu_ns) / static_cast<double>(t.operations);
}
BENCHMARK(BM_ticker_1ms_nanosleep)->Iterations(500)->UseManualTime();

}  // namespace

// A reset reads the clock: this ratio is how much of the pair the read leaves.
RAWRT_BENCH_RATIO("BM_timer_reset_stop", "BM_clock_gettime_vdso", "none set (the clock read is the floor)");
