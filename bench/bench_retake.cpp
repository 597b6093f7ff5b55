// The retake latency: the seed's scenario 3 as an experiment. One P; G A
// starts G B (queued on A's P, in runnext) and blocks in sys::read on a
// pipe; B, once some M runs it, notes the time and writes the pipe, which
// releases A. One trial's latency is B's first instant minus the instant
// just before A's read: how long a G queued behind a blocking syscall waits
// for sysmon to retake the P and hand it to another M.
//
//   BM_retake_latency_warm        trials back to back: each retake resets
//                                 sysmon's idle count, so it polls every 20 µs
//   BM_retake_latency_backedoff   before each trial the P computes (no
//                                 syscalls) until stats().sysmon_delay_ns is
//                                 at its maximum (10 ms): rawrt then wakes
//                                 sysmon from entersyscall (work queued)
//   BM_retake_latency_backedoff_goway  the same with debug "sysmon_prompt=0":
//                                 Go's behaviour, sysmon sleeps its 10 ms out
//
// bench/go/gobench runs the same experiment on Go (BM_go_retake_latency_*).
// Each iteration of the library's loop is one trial, its latency given as
// manual time (so the time column is the mean); the counters median_us and
// p90_us are what the comparison table uses. A few untimed trials come
// first (the first retake has to create the M that runs B). As elsewhere in
// bench/, the trials run on Gs and read only rawrt's clock; the State stays
// on the benchmark thread.

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sys/calls.hpp"
#include "vdso/vdso.hpp"

namespace {

constexpr int64_t kSysmonMaxNs = 10'000'000;  // sched/debug.hpp's default, left as is here
constexpr int kWarmTrials = 200;
constexpr int kBackedOffTrials = 40;
constexpr int kUntimedTrials = 5;

struct Experiment {
    bool ok = false;
    bool stuck = false;  // the watchdog had to release a read
    bool never_backed_off = false;
    std::vector<int64_t> latency_ns;  // sized before the run: no allocation on a G
    rawrt::SchedStats stats;
};

// Keeps the P busy, without a syscall, until sysmon has backed off to its
// longest sleep. preempt_point: sysmon asks for a yield every 10 ms, and a
// well-behaved computation gives it (there is no other G to run).
bool back_sysmon_off() {
    const int64_t give_up = rawrt::vdso::nanotime() + 5'000'000'000;
    int64_t next_look = 0;
    for (;;) {
        const int64_t now = rawrt::vdso::nanotime();
        if (now >= next_look) {
            // stats() takes sched.lock: looked at every 200 µs, not in a tight loop.
            if (rawrt::stats().sysmon_delay_ns >= kSysmonMaxNs) return true;
            if (now > give_up) return false;
            next_look = now + 200'000;
        }
        rawrt::preempt_point();
    }
}

Experiment retake_latency(int trials, bool backed_off, const char* debug) {
    Experiment e;
    e.latency_ns.assign(static_cast<size_t>(trials), 0);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return e;
    const int rfd = fds[0], wfd = fds[1];

    // A runtime bug must not hang the benchmark: if no trial completes for
    // 20 s, the watchdog releases the read and the experiment is an error.
    std::atomic<int> progress{0};
    std::atomic<bool> finished{false}, stuck{false};
    std::thread watchdog([&] {
        int seen = -1;
        auto last = std::chrono::steady_clock::now();
        while (!finished.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            const int now_seen = progress.load();
            const auto now = std::chrono::steady_clock::now();
            if (now_seen != seen) {
                seen = now_seen;
                last = now;
            } else if (now - last > std::chrono::seconds(20) && !stuck.load()) {
                stuck = true;
                (void)!::write(wfd, "w", 1);
            }
        }
    });

    auto r = rawrt::run({.procs = 1, .debug = debug}, [&] {
        std::atomic<int64_t> b_start{0};
        for (int i = -kUntimedTrials; i < trials && !stuck.load(); ++i) {
            if (backed_off) {
                if (!back_sysmon_off()) {
                    e.never_backed_off = true;
                    break;
                }
                // A fresh schedtick, as a G that was just scheduled has:
                // otherwise the spin's 10 ms without one would let sysmon's
                // preemption rule retake the P at its first look (Go's
                // sysretake), which is not the path measured here.
                rawrt::yield();
            }
            rawrt::WaitGroup wg;
            wg.add(1);
            rawrt::go([&] {
                b_start.store(rawrt::vdso::nanotime(), std::memory_order_relaxed);
                (void)rawrt::sys::write(wfd, "b", 1);
                wg.done();
            });
            const int64_t t0 = rawrt::vdso::nanotime();
            char c;
            (void)rawrt::sys::read(rfd, &c, 1);
            // B has run (its byte released the read): it has stored its time.
            if (i >= 0) e.latency_ns[static_cast<size_t>(i)] = b_start.load(std::memory_order_relaxed) - t0;
            wg.wait();
            progress.fetch_add(1);
        }
    });
    e.stats = rawrt::stats();
    finished = true;
    watchdog.join();
    ::close(rfd);
    ::close(wfd);
    e.stuck = stuck.load();
    e.ok = r.ok() && !e.stuck && !e.never_backed_off;
    return e;
}

double percentile_us(std::vector<int64_t> v, double q) {
    std::sort(v.begin(), v.end());
    const size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return static_cast<double>(v[i]) / 1e3;
}

void report(benchmark::State& state, int trials, bool backed_off, const char* debug) {
    const Experiment e = retake_latency(trials, backed_off, debug);
    if (!e.ok) {
        state.SkipWithError(e.stuck              ? "a read was never released (watchdog)"
                            : e.never_backed_off ? "sysmon never backed off"
                                                 : "rawrt::run failed");
        return;
    }
    size_t i = 0;
    for (auto _ : state) state.SetIterationTime(static_cast<double>(e.latency_ns[i++]) * 1e-9);
    state.counters["median_us"] = percentile_us(e.latency_ns, 0.5);
    state.counters["p90_us"] = percentile_us(e.latency_ns, 0.9);
    state.counters["max_us"] = percentile_us(e.latency_ns, 1.0);
    // Per trial (untimed ones included): a retake each, and in the backed
    // off case a wake each, unless the prompt wake is turned off.
    const double all = trials + kUntimedTrials;
    state.counters["retakes"] = static_cast<double>(e.stats.retakes) / all;
    state.counters["sysmon_wakes"] = static_cast<double>(e.stats.sysmon_wakes) / all;
    state.counters["standby"] = static_cast<double>(e.stats.retake_standby) / all;
}

void BM_retake_latency_warm(benchmark::State& state) { report(state, kWarmTrials, false, nullptr); }
BENCHMARK(BM_retake_latency_warm)->UseManualTime()->Iterations(kWarmTrials)->Unit(benchmark::kMicrosecond);

void BM_retake_latency_backedoff(benchmark::State& state) { report(state, kBackedOffTrials, true, nullptr); }
BENCHMARK(BM_retake_latency_backedoff)->UseManualTime()->Iterations(kBackedOffTrials)->Unit(benchmark::kMicrosecond);

void BM_retake_latency_backedoff_goway(benchmark::State& state) {
    report(state, kBackedOffTrials, true, "sysmon_prompt=0");
}
BENCHMARK(BM_retake_latency_backedoff_goway)
    ->UseManualTime()
    ->Iterations(kBackedOffTrials)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
