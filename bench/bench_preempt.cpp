// Asynchronous preemption (sched/preempt.cpp): sysmon signals the M of a G
// that has run past the quantum while something else waits for its P, and
// the G is switched out where the signal found it. Every experiment here is
// one P and Gs that spin in a plain loop, with no runtime call and no yield:
// without the signal nothing would ever take the P from them.
//
//   BM_preempt_latency/10ms  a G spins; the main G sleeps 1 ms (rawrt::sleep)
//   BM_preempt_latency/1ms   and, once it runs, stops the spinner. Per trial:
//                            from the timer's due time to the sleeper running
//                            (median_us, p90_us), and from the spin's start
//                            (start_median_us, start_p90_us). The quantum is
//                            the default (10 ms) or preempt_us = 1000.
//   BM_preempt_cost          ns per preemption, from the interrupted G's last
//                            instant to the next G's first (the cost section
//                            says why this figure), at the shortest quantum
//   BM_preempt_signal_floor  the same gap for a bare signal to a plain
//                            thread, no runtime: the machine's share of it
//   BM_preempt_throughput/off, /10ms, /1ms   two Gs spin a fixed count each;
//                            the loop's rate (Mloops_per_s) with preemption
//                            off (asyncpreempt=0: one G ends, then the other)
//                            and at a 10 ms and a 1 ms quantum, and as a
//                            share of off (vs_off_pct), from runs that
//                            alternate with off runs
//
// bench/go/gobench/preempt.go runs the same experiments on Go, whose quantum
// is always 10 ms. As elsewhere in bench/, the timed code runs on Gs and
// reads only rawrt's clocks; everything is sized before a run (operator new
// is glibc's); the State stays on the benchmark thread and gets manual time.

#include <benchmark/benchmark.h>

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "bench/ratio_reporter.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "vdso/vdso.hpp"

namespace {

using rawrt::vdso::nanotime;

std::atomic<uint64_t> sink{0};

// The work: xorshift64 steps, a serial chain the compiler can neither drop
// nor vectorise, about 1-2 ns a step.
inline uint64_t spin(uint64_t x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        asm volatile("" : "+r"(x));
    }
    return x;
}

constexpr uint64_t kSeed = 88172645463325252ull;

int64_t thread_cpu_ns() {
    timespec ts{};
    (void)rawrt::vdso::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1'000'000'000 + ts.tv_nsec;
}

double percentile(std::vector<int64_t> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return static_cast<double>(v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)]);
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

rawrt::RunConfig one_p(int64_t preempt_us, bool async) {
    rawrt::RunConfig c;
    c.procs = 1;
    c.preempt_us = preempt_us;
    c.debug = async ? "asyncpreempt=1" : "asyncpreempt=0";
    return c;
}

// ---- latency

constexpr int64_t kSleepNs = 1'000'000;
constexpr int64_t kDefaultQuantumUs = 10'000;  // RunConfig::preempt_us 0
constexpr int kUntimedTrials = 3;
// A spinner nothing preempts stops itself after this: the experiment then
// fails instead of hanging.
constexpr int64_t kGiveUpNs = 2'000'000'000;
constexpr int64_t kSpinChunk = 1024;  // steps between two looks at the stop flag

struct Latency {
    bool ok = false;
    bool never_preempted = false;
    std::vector<int64_t> from_due;    // sized before the run: no allocation on a G
    std::vector<int64_t> from_start;  // from the spinner's first instant
    rawrt::SchedStats stats;
};

// Spins until stop; false if it gave up. The clock is read once every
// 1024 chunks (some ms), only for the give-up.
bool spin_until(const std::atomic<bool>& stop) {
    uint64_t x = kSeed;
    const int64_t give_up = nanotime() + kGiveUpNs;
    for (uint32_t n = 1; !stop.load(std::memory_order_relaxed); ++n) {
        x = spin(x, kSpinChunk);
        if (n % 1024 == 0 && nanotime() > give_up) return false;
    }
    sink.store(x, std::memory_order_relaxed);
    return true;
}

inline uint64_t xorshift(uint64_t x) { return spin(x, 1); }

