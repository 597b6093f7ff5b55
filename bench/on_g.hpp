// Timing a loop that runs on a G. Runtime threads must not call libc, so the
// benchmark's own State stays on the benchmark thread: the G reads rawrt's
// vDSO clock (wall) and the process's CPU clock, and the result is handed to
// Google Benchmark as manual time. cpu_ns counts every M's CPU time: on a
// loaded machine wall time also counts the time Ms waited for a CPU.
#pragma once

#include <benchmark/benchmark.h>
#include <time.h>

#include <cstdint>

#include "vdso/vdso.hpp"

namespace rawrt::bench {

inline int64_t process_cpu_ns() {
    timespec ts{};
    (void)rawrt::vdso::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1'000'000'000 + ts.tv_nsec;
}

struct Timing {
    int64_t wall_ns = 0;
    int64_t cpu_ns = 0;
    int64_t operations = 0;  // what wall_ns and cpu_ns are divided by
    bool ok = false;
};

class Stopwatch {
public:
    void start() {
        cpu0_ = process_cpu_ns();
        wall0_ = rawrt::vdso::nanotime();
    }
    void stop(Timing& t, int64_t operations) {
        t.wall_ns = rawrt::vdso::nanotime() - wall0_;
        t.cpu_ns = process_cpu_ns() - cpu0_;
        t.operations = operations;
    }

private:
    int64_t wall0_ = 0;
    int64_t cpu0_ = 0;
};

// Hands t to Google Benchmark: its wall time per operation as the manual
// time, counter cpu_ns; a failed run (why: what failed) is skipped with that.
inline bool report_timing(benchmark::State& state, const Timing& t, const char* why = "rawrt::run failed") {
    if (!t.ok || t.operations <= 0) {
        state.SkipWithError(why);
        return false;
    }
    const double n = static_cast<double>(t.operations);
    for (auto _ : state) state.SetIterationTime(static_cast<double>(t.wall_ns) * 1e-9 / n);
    state.counters["cpu_ns"] = static_cast<double>(t.cpu_ns) / n;
    return true;
}

}  // namespace rawrt::bench
