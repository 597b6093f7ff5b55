// A console reporter that also remembers each benchmark's time, so the run
// can end with the ratios the targets are written in (machines here are noisy:
// only ratios taken in the same run mean anything). Each suite file declares
// its own ratios with RAWRT_BENCH_RATIO; bench/main.cpp prints them all.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace rawrt::bench {

class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs)
            if (run.run_type == Run::RT_Iteration && !run.error_occurred) {
                // UseManualTime appends "/manual_time", Iterations(n)
                // "/iterations:n": ratios use the registered name.
                benchmark::BenchmarkName name = run.run_name;
                name.time_type.clear();
                name.iterations.clear();
                ns_per_iteration_[name.str()] = run.GetAdjustedRealTime();
            }
        ConsoleReporter::ReportRuns(runs);
    }

    // Prints "name / baseline = r (target)"; a missing row prints as such.
    void ratio(const std::string& name, const std::string& baseline, const char* target) const {
        auto a = ns_per_iteration_.find(name);
        auto b = ns_per_iteration_.find(baseline);
        if (a == ns_per_iteration_.end() || b == ns_per_iteration_.end() || b->second == 0) {
            std::printf("  %-28s / %-28s   (not run)\n", name.c_str(), baseline.c_str());
            return;
        }
        std::printf("  %-28s / %-28s = %6.3f   target %s\n", name.c_str(), baseline.c_str(), a->second / b->second,
                    target);
    }

private:
    std::map<std::string, double> ns_per_iteration_;
};

// "name / baseline", printed after the run with the target it is held to.
struct RatioSpec {
    const char* name;
    const char* baseline;
    const char* target;
};

inline std::vector<RatioSpec>& registered_ratios() {
    static std::vector<RatioSpec> ratios;
    return ratios;
}

struct RegisterRatio {
    RegisterRatio(const char* name, const char* baseline, const char* target) {
        registered_ratios().push_back({name, baseline, target});
    }
};

}  // namespace rawrt::bench

#define RAWRT_BENCH_RATIO_JOIN2(a, b) a##b
#define RAWRT_BENCH_RATIO_JOIN(a, b) RAWRT_BENCH_RATIO_JOIN2(a, b)
// At namespace scope in a suite file: RAWRT_BENCH_RATIO("BM_x", "BM_y", "<= 1");
#define RAWRT_BENCH_RATIO(name, baseline, target)                                                                   \
    static const ::rawrt::bench::RegisterRatio RAWRT_BENCH_RATIO_JOIN(rawrt_bench_ratio_, __LINE__)(name, baseline, \
                                                                                                    target)