// Each trial: the main G starts a spinner (runnext: it runs as soon as the
// main G parks) and sleeps 1 ms. Its timer is due while the spinner holds
// the only P, so only a preemption lets the scheduler run it; the main G
// then stops the spinner and waits for it to end.
//
// Trials back to back would start every spin just after the pass of
// sysmon's that preempted the last one, at the same phase of its period
// each time (Go then takes 20 ms every time: one pass to see the G, the
// next, 10 ms on, to preempt it). A busy wait of a random length up to a
// quantum first spreads the starts over that period, as a program's are.
// The main G keeps the P meanwhile, with nothing waiting for it; then it
// yields, for a fresh time slice: the spinner, taken from runnext, inherits
// the rest of the main G's (Go's inheritTime), and would otherwise be
// preempted that much before its quantum.
Latency preempt_latency(int trials, int64_t preempt_us) {
    Latency e;
    e.from_due.assign(static_cast<size_t>(trials), 0);
    e.from_start.assign(static_cast<size_t>(trials), 0);
    std::atomic<bool> gave_up{false};
    const int64_t quantum_ns = (preempt_us > 0 ? preempt_us : kDefaultQuantumUs) * 1000;
    auto r = rawrt::run(one_p(preempt_us, true), [&] {
        uint64_t rnd = kSeed;
        for (int i = -kUntimedTrials; i < trials && !gave_up.load(); ++i) {
            rnd = xorshift(rnd);
            const int64_t until = nanotime() + static_cast<int64_t>(rnd % static_cast<uint64_t>(quantum_ns));
            while (nanotime() < until) {
            }
            rawrt::yield();
            std::atomic<bool> stop{false};
            std::atomic<int64_t> spin_start{0};
            rawrt::WaitGroup wg;
            wg.add(1);
            rawrt::go([&] {
                spin_start.store(nanotime(), std::memory_order_relaxed);
                if (!spin_until(stop)) gave_up.store(true);
                wg.done();
            });
            // rawrt::sleep reads the clock again: the timer is due a few
            // ns after this, which the figure from due counts.
            const int64_t due = nanotime() + kSleepNs;
            rawrt::sleep(kSleepNs);
            const int64_t ran = nanotime();
            stop.store(true, std::memory_order_relaxed);
            wg.wait();
            if (i < 0) continue;
            e.from_due[static_cast<size_t>(i)] = ran - due;
            e.from_start[static_cast<size_t>(i)] = ran - spin_start.load(std::memory_order_relaxed);
        }
    });
    e.stats = rawrt::stats();
    e.never_preempted = gave_up.load();
    e.ok = r.ok() && !e.never_preempted;
    return e;
}

void report_latency(benchmark::State& state, int trials, int64_t preempt_us) {
    const Latency e = preempt_latency(trials, preempt_us);
    if (!e.ok) {
        state.SkipWithError(e.never_preempted ? "the spinner was never preempted" : "rawrt::run failed");
        return;
    }
    size_t i = 0;
    for (auto _ : state) state.SetIterationTime(static_cast<double>(e.from_due[i++]) * 1e-9);
    state.counters["median_us"] = percentile(e.from_due, 0.5) / 1e3;
    state.counters["p90_us"] = percentile(e.from_due, 0.9) / 1e3;
    state.counters["max_us"] = percentile(e.from_due, 1.0) / 1e3;
    state.counters["start_median_us"] = percentile(e.from_start, 0.5) / 1e3;
    state.counters["start_p90_us"] = percentile(e.from_start, 0.9) / 1e3;
    // Per trial, the untimed ones included: one preemption each is the ideal.
    const double all = trials + kUntimedTrials;
    state.counters["preempted"] = static_cast<double>(e.stats.preempted) / all;
    state.counters["signals"] = static_cast<double>(e.stats.preempt_signals) / all;
    state.counters["refused"] = static_cast<double>(e.stats.preempt_refused) / all;
}

constexpr int kLatencyTrials10ms = 100;  // 10-20 ms each
constexpr int kLatencyTrials1ms = 300;

void BM_preempt_latency(benchmark::State& state, int trials, int64_t preempt_us) {
    report_latency(state, trials, preempt_us);
}
// preempt_us 0: the default quantum, as a program gets it.
BENCHMARK_CAPTURE(BM_preempt_latency, 10ms, kLatencyTrials10ms, 0)
    ->UseManualTime()
    ->Iterations(kLatencyTrials10ms)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_preempt_latency, 1ms, kLatencyTrials1ms, 1000)
    ->UseManualTime()
    ->Iterations(kLatencyTrials1ms)
    ->Unit(benchmark::kMicrosecond);

// ---- two spinners on one P

