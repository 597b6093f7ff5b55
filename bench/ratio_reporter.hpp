// A console reporter that also remembers each benchmark's time, so a suite
// can end with the ratios its targets are written in (machines here are noisy:
// only ratios taken in the same run mean anything).
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
            if (run.run_type == Run::RT_Iteration && !run.error_occurred)
                ns_per_iteration_[run.benchmark_name()] = run.GetAdjustedRealTime();
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
        std::printf("  %-28s / %-28s = %6.3f   target %s\n", name.c_str(), baseline.c_str(),
                    a->second / b->second, target);
    }

private:
    std::map<std::string, double> ns_per_iteration_;
};

}  // namespace rawrt::bench
