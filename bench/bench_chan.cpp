// What a channel handoff costs: two Gs bounce a value over unbuffered
// channels (Go's BenchmarkChanSync shape). One iteration is one one-way
// handoff: a send that finds the partner parked, copies into its frame and
// readies it, then parks itself until the reply.
//
//   BM_chan_pingpong_1p   both Gs on one P: a handoff is a switch on one M
//   BM_chan_pingpong_2p   two Ps: the Gs may sit on different Ms, and a
//                         handoff may wake a parked M (futex) to run one
//
// Go's figure on this machine, for reference: about 103 ns per handoff.
//
// The timed loop runs on a G, and runtime threads must not call libc, so
// the benchmark's own State (whose start and stop take a pthread mutex and
// read glibc's thread block) stays on the benchmark thread: the G times
// max_iterations handoffs with rawrt's vDSO clock and the result is handed
// to the library as manual time. Starting and ending the run is not timed.
// The cpu_ns counter is the process's CPU time per handoff over the same
// loop (every M's, the idle benchmark thread's ~0): on a loaded machine the
// wall time also counts the time the Ms waited for a CPU.

#include <benchmark/benchmark.h>

#include <cstdint>

#include "bench/on_g.hpp"
#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "vdso/vdso.hpp"

namespace {

using rawrt::bench::process_cpu_ns;
using rawrt::bench::Timing;

// How long `handoffs` one-way handoffs took on `procs` Ps.
Timing time_pingpong(int32_t procs, int64_t handoffs) {
    Timing t;
    auto r = rawrt::run({.procs = procs}, [&] {
        rawrt::Chan<int64_t> ping, pong, done;
        rawrt::go([&] {
            for (;;) {
                auto [v, open] = ping.recv();
                if (!open) break;
                pong.send(v);
            }
            done.close();
        });
        // One round trip first, so the echo G is parked in recv when the
        // clock starts.
        ping.send(-1);
        (void)pong.recv();
        const int64_t c0 = process_cpu_ns();
        const int64_t t0 = rawrt::vdso::nanotime();
        for (int64_t i = 0; i < handoffs; ++i) {
            if ((i & 1) == 0) ping.send(i);
            else (void)pong.recv();
        }
        t.wall_ns = rawrt::vdso::nanotime() - t0;
        t.cpu_ns = process_cpu_ns() - c0;
        if (handoffs & 1) (void)pong.recv();  // the echo's last reply
        ping.close();
        (void)done.recv();
    });
    t.ok = r.ok();
    return t;
}

void pingpong(benchmark::State& state, int32_t procs) {
    const Timing t = time_pingpong(procs, state.max_iterations);
    if (!t.ok) state.SkipWithError("rawrt::run failed");
    const double n = static_cast<double>(state.max_iterations);
    const double per_iteration = static_cast<double>(t.wall_ns) * 1e-9 / n;
    for (auto _ : state) state.SetIterationTime(per_iteration);
    state.counters["cpu_ns"] = static_cast<double>(t.cpu_ns) / n;
}

void BM_chan_pingpong_1p(benchmark::State& state) { pingpong(state, 1); }
BENCHMARK(BM_chan_pingpong_1p)->UseManualTime();

void BM_chan_pingpong_2p(benchmark::State& state) { pingpong(state, 2); }
BENCHMARK(BM_chan_pingpong_2p)->UseManualTime();

}  // namespace