// One run: two Gs on one P each run worker(me), me = 0 or 1, while the main
// G waits. thread_cpu is the CPU time of the M that ran them (the main G
// parks and is woken on that same M: one P, no syscall), -1 if the main G
// came back on another M.
struct LoopRun {
    bool ok = false;
    int64_t wall_ns = 0;
    int64_t thread_cpu_ns = -1;
    int64_t switches = 0;  // G to G switches seen by the loops (see count_switch)
    rawrt::SchedStats stats;
};

// The loops keep who stamped last: a G that finds the other's mark knows
// the P went from the other G to it. The first entry of each G counts one
// switch, and so does the resumption of one after the other ends: switches
// - 2 is the count of preemptions that handed the P over.
struct Owner {
    std::atomic<int> owner{-1};
    std::atomic<int64_t> switches{0};
    bool count_switch(int me) {
        if (owner.load(std::memory_order_relaxed) == me) return false;
        owner.store(me, std::memory_order_relaxed);
        switches.fetch_add(1, std::memory_order_relaxed);
        return true;
    }
};

template <class Worker>
LoopRun two_spinners(int64_t preempt_us, bool async, Owner& own, Worker& worker) {
    LoopRun lr;
    auto r = rawrt::run(one_p(preempt_us, async), [&] {
        rawrt::WaitGroup wg;
        wg.add(2);
        const int tid = rawrt::sys::raw::gettid().value_or(0);
        const int64_t cpu0 = thread_cpu_ns();
        const int64_t t0 = nanotime();
        rawrt::go([&] {
            worker(0);
            wg.done();
        });
        rawrt::go([&] {
            worker(1);
            wg.done();
        });
        wg.wait();
        lr.wall_ns = nanotime() - t0;
        const int64_t cpu1 = thread_cpu_ns();
        if (rawrt::sys::raw::gettid().value_or(-1) == tid) lr.thread_cpu_ns = cpu1 - cpu0;
    });
    lr.stats = rawrt::stats();
    lr.switches = own.switches.load();
    lr.ok = r.ok();
    return lr;
}

// How many steps of spin() take about ns on this machine (measured once,
// on the benchmark thread).
int64_t steps_for(int64_t ns) {
    static const double ns_per_step = [] {
        double best = 1e9;
        for (int i = 0; i < 5; ++i) {
            const int64_t t0 = nanotime();
            sink.store(spin(kSeed + static_cast<uint64_t>(i), 1 << 22), std::memory_order_relaxed);
            best = std::min(best, static_cast<double>(nanotime() - t0) / (1 << 22));
        }
        return best;
    }();
    return static_cast<int64_t>(static_cast<double>(ns) / ns_per_step);
}

// ---- throughput

constexpr int64_t kLoopChunk = 4096;  // steps between two looks at the owner mark
constexpr int64_t kLoopNsPerG = 100'000'000;
constexpr int kThroughputRuns = 5;

// One G's share: steps steps of spin, the owner mark looked at every chunk
// (a load, no call).
struct SpinWorker {
    Owner& own;
    int64_t steps;
    void operator()(int me) {
        uint64_t x = kSeed + static_cast<uint64_t>(me);
        for (int64_t done = 0; done < steps; done += kLoopChunk) {
            x = spin(x, kLoopChunk);
            (void)own.count_switch(me);
        }
        sink.store(x, std::memory_order_relaxed);
    }
};

LoopRun spin_run(int64_t preempt_us, bool async, int64_t steps) {
    Owner own;
    SpinWorker w{own, steps};
    return two_spinners(preempt_us, async, own, w);
}

