// The benchmark binary's main: every suite in bench/*.cpp, then the ratios
// the suites declared (RAWRT_BENCH_RATIO), all taken from this one run.

#include <benchmark/benchmark.h>

#include <cstdio>

#include "bench/ratio_reporter.hpp"

int main(int argc, char** argv) {
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
