// What the execution tracer (sched/trace.hpp) costs the M that records:
//
//   BM_trace_event      a G marks regions with rawrt::trace::region_begin
//                       and region_end in turn while a trace runs: ns per
//                       event recorded (the target: ≤ 30 ns), the
//                       handoff of each full buffer to the writer included
//   BM_trace_event_off  the same calls with no trace on: the call and the
//                       one branch every event site pays then
//
// What the event sites cost a whole operation with no trace on is measured
// against a runtime built without them (make NOTRACE=1): mk/bench runs
// both builds and bench/go/compare's tracer table holds the ratios.
//
// The trace goes to trace_event.json beside this binary, in the build tree.
// Each event recorded becomes JSON at stop, which is not timed but is slow,
// so BM_trace_event records a fixed kEvents (10 MiB of them) rather than as
// many as half a second holds. Before the clock starts the G records
// kWarmEvents: the buffers of the timed loop are then the writer's saved
// and handed back ones, as in a long trace (a fresh mapping costs page
// faults once). A run that dropped events (the file's header counts them)
// fails: its figure is not the cost of recording them.
//
// The loops run on one P and report manual time, as bench_sched.cpp's.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/on_g.hpp"
#include "sched/go.hpp"
#include "sched/trace.hpp"

namespace {

using rawrt::bench::Stopwatch;
using rawrt::bench::Timing;

constexpr int64_t kEvents = int64_t{1} << 18;
constexpr int64_t kWarmEvents = int64_t{1} << 16;

// pairs region_begin/region_end calls: 2 * pairs events.
void mark_regions(int64_t pairs) {
    for (int64_t i = 0; i < pairs; ++i) {
        rawrt::trace::region_begin("bench");
        rawrt::trace::region_end("bench");
    }
}

// The trace file, beside the binary: the benchmark thread works it out
// before any run, with libc.
const std::string& trace_path() {
    static const std::string path = [] {
        char exe[4096];
        const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        std::string dir = n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string("./x");
        return dir.substr(0, dir.rfind('/') + 1) + "trace_event.json";
    }();
    return path;
}

struct Traced {
    Timing t;
    int error = 0;  // start's or stop's errno
};

Traced time_traced(const char* path, int64_t events) {
    Traced tr;
    auto r = rawrt::run({.procs = 1}, [&] {
        if (auto s = rawrt::trace::start(path); !s.ok()) {
            tr.error = s.error().code();
            return;
        }
        mark_regions(kWarmEvents / 2);
        Stopwatch sw;
        sw.start();
        mark_regions(events / 2);
        sw.stop(tr.t, events);
        if (auto s = rawrt::trace::stop(); !s.ok()) tr.error = s.error().code();
    });
    tr.t.ok = r.ok() && tr.error == 0;
    return tr;
}

// The "dropped_events" field of the trace's header, -1 when not found.
long dropped_events(const char* path) {
    char head[1024] = {};
    FILE* f = std::fopen(path, "r");
    if (f == nullptr) return -1;
    const size_t n = std::fread(head, 1, sizeof head - 1, f);
    std::fclose(f);
    head[n] = '\0';
    const char* field = std::strstr(head, "\"dropped_events\":");
    return field != nullptr ? std::strtol(field + std::strlen("\"dropped_events\":"), nullptr, 10) : -1;
}

void BM_trace_event(benchmark::State& state) {
    const char* path = trace_path().c_str();
    const Traced tr = time_traced(path, kEvents);
    if (tr.error == ENOSYS) {
        state.SkipWithError("the tracer is compiled out of this build");
        return;
    }
    if (const long dropped = tr.t.ok ? dropped_events(path) : 0; dropped != 0) {
        state.SkipWithError(dropped < 0 ? "no trace header" : "the trace dropped events");
        return;
    }
    rawrt::bench::report_timing(state, tr.t, "rawrt::run, trace::start or trace::stop failed");
}
// About ten milliseconds of events: a neighbour on this shared machine can double
// one run's figure, hence the repetitions (compare reads their median).
BENCHMARK(BM_trace_event)->Iterations(kEvents)->Repetitions(5)->UseManualTime();

Timing time_off(int64_t events) {
    Timing t;
    auto r = rawrt::run({.procs = 1}, [&] {
        Stopwatch sw;
        sw.start();
        mark_regions(events / 2);
        sw.stop(t, events);
    });
    t.ok = r.ok();
    return t;
}

void BM_trace_event_off(benchmark::State& state) {
    // An even count: every iteration is one event of a begin/end pair.
    const int64_t events = (state.max_iterations + 1) / 2 * 2;
    rawrt::bench::report_timing(state, time_off(events));
}
BENCHMARK(BM_trace_event_off)->UseManualTime();

}  // namespace