// preempt_us < 0: off. Otherwise each run at that quantum follows an off
// run: the ratio of the two is taken from neighbours, whatever the machine
// does meanwhile, and vs_off_pct is their median.
void BM_preempt_throughput(benchmark::State& state, int64_t preempt_us) {
    const int64_t steps = steps_for(kLoopNsPerG) / kLoopChunk * kLoopChunk;
    const double loops = 2.0 * static_cast<double>(steps);
    std::vector<double> ns_per_loop, rate, vs_off, vs_off_cpu, preempted, signals, refused, sysmon;
    for (int i = 0; i < kThroughputRuns; ++i) {
        const LoopRun off = spin_run(0, false, steps);
        LoopRun on = off;
        if (preempt_us >= 0) on = spin_run(preempt_us, true, steps);
        if (!off.ok || !on.ok || on.wall_ns <= 0) {
            state.SkipWithError("rawrt::run failed");
            return;
        }
        ns_per_loop.push_back(static_cast<double>(on.wall_ns) / loops);
        rate.push_back(loops / static_cast<double>(on.wall_ns) * 1e3);
        vs_off.push_back(100.0 * static_cast<double>(off.wall_ns) / static_cast<double>(on.wall_ns));
        if (off.thread_cpu_ns > 0 && on.thread_cpu_ns > 0)
            vs_off_cpu.push_back(100.0 * static_cast<double>(off.thread_cpu_ns) /
                                 static_cast<double>(on.thread_cpu_ns));
        preempted.push_back(static_cast<double>(on.switches - 2));
        signals.push_back(static_cast<double>(on.stats.preempt_signals));
        refused.push_back(static_cast<double>(on.stats.preempt_refused));
        sysmon.push_back(static_cast<double>(on.stats.sysmon_passes) / static_cast<double>(on.wall_ns) * 1e6);
    }
    if (preempt_us >= 0 && median(preempted) < 1) {
        state.SkipWithError("no preemption happened");
        return;
    }
    size_t i = 0;
    for (auto _ : state) state.SetIterationTime(ns_per_loop[i++] * 1e-9);
    state.counters["Mloops_per_s"] = median(rate);
    if (preempt_us >= 0) {
        state.counters["vs_off_pct"] = median(vs_off);
        state.counters["vs_off_cpu_pct"] = median(vs_off_cpu);  // the M's CPU time: others' load left out
    }
    state.counters["preempted"] = median(preempted);  // per run, from the loops
    state.counters["signals"] = median(signals);
    state.counters["refused"] = median(refused);
    // sysmon's passes per ms: while a G runs with others waiting it sleeps
    // a twentieth of the quantum at most, and its wakeups cost the M too.
    state.counters["sysmon_per_ms"] = median(sysmon);
}
BENCHMARK_CAPTURE(BM_preempt_throughput, off, -1)->UseManualTime()->Iterations(kThroughputRuns);
// 0: the default quantum (10 ms).
BENCHMARK_CAPTURE(BM_preempt_throughput, 10ms, 0)->UseManualTime()->Iterations(kThroughputRuns);
BENCHMARK_CAPTURE(BM_preempt_throughput, 1ms, 1000)->UseManualTime()->Iterations(kThroughputRuns);

// ---- cost

// What one preemption costs. The figure is taken directly, at each switch:
// both Gs read the clock after every short chunk of work (kCostChunk steps,
// some 100 ns) and stamp it; a G that finds the other's stamp last takes
// now - that stamp, a gap that holds one whole preemption: the interrupt
// that brings the signal to the running G, the handler, switching that G
// out, the scheduler, and restoring the other (itself preempted before: its
// way back in). It also holds the end of the
// victim's chunk and the rest of the resumed G's chunk: together one chunk
// on average, and in the median exactly one when the signal lands anywhere
// in a chunk alike. So: cost = median(gap) - median(chunk).
//
// Why not the loss in throughput alone, (T(on) - T(off)) / preemptions: it
// is the difference of two long runs, whose noise on this machine (other
// processes, the VM) is of the size of what it measures unless preemptions
// are frequent; it needs preemption turned off, which Go allows only per
// process (at Go's 10 ms it would be noise); and it charges each preemption
// with whatever else preemption being on costs the loop: sysmon's shorter
// sleeps above all (20 µs at this quantum), whose wakeups slow the M on a
// 2-CPU VM. It is reported beside, at the shortest quantum (100 µs), as
// that whole bill: lost_ns from the CPU time of the M that ran the Gs
// (which other processes' load leaves out), lost_wall_ns from the wall
// time. The refused counter says how many signals found no safe point (the
// loop spends a fifth of its time in the vDSO's clock).
constexpr int64_t kCostChunk = 64;
constexpr int64_t kCostNsPerG = 100'000'000;
constexpr int kCostPairs = 3;
constexpr int64_t kCostQuantumUs = 100;
constexpr size_t kMaxGaps = 1 << 16;
constexpr int64_t kChunkSampleEvery = 256;
constexpr size_t kMaxChunkSamples = 1 << 16;

