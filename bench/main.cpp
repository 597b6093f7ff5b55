// The benchmark binary's main: every suite in bench/*.cpp, then the ratios
// the suites declared (RAWRT_BENCH_RATIO), all taken from this one run.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>

#include "bench/ratio_reporter.hpp"
#include "sys/process.hpp"

int main(int argc, char** argv) {
    // RAWRT_DEBUG applies to every run() of the suites, as in a freestanding
    // program (each suite's own debug string still overrides it).
    rawrt::sys::set_process_args(argc, argv, environ);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    rawrt::bench::RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    std::printf("\nratios (same run):\n");
    for (const rawrt::bench::RatioSpec& r : rawrt::bench::registered_ratios())
        reporter.ratio(r.name, r.baseline, r.target);
    benchmark::Shutdown();
    return 0;
}