// Written by one G at a time (one P), but a G may be preempted half way
// through an update: what both Gs write is an atomic and each gap slot is
// written once, by the G that took its index; chunks[me] is G me's own.
struct CostSamples {
    std::vector<int64_t> gaps = std::vector<int64_t>(kMaxGaps);
    std::atomic<size_t> ngaps{0};
    std::vector<int64_t> chunks[2] = {std::vector<int64_t>(kMaxChunkSamples), std::vector<int64_t>(kMaxChunkSamples)};
    size_t nchunks[2] = {0, 0};
    std::atomic<int64_t> last{0};
};

struct CostWorker {
    Owner& own;
    CostSamples& s;
    int64_t chunks;
    void operator()(int me) {
        uint64_t x = kSeed + static_cast<uint64_t>(me);
        int64_t prev = nanotime();
        for (int64_t i = 0; i < chunks; ++i) {
            x = spin(x, kCostChunk);
            const int64_t now = nanotime();
            const int64_t other_last = s.last.load(std::memory_order_relaxed);
            if (own.count_switch(me)) {
                // (The first entry of each G finds no stamp of the other's, or
                // a stamp from before its own start: not a preemption.)
                if (i > 0) {
                    const size_t k = s.ngaps.fetch_add(1, std::memory_order_relaxed);
                    if (k < kMaxGaps) s.gaps[k] = now - other_last;
                }
            } else if (i % kChunkSampleEvery == 0 && s.nchunks[me] < kMaxChunkSamples) {
                s.chunks[me][s.nchunks[me]++] = now - prev;
            }
            s.last.store(now, std::memory_order_relaxed);
            prev = now;
        }
        sink.store(x, std::memory_order_relaxed);
    }
};

// Steps of one cost chunk plus a clock read: how many fit in ns.
int64_t cost_chunks_for(int64_t ns) {
    static const double ns_per_chunk = [] {
        double best = 1e9;
        for (int i = 0; i < 5; ++i) {
            uint64_t x = kSeed;
            int64_t t = 0;
            const int64_t t0 = nanotime();
            for (int k = 0; k < 100'000; ++k) {
                x = spin(x, kCostChunk);
                t += nanotime();
            }
            sink.store(x + static_cast<uint64_t>(t), std::memory_order_relaxed);
            best = std::min(best, static_cast<double>(nanotime() - t0) / 100'000);
        }
        return best;
    }();
    return static_cast<int64_t>(static_cast<double>(ns) / ns_per_chunk);
}

void BM_preempt_cost(benchmark::State& state) {
    const int64_t chunks = cost_chunks_for(kCostNsPerG);
    std::vector<int64_t> gaps, chunk_ns;
    std::vector<double> lost, lost_wall, preempted, signals, refused;
    for (int i = 0; i < kCostPairs; ++i) {
        LoopRun run[2];
        for (int async = 0; async <= 1; ++async) {
            Owner own;
            CostSamples s;
            CostWorker w{own, s, chunks};
            run[async] = two_spinners(kCostQuantumUs, async == 1, own, w);
            if (!run[async].ok) {
                state.SkipWithError("rawrt::run failed");
                return;
            }
            if (async == 0) continue;
            const size_t n = std::min(s.ngaps.load(), kMaxGaps);
            gaps.insert(gaps.end(), s.gaps.begin(), s.gaps.begin() + static_cast<ptrdiff_t>(n));
            for (int me = 0; me < 2; ++me)
                chunk_ns.insert(chunk_ns.end(), s.chunks[me].begin(),
                                s.chunks[me].begin() + static_cast<ptrdiff_t>(s.nchunks[me]));
        }
        const LoopRun &off = run[0], &on = run[1];
        const double p = static_cast<double>(on.switches - 2);
        preempted.push_back(p);
        signals.push_back(static_cast<double>(on.stats.preempt_signals));
        refused.push_back(static_cast<double>(on.stats.preempt_refused));
        if (p <= 0) continue;
        lost_wall.push_back(static_cast<double>(on.wall_ns - off.wall_ns) / p);
        if (off.thread_cpu_ns > 0 && on.thread_cpu_ns > 0)
            lost.push_back(static_cast<double>(on.thread_cpu_ns - off.thread_cpu_ns) / p);
    }
    if (gaps.size() < 10) {
        state.SkipWithError("too few preemptions");
        return;
    }
    const double gap = percentile(gaps, 0.5);
    const double chunk = percentile(chunk_ns, 0.5);
    for (auto _ : state) state.SetIterationTime((gap - chunk) * 1e-9);
    state.counters["gap_median_ns"] = gap;
    state.counters["gap_p90_ns"] = percentile(gaps, 0.9);
    state.counters["chunk_ns"] = chunk;
    state.counters["samples"] = static_cast<double>(gaps.size());
    state.counters["lost_ns"] = median(lost);
    state.counters["lost_wall_ns"] = median(lost_wall);
    state.counters["preempted"] = median(preempted);  // per run
    state.counters["signals"] = median(signals);
    state.counters["refused"] = median(refused);
}
BENCHMARK(BM_preempt_cost)->UseManualTime()->Iterations(1);

// ---- the floor: a signal alone

// What a signal costs the thread it interrupts, with no runtime at all: a
// plain thread runs the cost loop, another sends it SIGURG (an empty
// handler) every 500 µs. The chunk the signal landed in is found by a
// counter the handler bumps, read after each stamp: the signal fell between
// the stamp before that chunk and the one after the next, so the stall is
// that span less two chunks. In a VM the interrupt that takes a signal to a
// thread running on another CPU costs far more than the handler; that share
// of BM_preempt_cost is the machine's, not the runtime's.
constexpr int kFloorSignals = 2000;
std::atomic<uint64_t> floor_hits{0};

void floor_handler(int) { floor_hits.fetch_add(1, std::memory_order_relaxed); }

void BM_preempt_signal_floor(benchmark::State& state) {
    struct sigaction sa = {};
    struct sigaction old = {};
    sa.sa_handler = floor_handler;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGURG, &sa, &old) != 0) {
        state.SkipWithError("sigaction failed");
        return;
    }
    std::vector<int64_t> spans(kFloorSignals + 1), chunk_ns(kMaxChunkSamples);
    size_t nspans = 0, nchunks = 0;
    std::atomic<bool> stop{false};
    std::atomic<int> tid{0};
    std::thread spinner([&] {
        tid.store(rawrt::sys::raw::gettid().value_or(0));
        uint64_t x = kSeed, seen = floor_hits.load();
        int64_t prev = nanotime(), anchor = -1;
        for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
            x = spin(x, kCostChunk);
            const int64_t now = nanotime();
            const uint64_t hits = floor_hits.load(std::memory_order_relaxed);
            if (anchor >= 0) {
                if (nspans < spans.size()) spans[nspans++] = now - anchor;
                anchor = -1;
            } else if (hits == seen && i % kChunkSampleEvery == 0 && nchunks < chunk_ns.size()) {
                chunk_ns[nchunks++] = now - prev;
            }
            if (hits != seen) {
                seen = hits;
                anchor = prev;
            }
            prev = now;
        }
        sink.store(x, std::memory_order_relaxed);
    });
    while (tid.load() == 0) std::this_thread::yield();
    const int pid = getpid();
    for (int i = 0; i < kFloorSignals; ++i) {
        (void)rawrt::sys::raw::tgkill(pid, tid.load(), SIGURG);
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    stop.store(true);
    spinner.join();
    sigaction(SIGURG, &old, nullptr);
    spans.resize(nspans);
    chunk_ns.resize(nchunks);
    if (nspans < 10) {
        state.SkipWithError("too few signals seen");
        return;
    }
    const double chunk = percentile(chunk_ns, 0.5);
    const double stall = percentile(spans, 0.5) - 2 * chunk;
    for (auto _ : state) state.SetIterationTime(stall * 1e-9);
    state.counters["stall_p90_ns"] = percentile(spans, 0.9) - 2 * chunk;
    state.counters["chunk_ns"] = chunk;
    state.counters["samples"] = static_cast<double>(nspans);
}
BENCHMARK(BM_preempt_signal_floor)->UseManualTime()->Iterations(1);

}  // namespace

// A preemption against a yield (BM_gosched_1p: one switch from G to G).
RAWRT_BENCH_RATIO("BM_preempt_cost", "BM_gosched_1p", "none set (the signal's share)");
// A preemption against the bare signal: what the runtime adds to it.
RAWRT_BENCH_RATIO("BM_preempt_cost", "BM_preempt_signal_floor", "none set (the runtime's share)");
// ns per loop: off over on is the rate with preemption over the rate without.
RAWRT_BENCH_RATIO("BM_preempt_throughput/off", "BM_preempt_throughput/10ms", ">= 0.99 (vs_off_pct: neighbours)");
RAWRT_BENCH_RATIO("BM_preempt_throughput/off", "BM_preempt_throughput/1ms", ">= 0.98 (vs_off_pct: neighbours)");
